"""The national interface gateway (定点医药机构接口规范): an existing HIS calls gongji as it
calls the national platform. The gateway only translates: every rule runs in the services."""

# The daily queries register their handlers in transactions.HANDLERS; imported here, not at
# the end of transactions.py, so neither module imports the other back (an import cycle).
from gongji.gateway import mobilepay as _mobilepay  # noqa: F401
from gongji.gateway import queries as _queries  # noqa: F401
