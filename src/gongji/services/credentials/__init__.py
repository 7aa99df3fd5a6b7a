"""E-credentials: the insurance code (shown by the person or their proxy, redeemed once by an

service.py: the doors (and the steps other capabilities compose).
"""
