"""Designated institutions, their API keys, and the check of a signed request.

service.py: the doors (and the steps other capabilities compose).
"""
