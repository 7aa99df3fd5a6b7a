"""The database itself: health, schema revision and upgrade, backup and restore.

service.py: the doors (and the steps other capabilities compose).
"""
