"""Demo data for `gongji demo` (the contract): a family across three provinces, fund
accounts per region, four institutions and the national demo catalog.

Door: seed (everything, through the other capabilities' own doors, as SYSTEM). The pages use
the static data and its pure lookups: FAMILY, DEMO_PIN, certno_of, role_of, demo_person,
key_of.

- model.py: the static data (DEMO_REGIONS, FAMILY, INSTITUTIONS, DEMO_PIN...), its lookups,
  and what seeding reports (Summary).
- service.py: seed and its steps. No store.py: the two reads it needs (is a catalog loaded,
  a live key of the hospital) are the catalog's and the institutions' store functions.

Promises: idempotent (every step has a fixed key, and a step already done is fine, so
seeding twice changes nothing); each region's pooled fund is opened with OPENING_POOL_FEN
once; the family is left for a newcomer to tell the story themselves.
"""
