"""Settings from the environment (GONGJI_*) and the command line; nothing else reads env."""

from __future__ import annotations

from pathlib import Path

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

    def call_paths(self) -> list[str]:
        return [p.strip() for p in self.gateway_paths.split(",") if p.strip()]
