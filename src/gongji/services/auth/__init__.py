"""Persons logging in, operators' console sessions, and who a token belongs to (the contract).

Doors: request_code (a one-time code sent to the phone of the person with this ID number, if
there is one), login (ID number and code: a session), authenticate and visit (the person a
session token belongs to; auth doors, visit also taking the page's one-time notice), logout,
open_console / console_visit / close_console (an operator's console session: opened with an
operator token, found by its id, revoked at logout), leave_note (a one-time notice for the
session's next page; a trail door), me (who a token belongs to, with their enrollments and the
relatives they act for), read_outbox (operators: the messages sent to persons).

- model.py: what the doors give (CodeSent, Session, ConsoleSession, Visit, Me, OutboxMessage)
  and the prefixes and durations.
- store.py: one-time codes (otps), sessions, console sessions, the day's counts (login_counts,
  login_codes) and the outbox, as typed records.
- service.py: the doors.

Promises: an ID number nobody has is answered exactly as a registered one (same status, same
body, the same refusals after it: too soon, a code locked, the day's limit); only a registered
person's phone receives a code. Sending and checking a code follow the national login rules
(policy 000000), so no answer depends on the person's region. A code goes through the pluggable
message sender (the outbox by default; its text in the server log, and in CodeSent, only in the
sandbox); a new code replaces the older ones and may not be asked for again before
otp_resend_seconds; a code expires, is used once, and locks after otp_max_attempts wrong tries
(each counted though the login is refused). Per business day (Asia/Shanghai, the business
clock) an ID number and a client address get so many codes and wrong tries
(domain/login_limits.py), counted in the database under a keyed hash (a restart does not reset
them, a dump does not reveal the numbers). Sessions are random bearer tokens (gj_ps_) stored
only as SHA-256 hashes, valid for session_hours unless revoked by logout. A console session
(gj_cs_) is a random id stored as its hash, valid CONSOLE_SESSION_HOURS of real time unless
revoked by logout, and ends too when its operator token is revoked (or the bootstrap token
changed): the cookie never holds the token. A notice is kept with its session and shown once.
"""
