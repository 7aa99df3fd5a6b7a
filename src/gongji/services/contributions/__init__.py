"""Paying a relative's resident (390) or long-term-care (410) contribution for a coverage year.

service.py: the doors (and the steps other capabilities compose).
"""
