"""Payment PINs (支付密码) that guard a person's money moves (the contract).

Doors: set_pin (first time, or a change that needs the old PIN). Steps other capabilities
compose: verify (before a transfer or a contribution pays), has_pin_in.

- model.py: what set_pin gives (PinSet).
- store.py: the pins table (the hash, the failure count, the lock), as typed records.
- service.py: the door, the format check and the verification (argon2id: HASHER).

Promises: a PIN is stored only as an argon2id hash and never enters an idempotency record
(a hash made with older argon2 parameters still verifies, and is replaced at the next right
PIN); weak PINs (all one digit, a run) are refused; wrong PINs are counted in their own
small transaction even though the request they guarded is refused, and the insured region's
max_attempts lock the PIN for its lockout_minutes; a right PIN clears the count.
"""
