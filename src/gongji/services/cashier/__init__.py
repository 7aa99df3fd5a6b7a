"""The demo cashier (收费台) in the sandbox: an operator acts as the cashier of a registered

service.py: the doors (and the steps other capabilities compose).
"""
