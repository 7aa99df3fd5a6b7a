"""Family proxies (亲情账户): one person holds a relative's insurance code and helps them.

service.py: the doors (and the steps other capabilities compose).
"""
