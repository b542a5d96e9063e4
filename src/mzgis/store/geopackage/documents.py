"""Documents kept in the data file with a naming application (the application, expert opinions, the
approval letter, photos of signs): a table beside the layers, not registered in gpkg_contents, created on
first use. The bytes are checked by the service (:mod:`mzgis.gazetteer.documents`) before they get here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mzgis.store.base import DocumentStore
from mzgis.store.geopackage.connection import opened
from mzgis.store.tables import DOCUMENTS_TABLE

__all__ = ["GeoPackageDocuments"]

_SQL = f"""CREATE TABLE IF NOT EXISTS {DOCUMENTS_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  procedure_id INTEGER NOT NULL,
  filename TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 120),
  media_type TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
  bytes INTEGER NOT NULL CHECK (bytes > 0),
  sha256 TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  data BLOB NOT NULL,
  added_at TEXT NOT NULL,
  added_by TEXT NOT NULL
)"""
_FIELDS = ("id", "procedure_id", "filename", "media_type", "bytes", "sha256", "note", "added_at", "added_by")


class GeoPackageDocuments(DocumentStore):
    path: Path
    write_wait_s: float

    @contextmanager
    def _docs(self) -> Iterator[sqlite3.Connection]:
        with opened(self.path, self.write_wait_s) as conn:
            conn.execute(_SQL)
            conn.execute(f"CREATE INDEX IF NOT EXISTS {DOCUMENTS_TABLE}_procedure ON {DOCUMENTS_TABLE} (procedure_id)")
            with conn:
                yield conn

    def add_document(self, record: dict[str, Any], data: bytes) -> int:
        with self._docs() as conn:
            cur = conn.execute(
                f"INSERT INTO {DOCUMENTS_TABLE} (procedure_id, filename, media_type, bytes, sha256, note, data,"
                " added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record["procedure_id"],
                    record["filename"],
                    record["media_type"],
                    len(data),
                    record["sha256"],
                    record.get("note", ""),
                    data,
                    record["added_at"],
                    record["added_by"],
                ),
            )
            return int(cur.lastrowid or 0)

    def documents(self, procedure_id: int) -> list[dict[str, Any]]:
        with self._docs() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(_FIELDS)} FROM {DOCUMENTS_TABLE} WHERE procedure_id = ? ORDER BY id",
                (procedure_id,),
            ).fetchall()
        return [dict(zip(_FIELDS, r, strict=True)) for r in rows]

    def document(self, doc_id: int) -> tuple[dict[str, Any], bytes] | None:
        with self._docs() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_FIELDS)}, data FROM {DOCUMENTS_TABLE} WHERE id = ?", (doc_id,)
            ).fetchone()
        return None if row is None else (dict(zip(_FIELDS, row[:-1], strict=True)), bytes(row[-1]))
