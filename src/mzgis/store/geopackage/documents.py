"""Documents kept in the data file with a naming application (the application, expert opinions, the
approval letter, photos of signs): a table beside the layers, not registered in gpkg_contents, created on
first use. The bytes are checked by the service (:mod:`mzgis.gazetteer.documents`) before they get here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mzgis.store.geopackage.connection import opened
from mzgis.store.sql import SqlDocuments
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


class GeoPackageDocuments(SqlDocuments):
    path: Path
    write_wait_s: float

    @contextmanager
    def _documents_connection(self) -> Iterator[sqlite3.Connection]:
        with opened(self.path, self.write_wait_s) as conn:
            conn.execute(_SQL)
            conn.execute(f"CREATE INDEX IF NOT EXISTS {DOCUMENTS_TABLE}_procedure ON {DOCUMENTS_TABLE} (procedure_id)")
            with conn:
                yield conn
