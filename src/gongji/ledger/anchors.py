"""Checkpoints of the audit chains, signed with a key the database never holds.

The chains are SHA-256 without a key: whoever can write the database can rewrite a chain and
recompute every hash after it, and the chain still verifies. A checkpoint is every chain's
head (seq, hash) at one moment, signed with an Ed25519 key kept outside the database, and
appended as one JSON line to a file of the operator's choosing (`gongji checkpoint`, or the
server every N seconds). `gongji verify --anchors` then requires every head of the latest
checkpoint to be still in its chain at that seq with that hash; the chain walk checks that
everything before it links back to the first record and everything after it links on. A
rewrite of anything up to the latest checkpoint therefore shows; what came after it cannot
be told from a consistent rewrite (docs/RELIABILITY.md, "Threat model").

A line: {"at": UTC time, "heads": {chain: [seq, hash]}, "key": key id, "sig": base64, "v": 1};
the signature covers the canonical JSON of the line without "sig".
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, text

from gongji.domain.errors import GongjiError
from gongji.ledger.audit import canonical_json, utc_iso

VERSION = 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    at: str
    """When it was taken (UTC, the machine's real clock)."""
    heads: dict[str, tuple[int, str]]
    """Every chain's head then: seq and hash of its last record."""
    key_id: str
    back: int
    """Its line in the file counted from the end (1 = the last), for messages."""


@dataclass(frozen=True, slots=True)
class Anchors:
    """What a checkpoint file holds, as far as verify reads it: the latest line signed by the
    given key, and every line after it that is not (edited, forged, or another key's)."""

    path: str
    latest: Checkpoint | None
    problems: list[tuple[int, str]] = field(default_factory=list)


# -- keys ----------------------------------------------------------------------------------

def new_key() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key: (private PEM, public PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def private_key(pem: bytes, path: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as e:
        raise GongjiError("CHECKPOINT_KEY_INVALID", path=path, kind="private key",
                          reason=str(e)[:80]) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise GongjiError("CHECKPOINT_KEY_INVALID", path=path, kind="private key",
                          reason=type(key).__name__)
    return key


def public_key(pem: bytes, path: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as e:
        raise GongjiError("CHECKPOINT_KEY_INVALID", path=path, kind="public key",
                          reason=str(e)[:80]) from None
    if not isinstance(key, Ed25519PublicKey):
        raise GongjiError("CHECKPOINT_KEY_INVALID", path=path, kind="public key",
                          reason=type(key).__name__)
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key (the start of the SHA-256 of its raw bytes)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- writing -------------------------------------------------------------------------------

def heads(conn: Connection) -> dict[str, tuple[int, str]]:
    """Every chain's head, in one snapshot."""
    return {str(r.chain): (int(r.seq), str(r.hash)) for r in conn.execute(text(
        "SELECT chain, seq, hash FROM audit_heads ORDER BY chain"))}


def sign(chain_heads: dict[str, tuple[int, str]], at: datetime,
         key: Ed25519PrivateKey) -> str:
    """One checkpoint line (no newline)."""
    body: dict[str, Any] = {"v": VERSION, "at": utc_iso(at), "key": key_id(key.public_key()),
                            "heads": {c: [s, h] for c, (s, h) in sorted(chain_heads.items())}}
    sig = key.sign(canonical_json(body).encode())
    return canonical_json({**body, "sig": base64.b64encode(sig).decode()})


def append(path: Path, line: str) -> None:
    """Append one line and make it durable (O_APPEND: writers never overwrite each other)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            # a line cut short by a crash stays a line of its own, not the start of this one
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            os.write(fd, (("\n" if torn else "") + line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise GongjiError("CHECKPOINT_FILE_UNREADABLE", path=str(path),
                          reason=e.strerror or type(e).__name__) from None


# -- reading -------------------------------------------------------------------------------

def load(path: Path, key: Ed25519PublicKey) -> Anchors:
    """The latest checkpoint in the file signed by key, read from the end (the file grows by
    a line per checkpoint for ever; only its tail is read). Lines are numbered from the end:
    1 is the last."""
    problems: list[tuple[int, str]] = []
    try:
        back = 0
        for raw in _lines_from_end(path):
            if not raw.strip():
                continue
            back += 1
            found = _checkpoint(raw, key, back)
            if isinstance(found, Checkpoint):
                return Anchors(str(path), found, problems)
            problems.append((back, found))
    except OSError as e:
        raise GongjiError("CHECKPOINT_FILE_UNREADABLE", path=str(path),
                          reason=e.strerror or type(e).__name__) from None
    return Anchors(str(path), None, problems)


def _checkpoint(raw: bytes, key: Ed25519PublicKey, back: int) -> Checkpoint | str:
    """The checkpoint on this line, or why it is not one."""
    try:
        data = json.loads(raw)
        sig = base64.b64decode(data.pop("sig"), validate=True)
        if data.get("v") != VERSION:
            return f"version {data.get('v')} is not {VERSION}"
        if data.get("key") != key_id(key):
            return f"signed by another key ({data.get('key')})"
        key.verify(sig, canonical_json(data).encode())
        chain_heads = {str(c): (int(s), str(h)) for c, (s, h) in data["heads"].items()}
        return Checkpoint(str(data["at"]), chain_heads, str(data["key"]), back)
    except InvalidSignature:
        return "its signature does not match its content (edited or forged)"
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return f"not a checkpoint ({type(e).__name__})"


def _lines_from_end(path: Path, block: int = 1 << 16) -> Iterator[bytes]:
    """The file's lines, last first, read backwards block by block as they are asked for."""
    with open(path, "rb") as f:
        pos = f.seek(0, os.SEEK_END)
        rest = b""
        while pos > 0:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            parts = (f.read(step) + rest).split(b"\n")
            rest = parts[0]
            yield from reversed(parts[1:])
        yield rest
