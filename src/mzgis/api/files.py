"""Files sent to the browser: a download response with a Chinese file name, and a folder as a ZIP."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

from fastapi import Response

__all__ = ["MEDIA_TYPES", "download", "zip_folder"]

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".geojson": "application/geo+json",
    ".gpkg": "application/geopackage+sqlite3",
    ".zip": "application/zip",
}


def download(data: bytes, filename: str) -> Response:
    """``data`` as an attachment named ``filename`` (RFC 6266/5987: an ASCII fallback and the UTF-8 name)."""
    suffix = Path(filename).suffix.lower()
    fallback = "download" + suffix
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    media_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


def zip_folder(folder: Path, *, root: str) -> bytes:
    """Every file under ``folder`` in a ZIP, below the directory ``root``, with UTF-8 names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()
