"""The database itself (the contract): health, schema revision and upgrade, backup and
restore. They run for whoever runs the process (a probe, `gongji db`, `gongji backup`), so
they take no caller.

Doors: health (never raises: ok, degraded or down), schema, upgrade, backup, restore.

- model.py: what they report (Health, SchemaState, Upgraded, Restored).
- store.py: the health probe's round trip; migrations and backups are gongji.store.migrate
  and gongji.store.backup, called from service.py.
- service.py: the doors.

Promises: upgrade is safe to run twice; a backup is consistent while the database serves;
a restore lands in an empty database unless forced, is brought up to the schema head and
verified, and a backup that does not verify is reported, not trusted.
"""
