"""Persons log in with their ID number and a one-time code sent to their phone.

service.py: the doors (and the steps other capabilities compose).
"""
