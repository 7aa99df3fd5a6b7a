"""Secrets at rest: what the server must read back (an HMAC secret, a TIF token, an SM4 key)
is kept sealed with AES-256-GCM under the server's key, never as plain text in the database.

The server's key comes from GONGJI_SECRET_KEY (64 hex) or a key file beside the database
(made on first start, mode 0600; back it up with the database). A dump of the database alone
gives no usable credential. What the server only compares (a password) is hashed instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1:"


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the server's secret key must be 32 bytes (64 hex)")
        self._aead = AESGCM(key)
        self._tag_key = hmac.new(key, b"gongji tag v1", hashlib.sha256).digest()

    @classmethod
    def ephemeral(cls) -> Sealer:
        """A key for this process only (tests, and services built without settings)."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_hex(cls, text: str) -> Sealer:
        try:
            return cls(bytes.fromhex(text.strip()))
        except ValueError:
            raise ValueError("GONGJI_SECRET_KEY must be 64 hex characters") from None

    @classmethod
    def from_file(cls, path: Path) -> Sealer:
        """The key in this file, made (0600) when the file does not exist yet. The new file
        appears whole or not at all (written aside, then linked), so processes starting at
        once agree on one key."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            try:
                os.link(aside, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                aside.unlink()
        return cls.from_hex(path.read_text())

    @classmethod
    def for_database(cls, url: str, key_file: str | None = None) -> Sealer:
        """The sealing key of a database: its file beside a SQLite file, ./gongji.key for a
        server database, one for this process for an in-memory database."""
        if key_file:
            return cls.from_file(Path(key_file))
        if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") == "sqlite:"):
            return cls.ephemeral()
        return cls.from_file(default_key_file(url))

    def seal(self, plain: str, *, context: str) -> str:
        """Sealed text; the context (e.g. the credential id) is bound in, so a sealed value
        copied to another row does not open."""
        nonce = secrets.token_bytes(12)
        box = self._aead.encrypt(nonce, plain.encode(), context.encode())
        return PREFIX + base64.b64encode(nonce + box).decode()

    def open(self, sealed: str, *, context: str) -> str:
        if not sealed.startswith(PREFIX):
            return sealed  # written before secrets were sealed (institution keys of 0005)
        raw = base64.b64decode(sealed[len(PREFIX):])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag:
            raise ValueError("a sealed secret does not open with this server's key "
                             "(GONGJI_SECRET_KEY or the key file changed?)") from None

    def tag(self, text: str, *, context: str) -> str:
        """A keyed digest of text (HMAC-SHA256 under a key derived from the server's): the
        same text always gives the same tag, so it can be looked up, yet a database dump alone
        cannot test guesses against it (an ID number, a client address)."""
        return hmac.new(self._tag_key, f"{context}\0{text}".encode(),
                        hashlib.sha256).hexdigest()


def default_key_file(url: str) -> Path:
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///").split("?")[0] + ".key")
    return Path("gongji.key").absolute()
