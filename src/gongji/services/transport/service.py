"""How each institution's system reaches the gateway: its transport profile (set by
operators), its credentials (TIF token, service-bus secret, OAuth2 password, SM keys), the
OAuth2 token endpoint, and `admit`: the check of one gateway request's transport.

Secrets the server must read back are sealed (services/sealing.py); the OAuth2 password is
hashed with argon2id; access tokens are kept as their SHA-256. Rotation is issue-then-revoke:
a new credential works at once beside the old one until the old one is revoked.
"""

from __future__ import annotations

import json
import secrets as pysecrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from gongji import sm
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.transport import (
    SCHEMES,
    TOKEN_SECONDS,
    CredentialKind,
    Profile,
    Scheme,
    check_esb,
    check_tif,
    token_digest,
)
from gongji.services.access import require_operator
from gongji.services.door import door
from gongji.services.institutions import service as institutions
from gongji.services.kdf import BoundedHasher
from gongji.services.runtime import Gongji, Key, Written
from gongji.services.transport import store
from gongji.services.transport.model import (
    Admitted,
    CredentialView,
    IssueCredential,
    IssuedCredential,
    SetTransport,
    SmKeys,
    Token,
    TransportView,
)
from gongji.services.unit_of_work import Principal, UnitOfWork

HASHER = BoundedHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_SYSTEM = Principal("system", "transport")


# -- operators: profiles and credentials ------------------------------------------------------

@door
def get(app: Gongji, who: Principal, code: str) -> TransportView:
    require_operator(who)
    return app.read(lambda uow: _view(app, uow, code), principal=who)


@door
def set_profile(app: Gongji, who: Principal, key: Key, code: str,
                cmd: SetTransport) -> Written[TransportView]:
    """Set how the institution's system connects; the change holds from the next request."""
    require_operator(who)
    p = Profile(cmd.scheme, cmd.infcode_as, cmd.relay, cmd.relay_opter.strip(), cmd.encrypted)

    def run(uow: UnitOfWork) -> TransportView:
        institutions.get_in(uow, code)
        store.put_profile(uow.conn, code, store.ProfileRecord(
            p.scheme, p.infcode_as, p.relay, p.relay_opter, p.encrypted), at=uow.now)
        uow.record("transport.profile", subject=code, detail={
            "scheme": p.scheme, "infcode_as": p.infcode_as, "relay": p.relay,
            "encrypted": p.encrypted})
        return _view(app, uow, code)

    return app.write(who, key=key, operation="transport.profile", request={
        "fixmedins_code": code, "scheme": p.scheme, "infcode_as": p.infcode_as,
        "relay": p.relay, "relay_opter": p.relay_opter, "encrypted": p.encrypted},
        fn=run, result_type=TransportView)


@door
def issue(app: Gongji, who: Principal, key: Key, code: str,
          cmd: IssueCredential) -> Written[IssuedCredential]:
    """A new credential of one kind; its secret is shown in this answer only (a retry with the
    same idempotency key names the credential without its secret)."""
    require_operator(who)
    if cmd.kind not in ("tif", "esb", "oauth2", "sm"):
        raise GongjiError("VALIDATION_ERROR", fields="kind")
    shown: list[str] = []

    def run(uow: UnitOfWork) -> IssuedCredential:
        shown.clear()
        institutions.get_in(uow, code)
        cid = "tc_" + pysecrets.token_hex(12)
        principal, secret, sealed, hashed, peer, platform = _make(app, cid, code, cmd)
        if store.by_principal(uow.conn, cmd.kind, principal) is not None:
            raise GongjiError("TRANSPORT_PRINCIPAL_TAKEN", kind=cmd.kind, principal=principal)
        store.add_credential(uow.conn, store.CredentialRecord(
            cid, code, cmd.kind, principal, sealed, hashed, peer, uow.now, None))
        uow.record("transport.credential", subject=code,
                   detail={"credential_id": cid, "kind": cmd.kind, "principal": principal})
        shown.append(secret)
        return IssuedCredential(cid, cmd.kind, code, principal, None, platform)

    w = app.write(who, key=key, operation="transport.credential", request={
        "fixmedins_code": code, "kind": cmd.kind, "principal": cmd.principal,
        "password": bool(cmd.password), "peer_public": cmd.peer_public},
        fn=run, result_type=IssuedCredential)
    if w.replayed or not shown:
        return w
    v = w.value
    return Written(IssuedCredential(v.credential_id, v.kind, v.fixmedins_code, v.principal,
                                    shown[0], v.platform_public), replayed=False)


