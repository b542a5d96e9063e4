"""The embedded store: one GeoPackage file, written with the standard library's sqlite3.

The file stays a valid GeoPackage after our writes: feature tables in EPSG:4490 registered in
``gpkg_contents`` and ``gpkg_geometry_columns``, an R-tree per geometry column kept by the standard
triggers (their ST_* functions are registered on our connections), WAL journal so readers are never
blocked by the one writer. The audit and changeset tables live in the same file and commit with the data.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.crs import STORAGE_EPSG
from mzgis.errors import Conflict, MzgisError, RuleViolation
from mzgis.layers import (
    LAYERS,
    Layer,
    get_layer,
    promote_geometry,
)
from mzgis.store.base import (
    SYSTEM_TABLES,
    Backend,
    Bounds,
    Feature,
    Loader,
    Transaction,
    account_values,
    fill_sql,
    require_user,
    utc_now,
)
from mzgis.store.geopackage import binary as gpkg_binary
from mzgis.store.geopackage.accounts import GeoPackageAccounts
from mzgis.store.geopackage.connection import (
    WRITE_WAIT_S,
    busy_is_an_error,
    clear_writer,
    connect,
    made_once,
    note_writer,
    opened,
)
from mzgis.store.geopackage.documents import GeoPackageDocuments
from mzgis.store.geopackage.schema import (
    APPLICATION_ID,
    CORE_SQL,
    SESSION_TABLE,
    USER_VERSION,
    check_file,
    create_layer,
    rtree_name,
    srs_rows,
)
from mzgis.store.rows import (
    pinned_read,
    to_json,
    validated,
)
from mzgis.store.seal import HISTORY_KEPT, HISTORY_TABLES, SEAL_TABLE, seal_pending
from mzgis.store.sql import (
    Dialect,
    SqlStore,
    SqlTransaction,
    audit_insert,
    audit_row,
    inserted,
    meta_upsert,
)
from mzgis.store.tables import (
    AUDIT_TABLE,
    CHANGESET_TABLE,
    DOCUMENTS_TABLE,
    GEOM,
    META_TABLE,
    SCHEMA_VERSION,
    STORE_ID_KEY,
    USERS_TABLE,
    q,
)

__all__ = ["AUDIT_TABLE", "CHANGESET_TABLE", "WRITE_WAIT_S", "GeoPackageStore", "create_geopackage"]


# ---------------------------------------------------------------- creation


def create_geopackage(path: Path, *, clock: Callable[[], str] = utc_now) -> None:
    """Create an empty mzgis GeoPackage at ``path`` (which must not exist) with every layer."""
    stamp = clock()
    with closing(connect(path)) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN")
        for sql in CORE_SQL:
            conn.execute(sql)
        conn.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs_rows())
        for layer in LAYERS.values():
            create_layer(conn, layer, stamp)
        for table in (AUDIT_TABLE, CHANGESET_TABLE):
            conn.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                " VALUES (?, 'attributes', ?, ?, ?)",
                (table, table, "修改记录 (audit)" if table == AUDIT_TABLE else "变更集 (changesets)", stamp),
            )
        conn.executemany(
            f"INSERT INTO {META_TABLE} VALUES (?, ?)",
            [("schema_version", SCHEMA_VERSION), ("created_at", stamp), (STORE_ID_KEY, str(uuid.uuid4()))],
        )
        conn.execute("COMMIT")


# ---------------------------------------------------------------- values


class SqliteDialect(Dialect):
    """SQLite as a GeoPackage holds it: geometries in the GeoPackage binary format, booleans as 0 and 1,
    JSON as text; a box query through the layer's R-tree."""

    mark = "?"
    no_limit = -1

    def geom_out(self, column: str) -> str:
        return column

    def geom_in(self) -> str:
        return "?"

    def encode(self, geom: BaseGeometry | None) -> Any:
        return gpkg_binary.encode(geom, STORAGE_EPSG)

    def decode_many(self, values: Sequence[Any]) -> list[BaseGeometry | None]:
        return gpkg_binary.decode_many(list(values))

    history_sql = (
        f"CREATE TABLE IF NOT EXISTS {SEAL_TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " audit_id INTEGER NOT NULL UNIQUE, hash TEXT NOT NULL)",
        *(
            f"CREATE TRIGGER IF NOT EXISTS {table}_kept_{op.lower()} BEFORE {op} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{HISTORY_KEPT}'); END"
            for table in HISTORY_TABLES
            for op in ("UPDATE", "DELETE")
        ),
    )

    def has_table(self, conn: Any, name: str) -> bool:
        return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone())

    def extent_sql(self, lay: Layer) -> str:
        tree = q(rtree_name(lay.name))
        return f"SELECT min(minx) AS x0, min(miny) AS y0, max(maxx) AS x1, max(maxy) AS y1 FROM {tree}"

    def bbox(self, lay: Layer, bounds: Bounds) -> tuple[str, list[Any]]:
        minx, miny, maxx, maxy = bounds
        tree = q(rtree_name(lay.name))
        return (
            f"id IN (SELECT id FROM {tree} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)",
            [maxx, minx, maxy, miny],
        )

    def any_value(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        return f"{column} IN ({', '.join('?' * len(values))})", values

    def value_in(self, value: Any) -> Any:
        return int(value) if isinstance(value, bool) else value

    def value_out(self, f_type: str, value: Any) -> Any:
        return bool(value) if f_type == "boolean" and value is not None else value

    def json_in(self, value: Any) -> Any:
        return to_json(value)

    def json_out(self, value: Any) -> Any:
        return None if value is None else json.loads(value)

    def refusal(self, lay: Layer, exc: Exception, clean: Mapping[str, Any]) -> MzgisError | None:
        if not isinstance(exc, sqlite3.IntegrityError):
            return None
        text = str(exc)
        if "UNIQUE" in text:
            cols = re.findall(rf"{lay.name}\.(\w+)", text)
            shown = "、".join(f"{c}={clean.get(c)!s}" for c in cols) or text
            return Conflict(
                f"{lay.label_zh}中已有相同的 {shown}", f"{lay.name}: duplicate {', '.join(cols)}", fields=cols
            )
        return RuleViolation(f"{lay.label_zh}:数据库约束不满足({text})", f"{lay.name}: constraint failed: {text}")


SQLITE = SqliteDialect()


def _make_history(conn: sqlite3.Connection) -> None:
    for sql in SQLITE.history_sql:
        conn.execute(sql)


_to_sql = SQLITE.value_in


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """The INSERT of ``columns`` into ``table`` (made once per column set: an import inserts many rows)."""
    return f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join('?' * len(columns))})"


