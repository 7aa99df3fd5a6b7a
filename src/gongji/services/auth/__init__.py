"""Persons logging in, and who a token belongs to (the contract).

Doors: request_code (a one-time code sent to the phone of the person with this ID number),
login (ID number and code: a session), authenticate (the person a session token belongs to;
an auth door), logout, me (who a token belongs to, with their enrollments and the relatives
they act for), read_outbox (operators: the messages sent to persons).

- model.py: what the doors give (CodeSent, Session, Me, OutboxMessage) and SESSION_PREFIX.
- store.py: one-time codes (otps), sessions and the outbox, as typed records.
- service.py: the doors.

Promises: a code goes through the pluggable message sender (the outbox by default; its text
in the server log, and in CodeSent, only in the sandbox); a new code replaces the older ones
and may not be asked for again before the insured region's otp_resend_seconds; a code
expires, is used once, and locks after otp_max_attempts wrong tries (each counted though the
login is refused); sessions are random bearer tokens (gj_ps_) stored only as SHA-256 hashes,
valid for session_hours unless revoked by logout.
"""
