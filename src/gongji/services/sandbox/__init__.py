"""Sandbox test clock: an operator sets or advances business time (never backwards), so a

service.py: the doors (and the steps other capabilities compose).
"""
