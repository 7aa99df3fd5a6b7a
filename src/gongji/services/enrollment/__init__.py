"""Persons, enrollments and personal accounts (operator work).

service.py: the doors (and the steps other capabilities compose).
"""
