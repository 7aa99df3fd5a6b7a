"""The conformance kit for HIS vendors (the contract): what each message an institution sent
to the gateway did against the specification, tolerated or refused.

Doors (operators): record (record mode for an institution, for 1 to 10080 minutes; 0 turns it
off; idempotent by a client key), report (per infno: sent, answered, refused by code and
field, tolerances by field), messages (the recorded requests, masked, newest first). One
trail door (the gateway, after each message's work): note.

- model.py: Observed (a tolerance, as the gateway saw it), Recording, the report's parts,
  RecordedMessage, and the limits (RECORD_MAX_MINUTES, KEEP_DAYS, RAW_MAX_BYTES).
- store.py: conformance_recordings and conformance_messages, as typed records.
- service.py: the doors, and the masking of a request before it is stored.

Promises: note writes a row only while record mode is on for that institution (business time
before `until`, to the second), and nothing otherwise; it never raises and never changes the
gateway's answer (a failure is logged by class name and dropped). A stored request has ID
numbers, names, phones and addresses masked (by key, and any ID-like or phone-like text
anywhere), is cut at RAW_MAX_BYTES with a marker, and keeps amounts' exact digits. Rows older
than KEEP_DAYS are pruned as rows are written.
"""
