"""The gateway_files table: files by their query number (file_qury_no), per institution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from gongji.store.tables import gateway_files


def add(conn: Connection, *, admdvs: str, file_qury_no: str, fixmedins_code: str,
        filename: str, content: bytes, at: datetime, expires_at: datetime) -> None:
    conn.execute(insert(gateway_files).values(
        admdvs=admdvs, file_qury_no=file_qury_no, fixmedins_code=fixmedins_code,
        filename=filename[:200],
        content=content, created_at=at, expires_at=expires_at))


def content(conn: Connection, fixmedins_code: str, file_qury_no: str) -> bytes | None:
    """A file's bytes, if the institution has one by that number."""
    row = conn.execute(select(gateway_files.c.content).where(
        gateway_files.c.file_qury_no == file_qury_no,
        gateway_files.c.fixmedins_code == fixmedins_code)).first()
    return None if row is None else bytes(row.content)
