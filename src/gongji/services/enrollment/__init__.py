"""Registering persons, enrolling them and crediting personal accounts (operator work; the
contract).

Doors: register (a person, once, by resident ID number), enroll, end (ended or moved),
credit (the monthly 划入 into a PERSONAL account), credit_batch and credit_file (a CSV of
credits, one transaction per row), set_flag (medical assistance or low income). describe is
a pure helper (a batch report as one line).

- model.py: the commands (RegisterPerson, Enroll, EndEnrollment, Credit, Flag), the results
  (EnrollmentResult, BatchReport) and the national psn_type codes (PSN_TYPES).
- store.py: the rows written (persons, enrollments, person_flags); reads are people's.
- service.py: the doors, and the checks before each write.

Promises: a person is registered once (GB 11643 check digit; birth date and sex from the
number); one basic scheme at a time; an employee enrollment with a personal account opens
its PERSONAL ledger account; ending or moving an enrollment ends the person's family
bindings (quota goes home), and a move enrolls them in the new region from the day after
(today at the latest); each credit row is idempotent by its key ("{batch}:{line}" unless
the row names one).
"""
