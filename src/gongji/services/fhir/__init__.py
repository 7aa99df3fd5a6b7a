"""FHIR R4 reads: persons, enrollments, accounts, visits, settlements and clearing as FHIR

service.py: the doors (and the steps other capabilities compose).
"""
