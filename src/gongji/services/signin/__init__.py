"""Sign-in at the national interface: 9001 签到 and 9002 签退 (the contract).

Doors: sign_in (a new sign-in number for an institution's operator), sign_out, check (the
institution holds this open sign-in; an auth door the gateway calls before every other
transaction).

- model.py: what sign_in gives (SignIn).
- store.py: the gateway_signins table.
- service.py: the doors.

Promises: a sign-in number is the institution code, the time and a serial, at most 30
characters; sign-in and sign-out are idempotent by the client key the gateway passes; a
sign-in is the institution's own (another's, or one signed out, is GATEWAY_NOT_SIGNED_IN),
and is signed out once.
"""
