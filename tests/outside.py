"""Another tool's connection to a store, as officers have them: sqlite3 (or GDAL, QGIS) on the GeoPackage,
psql's libpq on the PostGIS database. The integrity tests edit through it on both backends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.store import Backend, GeoPackageStore
from mzgis.store.geopackage import binary as gpkg_binary

# what another tool's refused statement raises
REFUSED = (sqlite3.IntegrityError, psycopg.errors.IntegrityError)


class Tool:
    """Another tool's connection: sqlite3 on the file (with the ST_* functions GDAL registers too), psql's
    libpq on the database. SQL uses ``?`` for values and ``{geom}`` where a geometry value goes."""

    def __init__(self, store: Backend) -> None:
        self.store = store
        if isinstance(store, GeoPackageStore):
            self.sqlite: sqlite3.Connection | None = sqlite3.connect(store.path)
            gpkg_binary.register_functions(self.sqlite)
        else:
            self.sqlite = None
            self.pg = psycopg.connect(store.url, autocommit=True)  # type: ignore[attr-defined]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the id of the row it inserted (0 when none)."""
        if self.sqlite is not None:
            values = [gpkg_binary.encode(v, 4490) if isinstance(v, BaseGeometry) else v for v in params]
            cur = self.sqlite.execute(sql.replace("{geom}", "?"), values)
            self.sqlite.commit()
            return int(cur.lastrowid or 0) if sql.lstrip().upper().startswith("INSERT") else 0
        values = [shapely.to_wkb(v) if isinstance(v, BaseGeometry) else v for v in params]
        sql = sql.replace("?", "%s").replace("{geom}", "ST_GeomFromWKB(%s, 4490)")
        if sql.lstrip().upper().startswith("INSERT"):
            row = self.pg.execute(sql + " RETURNING id", values).fetchone()
            return int(row[0]) if row else 0
        self.pg.execute(sql, values)
        return 0

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        else:
            self.pg.close()


@contextmanager
def outside(store: Backend) -> Iterator[Tool]:
    tool = Tool(store)
    try:
        yield tool
    finally:
        tool.close()