# ---------------------------------------------------------------- the store


class _GpkgTransaction(SqlTransaction):
    """One writer at a time holds the file's write lock (``BEGIN IMMEDIATE``); the extents of the layers in
    gpkg_contents follow the geometries written."""

    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection, changeset: int, user: str, reason: str, stamp: str) -> None:
        super().__init__(conn, changeset, user, reason, stamp)
        self.grown: dict[str, tuple[float, float, float, float]] = {}  # bounds of the geometries written
        self.shrunk: set[str] = set()  # layers whose extent a delete or move may have made smaller

    def _left(self, layer: str, geom: BaseGeometry | None) -> None:
        """A geometry leaves its place: the extent can only shrink if it touched the extent's edge."""
        if geom is None or geom.is_empty or layer in self.shrunk:
            return
        row = self._conn.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", (layer,)
        ).fetchone()
        minx, miny, maxx, maxy = geom.bounds
        if row is None or None in tuple(row) or minx <= row[0] or miny <= row[1] or maxx >= row[2] or maxy >= row[3]:
            self.shrunk.add(layer)

    def moved(self, layer: str, old: BaseGeometry | None, new: BaseGeometry | None) -> None:
        self._left(layer, old)
        self._grow(layer, new)

    def _grow(self, layer: str, geom: BaseGeometry | None) -> None:
        if geom is None or geom.is_empty:
            return
        minx, miny, maxx, maxy = geom.bounds
        old = self.grown.get(layer)
        if old is not None:
            minx, miny, maxx, maxy = min(minx, old[0]), min(miny, old[1]), max(maxx, old[2]), max(maxy, old[3])
        self.grown[layer] = (minx, miny, maxx, maxy)

    def _insert_row(
        self, lay: Layer, properties: Mapping[str, Any], geometry: BaseGeometry | None
    ) -> tuple[int, dict[str, Any], BaseGeometry | None]:
        self.check_gate(lay)
        geometry = promote_geometry(lay, geometry)
        clean = validated(lay, properties, geometry)
        cols = [*list(clean), "version", "updated_at", "updated_by"]
        vals = [_to_sql(v) for v in clean.values()] + [1, self.stamp, self.user]
        if lay.geometry:
            cols.insert(0, GEOM)
            vals.insert(0, SQLITE.encode(geometry))
            self._grow(lay.name, geometry)
        cur = self._execute(lay, _insert_sql(lay.name, tuple(cols)), vals, clean)
        fid = int(cur.lastrowid or 0)
        self._audit(lay.name, fid, "insert", 1, None, inserted(lay, clean, geometry))
        self.touched.add(lay.name)
        return fid, clean, geometry

    def insert(self, layer: str, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> Feature:
        lay = get_layer(layer)
        fid, clean, geom = self._insert_row(lay, properties, geometry)
        return Feature(lay.name, fid, 1, clean, geom, self.stamp, self.user)  # as stored: no read back

    def _insert_checked(
        self, lay: Layer, clean_rows: list[dict[str, Any]], geometries: list[BaseGeometry | None], reasons: list[str]
    ) -> list[int]:
        """All written in two statements (the rows with the ids that follow the layer's last one, then their
        audit rows): the per-row work in SQLite is the file's triggers and indexes. A row the file refuses is
        named by inserting the rows one by one."""
        (last,) = self._conn.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),"
            f" coalesce((SELECT max(id) FROM {q(lay.name)}), 0))",
            (lay.name,),
        ).fetchone()
        ids = list(range(int(last) + 1, int(last) + 1 + len(clean_rows)))
        fields = list(lay.field_names)
        cols = ["id", *fields, "version", "updated_at", "updated_by"]
        blobs: list[Any] = [None] * len(clean_rows)
        if lay.geometry:
            cols.insert(1, GEOM)
            blobs = [SQLITE.encode(g) for g in geometries]
            present = [g for g in geometries if g is not None and not g.is_empty]
            if present:
                minx, miny, maxx, maxy = shapely.total_bounds(present)
                self._grow(lay.name, shapely.box(minx, miny, maxx, maxy))
        values = [
            [fid, *([blob] if lay.geometry else []), *(_to_sql(c[f]) for f in fields), 1, self.stamp, self.user]
            for fid, blob, c in zip(ids, blobs, clean_rows, strict=True)
        ]
        audits = [
            audit_row(SQLITE, self, lay.name, fid, "insert", 1, reason, None, inserted(lay, clean, geom))
            for fid, clean, geom, reason in zip(ids, clean_rows, geometries, reasons, strict=True)
        ]
        self._conn.execute("SAVEPOINT insert_many")
        try:
            self._conn.executemany(_insert_sql(lay.name, tuple(cols)), values)
        except sqlite3.IntegrityError:
            self._conn.execute("ROLLBACK TO insert_many")
            self._conn.execute("RELEASE insert_many")
            for clean, geom, reason in zip(clean_rows, geometries, reasons, strict=True):
                self._reason = reason
                self._insert_row(lay, clean, geom)  # raises for the row the file refuses, by name
            raise AssertionError("a row was refused together but not alone") from None
        self._conn.execute("RELEASE insert_many")
        self._conn.executemany(audit_insert(SQLITE), audits)
        self.touched.add(lay.name)
        return ids


