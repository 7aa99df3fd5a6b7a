"""Wallet transfers (医保钱包转账): a sponsor sends personal-account money to a bound relative.

service.py: the doors (and the steps other capabilities compose).
"""
