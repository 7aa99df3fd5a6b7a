"""Files exchanged with an institution through the national interface (the contract).

Doors: upload (9101: what an institution sends, e.g. a detail reconciliation's lines),
download (9102: what it uploaded, or what gongji made for it). Steps other capabilities
compose: store_in (catalog downloads, reconciliation results), content_in.

- model.py: what an upload gives (Stored), FILE_DAYS and MAX_BYTES.
- store.py: the gateway_files table.
- service.py: the doors and the steps.

Promises: a file is its institution's own (another's is not found, as a missing one);
uploads are at most 20 MB and idempotent by the message's client key (the content itself
does not enter the idempotency record: its name and size do); each file is stamped to
expire FILE_DAYS after it is made (expires_at; downloads do not check it yet).
"""
