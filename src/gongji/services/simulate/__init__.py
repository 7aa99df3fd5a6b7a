"""What-if: replay claims under one or more policies and compare what the funds and people pay
(the contract).

Door: simulate (`gongji simulate`: a claims file or a synthetic population, the shipped
policy and proposed ones, a report written to a directory). Its parts are public for tests
and scripts: synthetic, read_claims, scenarios, run, summarise, write_report.

- model.py: the claims file's columns (CLAIM_COLUMNS, OPTIONAL_COLUMNS), Replay, Population,
  Scenario, Summary, Tally (a summary's mergeable parts), Cluster, Simulation, Simulated.
- service.py: drawing and reading claims (numpy, polars), resolving each policy, settling in
  the batch engine, the report. No store.py: a simulation touches no database; its claims
  file is checked value by value as it is read, which is the service's rule, not storage.
- service.py also settles a claims dataset (a directory or glob of files, each holding all
  claims of its persons) file by file, here or as tasks on a Dask cluster (imported there only),
  each file answering a mergeable Tally; writing datasets (--partition-to, --synthetic-to).

Promises: no database is read or written; a dataset gives the report that its claims in one
file give, to the fen, wherever its files are settled; the same seed draws the same claims; a
claims file is refused whole on its first bad value (CLAIMS_FILE_INVALID, with the row); each
policy is resolved per insured region and day as settlement resolves it, and settled by the
batch engine (domain/batch.py), which applies the online engine's rules; amounts stay integer
fen.
"""
