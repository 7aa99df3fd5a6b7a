"""Policy documents: the shipped YAML, operator uploads, and resolving a region's rules.

service.py: the doors (and the steps other capabilities compose).
"""
