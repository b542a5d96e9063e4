"""Documents of a naming application (申请书, 专家论证意见, 批复文件, 标志照片): PDF, JPG, PNG or Word files,
checked by their content (not their name) and kept in the data file with the application."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import PurePath
from typing import Any

from mzgis.errors import BadInput, NotFound, TooLarge
from mzgis.store import Backend
from mzgis.store.base import utc_now
from mzgis.text import clean_text, safe_filename

__all__ = ["MAX_DOCUMENT_BYTES", "MEDIA_TYPES", "add_document", "get_document", "media_type"]

MAX_DOCUMENT_BYTES = 20 * 2**20
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": DOCX,
}


def media_type(data: bytes) -> str | None:
    """The type of ``data`` by its first bytes (a Word file: a ZIP holding word/document.xml)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist()[:2000])
        except (zipfile.BadZipFile, ValueError):
            return None
        return DOCX if "word/document.xml" in names and "[Content_Types].xml" in names else None
    return None


def add_document(
    store: Backend, procedure_id: int, filename: str, data: bytes, *, user: str, note: str = ""
) -> dict[str, Any]:
    """Keep ``data`` with application ``procedure_id``; refused (nothing kept) when it is empty, over 20 MB or
    not a PDF, JPG, PNG or Word file, whatever its name says."""
    store.get("name_procedures", procedure_id)  # NotFound for an unknown application
    if not data:
        raise BadInput("附件是空文件", "empty document")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise TooLarge(f"附件超过 {MAX_DOCUMENT_BYTES // 2**20} MB", "document too large")
    kind = media_type(data)
    if kind is None:
        raise BadInput("附件应为 PDF、JPG、PNG 或 Word(.docx)文件", "documents are PDF, JPG, PNG or DOCX")
    stem = safe_filename(PurePath(filename.replace("\\", "/")).stem or "附件", fallback="附件", limit=100)
    suffix = next(s for s, t in MEDIA_TYPES.items() if t == kind)
    record = {
        "procedure_id": procedure_id,
        "filename": f"{stem}{suffix}",
        "media_type": kind,
        "sha256": hashlib.sha256(data).hexdigest(),
        "note": _note(note),
        "added_at": utc_now(),
        "added_by": user,
    }
    record["id"] = store.add_document(record, data)
    return record | {"bytes": len(data)}


def _note(note: str) -> str:
    try:
        text = clean_text(note)
    except ValueError as exc:
        raise BadInput(f"附件说明{exc}", "bad note") from None
    if len(text) > 200:
        raise BadInput("附件说明超过 200 个字符", "note too long")
    return text


def get_document(store: Backend, doc_id: int) -> tuple[dict[str, Any], bytes]:
    found = store.document(doc_id)
    if found is None:
        raise NotFound(f"没有编号为 {doc_id} 的附件", f"no document {doc_id}")
    return found
