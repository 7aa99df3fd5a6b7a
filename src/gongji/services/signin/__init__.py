"""Sign-in at the national interface (9001 签到 / 9002 签退): an institution's operator signs in

service.py: the doors (and the steps other capabilities compose).
"""
