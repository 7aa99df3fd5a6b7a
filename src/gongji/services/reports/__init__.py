"""Read-only figures for the operator console's reports (SQLAlchemy Core, SQLite and PostgreSQL).

service.py: the doors (and the steps other capabilities compose).
"""
