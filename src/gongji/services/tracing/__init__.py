"""Drug trace codes: the public query (what happened to this box?).

service.py: the doors (and the steps other capabilities compose).
"""
