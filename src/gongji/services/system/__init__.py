"""The database itself (the contract): health, schema revision and upgrade, backup and
restore, the Citus plan. They run for whoever runs the process (a probe, `gongji db`,
`gongji backup`), so they take no caller.

Doors: health (never raises: ok, degraded or down), schema, upgrade, backup, restore,
citus_ddl.

- model.py: what they report (Health, SchemaState, Upgraded, Restored, CitusDdl).
- store.py: the health probe's round trip; the schema read for Citus (the placement of each
  table and its rules are gongji.store.distribution); migrations and backups are
  gongji.store.migrate and gongji.store.backup, called from service.py.
- service.py: the doors.

Promises: upgrade is safe to run twice; a backup is consistent while the database serves;
a restore lands in an empty database unless forced, is brought up to the schema head and
verified, and a backup that does not verify is reported, not trusted; the Citus plan only
reads the schema, and names every table that keeps it from being whole.
"""
