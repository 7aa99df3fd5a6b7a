"""Demo data for `gongji demo`: a family across three provinces, fund accounts per region.

service.py: the doors (and the steps other capabilities compose).
"""
