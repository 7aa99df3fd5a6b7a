"""Files exchanged with an institution through the national interface: what it uploads

service.py: the doors (and the steps other capabilities compose).
"""
