"""The catalog of each care region: import (CSV, the national tab-separated download) and

service.py: the doors (and the steps other capabilities compose).
"""
