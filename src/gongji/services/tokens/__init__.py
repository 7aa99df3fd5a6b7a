"""Operator API tokens: random secrets shown once, stored only as SHA-256 hashes.

service.py: the doors (and the steps other capabilities compose).
"""
