"""Settings from the environment (GONGJI_*) and the command line; nothing else reads env."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB = "sqlite:///" + str(Path("gongji.db").absolute())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GONGJI_", extra="ignore")

    db: str = DEFAULT_DB
    """Database URL: sqlite:///FILE (embedded default) or postgresql://USER@HOST/DB."""
    admin_token: str | None = None
    """A bootstrap operator token; `gongji token create` makes more."""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    log_json: bool = False
    """One JSON object per log line (for log shippers) instead of readable text."""
    sandbox: bool = False
    """Test clocks an operator can set and advance (never in production)."""
    group_commit: bool = False
    """SQLite: writers queued in one process share one transaction and one fsync."""
    sweep_interval_seconds: float = 1.0
    """How often `serve` expires due holds."""
    secret_key: str | None = None
    """64 hex: the key that seals stored credentials (docs/GATEWAY.md). Unset: a key file
    beside the database (secret_key_file)."""
    secret_key_file: str | None = None
    """Where the sealing key is kept when secret_key is unset (made on first start, 0600).
    Default: the SQLite file's path + ".key", or ./gongji.key for PostgreSQL."""
    gateway_paths: str = ("/fsi/api/rsfComIfsService/callService,"
                          "/mbs/fmi/fsi/api/callFsiService/callService,"
                          "/mbs/fmi/fsi/api/rsfComIfsService/callService,"
                          "/fsi/api/callFsiService/callService")
    """The national interface's callService paths HIS vendors compile in (comma-separated);
    9101/9102 answer at .../fileupload/upload and .../fileupload/download beside each."""

    max_body_bytes: int = Field(1 << 20, ge=1)
    """The largest request body read (1 MiB); a larger one is refused with 413 BODY_TOO_LARGE
    before it is read (by Content-Length, or counted as it streams in)."""
    max_upload_bytes: int = Field(64 << 20, ge=1)
    """The largest file upload read (64 MiB): the national interface's 9101
    (.../fileupload/upload) and the catalog import (/api/v1/catalog/{admdvs}/import, the
    console's catalog page)."""

    trusted_proxies: str = ""
    """Addresses or networks of the reverse proxies in front (comma-separated, e.g.
    "127.0.0.1, 10.0.0.0/8"). Only a request from one of them is believed about the client's
    address (X-Forwarded-For) and scheme (X-Forwarded-Proto: https makes cookies Secure).
    Empty: no one is believed; the peer's own address and scheme count."""
    metrics: Literal["token", "public", "off"] = "token"
    """/metrics: for an operator token (Authorization: Bearer), for anyone, or not served."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"trusted_proxies: {part.strip()!r} is not an address "
                                     "or a network") from None
        return value

    checkpoint_key: str | None = None
    """The Ed25519 private key (PEM file, `gongji checkpoint-key`) the server signs its
    periodic checkpoints with; with checkpoint_to set, the server appends one every
    checkpoint_interval_seconds. Off unless both are set (docs/RELIABILITY.md)."""
    checkpoint_to: str | None = None
    """The file checkpoints are appended to: keep it on other storage than the database."""
    checkpoint_interval_seconds: float = Field(300.0, gt=0)
    """How often the server checkpoints (what a rewrite of the chains can still hide is
    what came after the latest checkpoint)."""

    def call_paths(self) -> list[str]:
        return [p.strip() for p in self.gateway_paths.split(",") if p.strip()]