def _make(app: Gongji, cid: str, code: str, cmd: IssueCredential
          ) -> tuple[str, str, str | None, str | None, str | None, str | None]:
    """principal, the secret to show once, sealed, hashed, peer public key, our public key."""
    if cmd.kind == "sm":
        text = (cmd.peer_public or "").strip().lower()
        peer = text[2:] if len(text) == 130 and text.startswith("04") else text
        if len(peer) != 128 or not sm.is_public_key(peer):
            raise GongjiError("VALIDATION_ERROR", fields="peer_public")
        sm4_key = pysecrets.token_hex(16)
        pair = sm.sm2_generate()
        sealed = app.sealer.seal(json.dumps({"sm4": sm4_key, "private": pair.private_hex}),
                                 context=cid)
        return cid, sm4_key, sealed, None, peer, pair.public_hex
    principal = (cmd.principal or "").strip() or {
        "tif": "paas_", "esb": "ak_", "oauth2": code.lower() + "_"}[cmd.kind] + \
        pysecrets.token_hex(6)
    if not 3 <= len(principal) <= 64 or not principal.isascii() or not principal.isprintable():
        raise GongjiError("VALIDATION_ERROR", fields="principal", rule=Bi(
            "3 至 64 个 ASCII 字符", "3 to 64 ASCII characters"))
    if cmd.kind == "oauth2":
        password = cmd.password or pysecrets.token_urlsafe(18)
        if not 12 <= len(password) <= 128:
            raise GongjiError("VALIDATION_ERROR", fields="password", rule=Bi(
                "12 至 128 个字符", "12 to 128 characters"))
        return principal, password, None, HASHER.hash(password), None, None
    if cmd.password:
        raise GongjiError("VALIDATION_ERROR", fields="password")
    secret = pysecrets.token_hex(24)
    return principal, secret, app.sealer.seal(secret, context=cid), None, None, None


@door
def revoke(app: Gongji, who: Principal, key: Key, code: str,
           credential_id: str) -> Written[CredentialView]:
    """Revoke a credential (and every OAuth2 token issued under it), at once."""
    require_operator(who)

    def run(uow: UnitOfWork) -> CredentialView:
        c = store.credential(uow.conn, credential_id)
        if c is None or c.fixmedins_code != code:
            raise GongjiError("TRANSPORT_CREDENTIAL_NOT_FOUND", credential_id=credential_id)
        store.revoke_credential(uow.conn, credential_id, at=uow.now)
        uow.record("transport.revoke", subject=code, detail={"credential_id": credential_id})
        found = store.credential(uow.conn, credential_id)
        assert found is not None
        return _credential_view(app, found)

    return app.write(who, key=key, operation="transport.revoke",
                     request={"fixmedins_code": code, "credential_id": credential_id},
                     fn=run, result_type=CredentialView)


def _view(app: Gongji, uow: UnitOfWork, code: str) -> TransportView:
    institutions.get_in(uow, code)
    p = store.profile(uow.conn, code) or store.ProfileRecord("gongji", "number", False,
                                                             "relay", False)
    return TransportView(code, p.scheme, p.infcode_as, p.relay, p.relay_opter, p.encrypted,
                         tuple(_credential_view(app, c)
                               for c in store.credentials(uow.conn, code)))


def _credential_view(app: Gongji, c: store.CredentialRecord) -> CredentialView:
    platform = None
    if c.kind == "sm" and c.sealed:
        platform = sm.sm2_public_from_private(_sm_secrets(app, c)["private"])
    return CredentialView(c.credential_id, c.kind, c.principal, c.created_at, c.revoked_at,
                          c.peer_public, platform)


def _sm_secrets(app: Gongji, c: store.CredentialRecord) -> dict[str, str]:
    assert c.sealed is not None
    opened: dict[str, str] = json.loads(app.sealer.open(c.sealed, context=c.credential_id))
    return opened


# -- the gateway's requests ---------------------------------------------------------------------

