"""What-if: replay claims under one or more policies and compare what the funds and people pay.

service.py: the doors (and the steps other capabilities compose).
"""
