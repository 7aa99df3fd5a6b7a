"""FHIR R4 reads (the contract): persons, enrollments, accounts, visits, settlements and
clearing as FHIR resources (docs/FHIR.md has the mapping, field by field).

Doors: patient, coverage, coverages (search by beneficiary), account (the personal account,
or the wallet with its quotas), claim (a visit's fee lines), claim_response, eob, eobs
(search by patient), reconciliation (a month's clearing, operators), metadata (the
CapabilityStatement, public). Pure helpers the API uses: render (exact-decimal JSON text),
outcome (a refusal as an OperationOutcome), parse.

- model.py: the version, media type, code and identifier systems, the resource types served,
  the setlinfo amounts as adjudications (TOTALS).
- service.py: the doors, each resource built as a dict and validated by its fhir.resources
  (R4B) model, imported on first use. No store.py: it reads through the settlement,
  institutions, people, wallet, catalog and clearing capabilities.

Promises: read only; each read is one unit of work and checks the REST API's authority (a
person their own records or a proxied relative's, an operator everything, an institution the
visits and settlements it made; anything else is FHIR_RESOURCE_NOT_FOUND or FORBIDDEN); every
resource validates; amounts are exact Decimals made from fen (never floats); personal data
leaves masked, keyed by the opaque psn_no.
"""
