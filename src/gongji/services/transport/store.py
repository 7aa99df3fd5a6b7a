"""Transport profiles, credentials and OAuth2 tokens as typed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from gongji.domain.transport import CredentialKind, InfcodeAs, Scheme
from gongji.store.tables import institution_transports, oauth_tokens, transport_credentials


@dataclass(frozen=True, slots=True)
class ProfileRecord:
    scheme: Scheme
    infcode_as: InfcodeAs
    relay: bool
    relay_opter: str
    encrypted: bool


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    credential_id: str
    fixmedins_code: str
    kind: CredentialKind
    principal: str
    sealed: str | None
    secret_hash: str | None
    peer_public: str | None
    created_at: datetime
    revoked_at: datetime | None


def profile(conn: Connection, code: str) -> ProfileRecord | None:
    r = conn.execute(select(institution_transports)
                     .where(institution_transports.c.fixmedins_code == code)).first()
    if r is None:
        return None
    return ProfileRecord(r.scheme, r.infcode_as, bool(r.relay), r.relay_opter,
                         bool(r.encrypted))


def put_profile(conn: Connection, code: str, p: ProfileRecord, *, at: datetime) -> None:
    values = {"scheme": p.scheme, "infcode_as": p.infcode_as, "relay": p.relay,
              "relay_opter": p.relay_opter, "encrypted": p.encrypted, "updated_at": at}
    done = conn.execute(update(institution_transports)
                        .where(institution_transports.c.fixmedins_code == code).values(**values))
    if not done.rowcount:
        conn.execute(insert(institution_transports).values(fixmedins_code=code, **values))


def _credential(r: object) -> CredentialRecord:
    return CredentialRecord(*(getattr(r, c.name) for c in transport_credentials.columns))


def credentials(conn: Connection, code: str) -> list[CredentialRecord]:
    rows = conn.execute(select(transport_credentials)
                        .where(transport_credentials.c.fixmedins_code == code)
                        .order_by(transport_credentials.c.created_at,
                                  transport_credentials.c.credential_id))
    return [_credential(r) for r in rows]


def credential(conn: Connection, credential_id: str) -> CredentialRecord | None:
    r = conn.execute(select(transport_credentials)
                     .where(transport_credentials.c.credential_id == credential_id)).first()
    return None if r is None else _credential(r)


def by_principal(conn: Connection, kind: CredentialKind, principal: str
                 ) -> CredentialRecord | None:
    r = conn.execute(select(transport_credentials).where(
        transport_credentials.c.kind == kind,
        transport_credentials.c.principal == principal)).first()
    return None if r is None else _credential(r)


def add_credential(conn: Connection, c: CredentialRecord) -> None:
    conn.execute(insert(transport_credentials).values(
        credential_id=c.credential_id, fixmedins_code=c.fixmedins_code, kind=c.kind,
        principal=c.principal, sealed=c.sealed, secret_hash=c.secret_hash,
        peer_public=c.peer_public, created_at=c.created_at, revoked_at=None))


def revoke_credential(conn: Connection, credential_id: str, *, at: datetime) -> None:
    conn.execute(update(transport_credentials)
                 .where(transport_credentials.c.credential_id == credential_id,
                        transport_credentials.c.revoked_at.is_(None)).values(revoked_at=at))
    conn.execute(update(oauth_tokens)
                 .where(oauth_tokens.c.credential_id == credential_id,
                        oauth_tokens.c.revoked_at.is_(None)).values(revoked_at=at))


@dataclass(frozen=True, slots=True)
class TokenRecord:
    credential_id: str
    fixmedins_code: str
    expires_at: datetime
    revoked_at: datetime | None


def add_token(conn: Connection, digest: str, c: CredentialRecord, *, at: datetime,
              expires_at: datetime) -> None:
    conn.execute(insert(oauth_tokens).values(
        token_digest=digest, credential_id=c.credential_id, fixmedins_code=c.fixmedins_code,
        issued_at=at, expires_at=expires_at))
    # tokens a day past their expiry can never be used again: forget them as we go
    conn.execute(delete(oauth_tokens).where(oauth_tokens.c.expires_at < at - timedelta(days=1)))


def token(conn: Connection, digest: str) -> TokenRecord | None:
    r = conn.execute(select(oauth_tokens.c.credential_id, oauth_tokens.c.fixmedins_code,
                            oauth_tokens.c.expires_at, oauth_tokens.c.revoked_at)
                     .where(oauth_tokens.c.token_digest == digest)).first()
    return None if r is None else TokenRecord(r.credential_id, r.fixmedins_code,
                                              r.expires_at, r.revoked_at)


def revoke_token(conn: Connection, digest: str, *, at: datetime) -> None:
    conn.execute(update(oauth_tokens).where(oauth_tokens.c.token_digest == digest,
                                            oauth_tokens.c.revoked_at.is_(None))
                 .values(revoked_at=at))
