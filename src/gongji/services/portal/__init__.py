"""What each page of the family portal shows, read in one unit of work per page.

service.py: the doors (and the steps other capabilities compose).
"""
