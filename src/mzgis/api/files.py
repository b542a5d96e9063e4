"""Files sent to the browser: a download response with a Chinese file name."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Response

__all__ = ["MEDIA_TYPES", "download", "download_responses"]

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".geojson": "application/geo+json",
    ".gpkg": "application/geopackage+sqlite3",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html; charset=utf-8",
    ".jpg": "image/jpeg",
}


def download(data: bytes, filename: str) -> Response:
    """``data`` as an attachment named ``filename`` (RFC 6266/5987: an ASCII fallback and the UTF-8 name)."""
    suffix = Path(filename).suffix.lower()
    fallback = "download" + suffix
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    media_type = MEDIA_TYPES.get(suffix, "application/octet-stream")
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


def download_responses(*suffixes: str) -> dict[int | str, dict[str, object]]:
    """The OpenAPI ``responses`` entry of a route that sends files with these suffixes."""
    binary = {"type": "string", "format": "binary"}
    return {
        200: {
            "content": {MEDIA_TYPES[s]: {"schema": {"type": "object"} if s == ".geojson" else binary} for s in suffixes}
        }
    }
