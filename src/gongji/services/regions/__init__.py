"""Reference data: provinces and pooling regions (shipped, plus any an operator adds).

service.py: the doors (and the steps other capabilities compose).
"""
