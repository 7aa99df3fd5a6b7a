"""What each page of the operator console shows (the contract): one door per page, each read
in one unit of work.

Doors (operators): dashboard, policies (a region's merged policy on a day, its versions, and
optionally a YAML checked), upload_policy (stores through policy.upload_text), policy_diff,
catalog_page, institutions_page, queue (relations and proxies for minors waiting for an
operator), clock (the sandbox clock and its next jumps). The reports and audit pages have
their own capabilities.

- model.py: the pages (Dashboard, Policies, Stored, Diff, CatalogPage, InstitutionsPage,
  Queue, Clock).
- service.py: the doors, composing the policy, institutions, family and proxies
  capabilities. No store.py: the console has no table and no SQL of its own.

Promises: operators only; a page's figures come from one snapshot; an unknown region shows
the national policy with the reason beside it, never a failed page; forms post to the
capabilities' own doors.
"""
