"""Operator API tokens (the contract).

Doors: create_token (`gongji token create`: a named token with a role), authenticate (the
operator a bearer token belongs to; an auth door, before any work).

- model.py: the roles, the token prefix and what create_token gives (NewToken).
- store.py: the api_tokens table, as typed records.
- service.py: the doors (and the hashing).

Promises: a token is random (gj_op_ + 32 bytes), shown once and stored only as its SHA-256
hash; a revoked or unknown token authenticates no one; the bootstrap token (from the
server's configuration) is compared in constant time and is an admin.
"""
