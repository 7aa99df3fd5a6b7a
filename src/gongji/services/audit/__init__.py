"""Reading the audit log: search by subject, action and day, a page at a time (operators).

service.py: the doors (and the steps other capabilities compose).
"""
