"""Low-level ledger operations for operators (adjustments, corrections) and the hold sweeper.

service.py: the doors (and the steps other capabilities compose).
"""
