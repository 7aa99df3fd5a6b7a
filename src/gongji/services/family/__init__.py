"""Family mutual aid bindings (家庭共济关系) between a sponsor and a close relative.

service.py: the doors (and the steps other capabilities compose).
"""
