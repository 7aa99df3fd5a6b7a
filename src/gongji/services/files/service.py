"""Files exchanged with an institution through the national interface: what it uploads
(9101, e.g. a detail reconciliation's lines) and what gongji makes for it to download
(9102: catalog downloads, reconciliation results). Kept a day."""

from __future__ import annotations

from datetime import timedelta

from gongji.domain.access import Principal
from gongji.domain.errors import Bi, GongjiError
from gongji.domain.ids import new_code
from gongji.services.access import require_institution
from gongji.services.door import door
from gongji.services.files import store
from gongji.services.files.model import FILE_DAYS, MAX_BYTES, Stored
from gongji.services.institutions import service as institutions
from gongji.services.runtime import ClientKey, Gongji
from gongji.services.unit_of_work import UnitOfWork


def store_in(uow: UnitOfWork, fixmedins_code: str, filename: str, content: bytes) -> Stored:
    no = new_code("F")
    store.add(uow.conn, admdvs=institutions.get_in(uow, fixmedins_code).admdvs,
              file_qury_no=no, fixmedins_code=fixmedins_code, filename=filename, content=content,
              at=uow.now, expires_at=uow.now + timedelta(days=FILE_DAYS))
    return Stored(no, filename)


def content_in(uow: UnitOfWork, fixmedins_code: str, file_qury_no: str) -> bytes:
    found = store.content(uow.conn, fixmedins_code, file_qury_no)
    if found is None:
        raise GongjiError("GATEWAY_FILE_NOT_FOUND", file_qury_no=file_qury_no)
    return found


@door
def upload(app: Gongji, who: Principal, key: ClientKey | str | None, filename: str,
           content: bytes) -> Stored:
    require_institution(who)
    if len(content) > MAX_BYTES:
        raise GongjiError("GATEWAY_FIELD_INVALID", field="input.fsUploadIn.in",
                          reason=Bi("文件超过 20MB", "is larger than 20 MB"))
    return app.write(who, key=key, operation="file.upload",
                     request={"filename": filename, "size": len(content)},
                     fn=lambda uow: store_in(uow, who.id, filename, content),
                     result_type=Stored).value


@door
def download(app: Gongji, who: Principal, file_qury_no: str) -> bytes:
    """A file of this institution's (another's, or an expired one, is not found)."""
    require_institution(who)
    return app.read(lambda uow: content_in(uow, who.id, file_qury_no), principal=who)