class GeoPackageStore(SqlStore, Backend, GeoPackageAccounts, GeoPackageDocuments):
    """The store on a GeoPackage file. Each method uses its own short-lived connection, or inside
    :meth:`reuse` the one this thread shares for the block; none outlives the call that opened it (GDAL's own
    SQLite in the same process, pyogrio's copy of the library, deletes the WAL under connections it does not
    know of when it closes the file: saves made on them later never reach the file)."""

    dialect = SQLITE
    revision_column = "id"  # the audit rows' ids: one writer at a time, so they are in commit order

    def __init__(
        self, path: Path | str, *, clock: Callable[[], str] = utc_now, write_wait_s: float = WRITE_WAIT_S
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self.write_wait_s = write_wait_s
        self._snapshots = threading.local()  # a read connection pinned by snapshot(), per thread
        check_file(self.path)
        self._shared = threading.local()  # the connection reuse() shares, per thread

    @classmethod
    def create(cls, path: Path | str, *, clock: Callable[[], str] = utc_now) -> GeoPackageStore:
        """Create an empty GeoPackage with every layer and open it."""
        create_geopackage(Path(path), clock=clock)
        return cls(path, clock=clock)

    @property
    def location(self) -> str:
        return str(self.path)

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        pinned = getattr(self._snapshots, "conn", None)
        return nullcontext(pinned) if pinned is not None else self._opened()

    @contextmanager
    def _opened(self) -> Iterator[sqlite3.Connection]:
        """The connection reuse() shares, else a short-lived one; a lock wait that ran out is :class:`Busy`."""
        shared = getattr(self._shared, "conn", None)
        if shared is None:
            with opened(self.path, self.write_wait_s) as conn:
                yield conn
            return
        with busy_is_an_error(self.path, self.write_wait_s):
            yield shared

    @contextmanager
    def reuse(self) -> Iterator[None]:
        """This thread's reads and writes inside the block share one connection, closed at its end: a save's
        reads and its write open one connection, not four (each new connection reads the file's schema, about
        2 ms). Inside another, the outer one holds."""
        if getattr(self._shared, "conn", None) is not None:
            yield
            return
        conn = connect(self.path, wait_s=self.write_wait_s)
        conn.row_factory = sqlite3.Row
        self._shared.conn = conn
        try:
            yield
        finally:
            self._shared.conn = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def snapshot(self) -> AbstractContextManager[None]:
        # WAL: the read transaction's first read fixes what it sees
        return pinned_read(self._snapshots, self._opened, "BEGIN", "SELECT count(*) FROM gpkg_contents")

    @contextmanager
    def transaction(self, *, user: str, reason: str = "") -> Iterator[Transaction]:
        require_user(user)
        shared = getattr(self._shared, "conn", None)
        if shared is not None and shared.in_transaction:  # a snapshot holds it: this write gets its own
            shared = None
        conn = shared if shared is not None else connect(self.path, wait_s=self.write_wait_s)
        conn.row_factory = sqlite3.Row
        try:
            yield from self._transaction(conn, user, reason)
        finally:
            if shared is None:
                conn.close()

    def _transaction(self, conn: sqlite3.Connection, user: str, reason: str) -> Iterator[Transaction]:
        holding = False
        try:
            with busy_is_an_error(self.path, self.write_wait_s):
                conn.execute("BEGIN IMMEDIATE")
            holding = True
            note_writer(self.path, user, reason)
            # while this row exists (only inside this transaction) the file's triggers know mzgis writes
            conn.execute(f"INSERT INTO {SESSION_TABLE} VALUES (1, ?)", (user,))
            stamp = self._clock()
            cur = conn.execute(
                f"INSERT INTO {CHANGESET_TABLE} (created_at, created_by, comment) VALUES (?, ?, ?)",
                (stamp, user, reason),
            )
            tx = _GpkgTransaction(conn, int(cur.lastrowid or 0), user, reason, stamp)
            try:
                yield tx
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            if tx.touched:
                _update_contents(conn, tx.touched, stamp, tx.grown, tx.shrunk)
                made_once(self, "history", conn, self.path, _make_history)  # on first use (IF NOT EXISTS)
                seal_pending(conn, "?")  # this write's history, and any made since elsewhere (one writer at a time)
                conn.execute(f"DELETE FROM {SESSION_TABLE}")
                conn.execute("COMMIT")
            else:
                conn.execute("ROLLBACK")  # an empty changeset is not recorded
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if holding:  # the note is the lock holder's: a writer that never got the lock leaves it
                clear_writer(self.path)

    def _write_derived(self, lay: Layer, values: Mapping[int, Mapping[str, Any]], meta: Mapping[str, str]) -> None:
        with self.transaction(user="mzgis", reason="派生字段") as tx:
            assert isinstance(tx, _GpkgTransaction)
            for fid, row in values.items():
                sets = ", ".join(fill_sql(lay.name, c, "?") for c in row)
                tx._conn.execute(f"UPDATE {q(lay.name)} SET {sets} WHERE id = ?", [*row.values(), fid])
            tx._conn.executemany(meta_upsert(SQLITE), list(meta.items()))
            tx.touched.add(lay.name)  # committed; no audit row, no new version: the data is the same

    def set_meta(self, key: str, value: str | None, *, keep: bool = False) -> None:
        conn = connect(self.path, wait_s=self.write_wait_s)
        try:
            with busy_is_an_error(self.path, self.write_wait_s):
                conn.execute("BEGIN IMMEDIATE")
            if value is None:
                conn.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", (key,))
            else:
                conn.execute(meta_upsert(SQLITE, keep=keep), (key, value))
            conn.execute("COMMIT")  # a setting, not data: no changeset or audit row (the value says who)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def revision(self, layer: str) -> int:
        lay = get_layer(layer)
        with self._read() as conn:
            row = conn.execute(f"SELECT max(id) FROM {AUDIT_TABLE} WHERE layer = ?", (lay.name,)).fetchone()
        return int(row[0] or 0)

    def system_rows(self, table: str, *, after: Any = None, limit: int = 5000) -> list[dict[str, Any]]:
        fields = SYSTEM_TABLES[table]
        name, key = _SYSTEM[table]
        where, params = ("", []) if after is None else (f" WHERE {key} > ?", [after])
        with self._read() as conn:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone():
                return []  # accounts and documents are made on first use: a file without them has none
            present = {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
            columns = ", ".join(f if f in present else f"NULL AS {f}" for f in fields)  # older files lack some
            rows = conn.execute(
                f"SELECT {columns} FROM {name}{where} ORDER BY {key} LIMIT ?", [*params, limit]
            ).fetchall()
        out = []
        for r in rows:
            row = dict(zip(fields, r, strict=True))
            if table == "audit":
                row["before"], row["after"] = SQLITE.json_out(r["before"]), SQLITE.json_out(r["after"])
            elif table == "accounts":
                row["disabled"], row["must_change"] = bool(row["disabled"]), bool(row["must_change"])
            elif table == "documents":
                row["data"] = bytes(row["data"])
            out.append(row)
        return out

    @contextmanager
    def bulk_load(self, *, merge: bool = False) -> Iterator[Loader]:
        self.accounts()
        self.documents(0)  # the account and document tables exist before the load writes them
        conn = connect(self.path, wait_s=self.write_wait_s)
        try:
            with busy_is_an_error(self.path, self.write_wait_s):
                conn.execute("BEGIN IMMEDIATE")
            held = [t for t in (*LAYERS, AUDIT_TABLE) if conn.execute(f"SELECT 1 FROM {q(t)} LIMIT 1").fetchone()]
            if held and not merge:
                raise Conflict(f"{self.path} 已有数据({'、'.join(held)}),只能复制到空的数据文件", "target not empty")
            conn.execute(f"INSERT INTO {SESSION_TABLE} VALUES (1, 'mzgis copy')")  # the triggers stay silent
            yield _GpkgLoader(conn)
            _update_contents(conn, set(LAYERS), utc_now(), {}, {n for n, lay in LAYERS.items() if lay.geometry})
            conn.execute(f"DELETE FROM {SESSION_TABLE}")
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()


_SYSTEM = {
    "changesets": (CHANGESET_TABLE, "id"),
    "audit": (AUDIT_TABLE, "id"),
    "meta": (META_TABLE, "key"),
    "accounts": (USERS_TABLE, "name"),
    "documents": (DOCUMENTS_TABLE, "id"),
}


class _GpkgLoader(Loader):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def features(self, layer: str, features: Sequence[Feature]) -> None:
        lay = get_layer(layer)
        cols = ["id", *lay.field_names, "version", "updated_at", "updated_by", *([GEOM] if lay.geometry else [])]
        self._conn.executemany(
            _insert_sql(lay.name, tuple(cols)),
            [
                [f.id, *(_to_sql(f.properties.get(n)) for n in lay.field_names), f.version, f.updated_at, f.updated_by]
                + ([gpkg_binary.encode(f.geometry, STORAGE_EPSG)] if lay.geometry else [])
                for f in features
            ],
        )

    def rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        fields = SYSTEM_TABLES[table]
        name, _ = _SYSTEM[table]
        values = []
        for row in rows:
            v = dict(row)
            if table == "audit":
                v["before"], v["after"] = to_json(v["before"]), to_json(v["after"])
            values.append(account_values(v) if table == "accounts" else [v[f] for f in fields])
        upsert = " ON CONFLICT (key) DO UPDATE SET value = excluded.value" if table == "meta" else ""  # source's notes
        self._conn.executemany(
            f"INSERT INTO {name} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))}){upsert}", values
        )


def _update_contents(
    conn: sqlite3.Connection,
    tables: set[str],
    stamp: str,
    grown: Mapping[str, tuple[float, float, float, float]],
    shrunk: set[str],
) -> None:
    """Keep gpkg_contents' last_change and extent (QGIS zooms to it) current. What was added grows the
    extent by a union with its bounds; only when a delete or move took away something on the extent's edge
    is the extent worked out again from the R-tree (a scan of the layer, so not on every save)."""
    for table in sorted(tables):
        if table in shrunk:
            tree = q(rtree_name(table))
            conn.execute(
                f"UPDATE gpkg_contents SET last_change = ?, min_x = (SELECT min(minx) FROM {tree}),"
                f" min_y = (SELECT min(miny) FROM {tree}), max_x = (SELECT max(maxx) FROM {tree}),"
                f" max_y = (SELECT max(maxy) FROM {tree}) WHERE table_name = ?",
                (stamp, table),
            )
        elif table in grown:
            minx, miny, maxx, maxy = grown[table]
            conn.execute(
                "UPDATE gpkg_contents SET last_change = ?, min_x = min(coalesce(min_x, ?), ?),"
                " min_y = min(coalesce(min_y, ?), ?), max_x = max(coalesce(max_x, ?), ?),"
                " max_y = max(coalesce(max_y, ?), ?) WHERE table_name = ?",
                (stamp, minx, minx, miny, miny, maxx, maxx, maxy, maxy, table),
            )
        else:
            conn.execute("UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (stamp, table))
    conn.execute(
        "UPDATE gpkg_contents SET last_change = ? WHERE table_name IN (?, ?)",
        (stamp, AUDIT_TABLE, CHANGESET_TABLE),
    )
