"""Payment PINs (支付密码): argon2-hashed, locked after repeated wrong attempts.

service.py: the doors (and the steps other capabilities compose).
"""
