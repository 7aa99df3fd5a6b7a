"""Every yuan of a settlement explained, for the person who paid it.

service.py: the doors (and the steps other capabilities compose).
"""
