"""Out-of-area filing, chronic disease recognition, and a person's authorization switches.

service.py: the doors (and the steps other capabilities compose).
"""
