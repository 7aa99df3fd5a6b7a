"""The 医保钱包: open (by the person or a proxy, 代开通), place of use, close, and what is in it.

service.py: the doors (and the steps other capabilities compose).
"""