@door(auth=True)
def admit(app: Gongji, *, headers: Mapping[str, str], method: str, path: str,
          body: bytes) -> Admitted:
    """Who sent this gateway request, by the scheme its headers speak, and how to answer it.
    The scheme must be the one the institution's profile names. Header names are lower
    case."""
    now = app.wall.now()
    epoch = int(now.timestamp())
    scheme: Scheme
    if headers.get("x-gongji-key"):
        scheme = "gongji"
        code = institutions.authenticate(
            app, key_id=headers["x-gongji-key"], timestamp=headers.get("x-gongji-timestamp", ""),
            nonce=headers.get("x-gongji-nonce", ""),
            signature=headers.get("x-gongji-signature", ""), method=method, path=path,
            body=body).id
    elif headers.get("x-tif-paasid"):
        scheme = "tif"
        c = _live(app, "tif", headers["x-tif-paasid"])
        assert c.sealed is not None
        nonce = headers.get("x-tif-nonce", "")
        check_tif(app.sealer.open(c.sealed, context=c.credential_id),
                  timestamp=headers.get("x-tif-timestamp", ""), nonce=nonce,
                  signature=headers.get("x-tif-signature", ""), now_epoch=epoch)
        _once(app, c.credential_id, nonce, int(headers["x-tif-timestamp"]) * 1000)
        code = c.fixmedins_code
    elif headers.get("_api_access_key"):
        scheme = "esb"
        c = _live(app, "esb", headers["_api_access_key"])
        assert c.sealed is not None
        fields = {k: headers[k] for k in ("_api_access_key", "_api_name", "_api_nonce",
                                          "_api_timestamp", "_api_version") if k in headers}
        signature = headers.get("_api_signature", "")
        check_esb(app.sealer.open(c.sealed, context=c.credential_id), fields,
                  signature=signature, now_epoch=epoch)
        # the bus's nonce is optional: a signature seen before is a replay either way
        _once(app, c.credential_id, fields.get("_api_nonce") or signature,
              int(fields["_api_timestamp"]))
        code = c.fixmedins_code
    elif headers.get("authorization", "").lower().startswith("bearer "):
        scheme = "oauth2"
        code = _bearer(app, headers["authorization"][7:].strip(), now)
    else:
        raise GongjiError("UNAUTHENTICATED")

    def load(uow: UnitOfWork) -> Admitted:
        inst = institutions.get_in(uow, code)
        p = store.profile(uow.conn, code)
        profile = Profile() if p is None else Profile(p.scheme, p.infcode_as, p.relay,
                                                      p.relay_opter, p.encrypted)
        if profile.scheme != scheme:
            raise GongjiError("TRANSPORT_SCHEME_REFUSED", expected=SCHEMES[profile.scheme],
                              given=SCHEMES[scheme])
        keys: tuple[SmKeys, ...] = ()
        if profile.encrypted:
            keys = tuple(_keys(app, c) for c in store.credentials(uow.conn, code)
                         if c.kind == "sm" and c.revoked_at is None)
        return Admitted(Principal("institution", code), scheme, profile, inst.fixmedins_name,
                        inst.admdvs, keys)

    return app.read(load, principal=_SYSTEM)


def _keys(app: Gongji, c: store.CredentialRecord) -> SmKeys:
    opened = _sm_secrets(app, c)
    assert c.peer_public is not None
    return SmKeys(c.credential_id, bytes.fromhex(opened["sm4"]), opened["private"],
                  c.peer_public)


def _live(app: Gongji, kind: CredentialKind, principal: str) -> store.CredentialRecord:
    c = app.read_conn(lambda conn: store.by_principal(conn, kind, principal))
    if c is None or c.revoked_at is not None:
        raise GongjiError("SIGNATURE_INVALID", reason="unknown or revoked credential")
    return c


def _once(app: Gongji, credential_id: str, nonce: str, stamped_ms: int) -> None:
    """Each nonce once per credential (institutions.remember_nonce)."""
    institutions.remember_nonce(app, credential_id, nonce[:64], at=max(
        app.wall.now(), datetime.fromtimestamp(stamped_ms / 1000, tz=UTC)))


def _bearer(app: Gongji, access_token: str, now: datetime) -> str:
    t = app.read_conn(lambda conn: store.token(conn, token_digest(access_token)))
    if t is None or t.revoked_at is not None or t.expires_at <= now:
        raise GongjiError("TRANSPORT_TOKEN_INVALID")
    return t.fixmedins_code


# -- OAuth2 ------------------------------------------------------------------------------------

@door
def grant(app: Gongji, *, username: str, password: str) -> Token:
    """The password grant: an access token for TOKEN_SECONDS (RFC 6749 4.3). A wrong name or
    password is refused alike, after the same work."""
    c = app.read_conn(lambda conn: store.by_principal(conn, "oauth2", username))
    try:
        HASHER.verify(c.secret_hash if c and c.secret_hash else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        raise GongjiError("UNAUTHENTICATED") from None
    if c is None or c.revoked_at is not None:
        raise GongjiError("UNAUTHENTICATED")
    access_token = "at_" + pysecrets.token_urlsafe(32)
    now = app.wall.now()

    def run(uow: UnitOfWork) -> None:
        store.add_token(uow.conn, token_digest(access_token), c, at=now,
                        expires_at=now + timedelta(seconds=TOKEN_SECONDS))
        uow.record("transport.token", subject=c.fixmedins_code,
                   detail={"credential_id": c.credential_id})

    app.transact(_SYSTEM, run)
    return Token(access_token, "bearer", TOKEN_SECONDS, "fsi")


_DUMMY = HASHER.hash("never a password: keeps a refusal as slow as a check")


@door
def revoke_token(app: Gongji, *, access_token: str) -> None:
    """RFC 7009: revoking an unknown or revoked token is not an error."""
    now = app.wall.now()
    app.transact(_SYSTEM, lambda uow: store.revoke_token(uow.conn, token_digest(access_token),
                                                         at=now))
