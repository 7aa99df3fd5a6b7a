"""共济 gongji: an open platform for medical-insurance personal accounts and family mutual aid."""

__version__ = "0.1.0"
