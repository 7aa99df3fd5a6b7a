"""Reading persons and enrollments inside a unit of work (shared by every people service).

service.py: the doors (and the steps other capabilities compose).
"""
