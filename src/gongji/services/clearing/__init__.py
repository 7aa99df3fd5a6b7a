"""Clearing between regions and reconciliation with institutions.

service.py: the doors (and the steps other capabilities compose).
"""
