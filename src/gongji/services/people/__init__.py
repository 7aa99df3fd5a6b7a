"""Persons and their enrollments, as every other capability reads them (the contract).

Doors (operators, and the person or their proxy for their own record): lookup (by ID
number, which travels in a body, never a URL), get, enrollments.

- model.py: Person (the stored person), PersonView (what leaves: masked), Enrollment, BASIC.
- store.py: the reads other capabilities compose in their own unit of work: person,
  person_by_certno, enrollments_of, enrollment, basic_enrollment, insured_region, member.
- service.py: the doors; it re-exports the reads and the model under their old names.

Promises: personal data leaves masked (110101********1234, 张*, 138****5678); a missing
person is PERSON_NOT_FOUND, a person without an active basic enrollment NOT_ENROLLED; a
person's basic enrollment is the employee one when there are two. Registering persons and
enrollments is the enrollment capability's.
"""
