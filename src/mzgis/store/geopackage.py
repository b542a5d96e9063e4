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

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.crs import STORAGE_EPSG
from mzgis.errors import Conflict, InvalidStore, NotFound, RuleViolation
from mzgis.layers import (
    LAYERS,
    SYSTEM_FIELDS,
    Layer,
    get_layer,
    promote_geometry,
)
from mzgis.store import gpkg_binary
from mzgis.store.base import (
    FILLED_WHEN_EMPTY,
    SYSTEM_TABLES,
    UNCHANGED,
    AnyOf,
    AuditEntry,
    Backend,
    Feature,
    LayerInfo,
    Loader,
    Transaction,
    check_version,
    fill_sql,
    utc_now,
)
from mzgis.store.gpkg_accounts import USERS_TABLE, GeoPackageAccounts
from mzgis.store.gpkg_connection import WRITE_WAIT_S, busy_is_an_error, clear_writer, connect, note_writer, opened
from mzgis.store.gpkg_documents import DOCUMENTS_TABLE, GeoPackageDocuments
from mzgis.store.rows import (
    any_of_sql,
    audit_filters,
    audited,
    change,
    check_scope,
    check_where,
    checked_rows,
    geom_json,
    pinned_read,
    snapshot,
    to_json,
    validated,
)
from mzgis.store.schema import (
    APPLICATION_ID,
    AUDIT_TABLE,
    CHANGESET_TABLE,
    CORE_SQL,
    GEOM,
    META_TABLE,
    SCHEMA_VERSION,
    SESSION_TABLE,
    STORE_ID_KEY,
    USER_VERSION,
    create_layer,
    q,
    rtree_name,
    srs_rows,
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


def _to_sql(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


def _row_to_feature(layer: Layer, row: sqlite3.Row, geom: BaseGeometry | None) -> Feature:
    props: dict[str, Any] = {}
    for f in layer.fields:
        value = row[f.name]
        if f.type == "boolean" and value is not None:
            value = bool(value)
        props[f.name] = value
    return Feature(layer.name, row["id"], row["version"], props, geom, row["updated_at"], row["updated_by"])


def _rows_to_features(layer: Layer, rows: list[sqlite3.Row], *, geometry: bool = True) -> list[Feature]:
    """Features of many rows, their geometries decoded in one call (or left out: ``geometry`` False)."""
    geoms = gpkg_binary.decode_many([r[GEOM] for r in rows]) if layer.geometry and geometry else [None] * len(rows)
    return [_row_to_feature(layer, r, g) for r, g in zip(rows, geoms, strict=True)]


_AUDIT_INSERT = (
    f"INSERT INTO {AUDIT_TABLE} (changeset_id, changed_at, changed_by, layer, feature_id, action, version,"
    " reason, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@lru_cache(maxsize=256)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """The INSERT of ``columns`` into ``table`` (made once per column set: an import inserts many rows)."""
    return f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES ({', '.join('?' * len(columns))})"


# ---------------------------------------------------------------- the store


class _GpkgTransaction(Transaction):
    def __init__(self, conn: sqlite3.Connection, changeset_id: int, user: str, reason: str, stamp: str) -> None:
        self._conn = conn
        self._changeset = changeset_id
        self._user = self.user = user
        self._reason = reason
        self._stamp = self.stamp = stamp
        self.touched: set[str] = set()
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

    def _grow(self, layer: str, geom: BaseGeometry | None) -> None:
        if geom is None or geom.is_empty:
            return
        minx, miny, maxx, maxy = geom.bounds
        old = self.grown.get(layer)
        if old is not None:
            minx, miny, maxx, maxy = min(minx, old[0]), min(miny, old[1]), max(maxx, old[2]), max(maxy, old[3])
        self.grown[layer] = (minx, miny, maxx, maxy)

    def _audit(self, layer: str, fid: int, action: str, version: int, before: Any, after: Any) -> None:
        self._conn.execute(
            _AUDIT_INSERT,
            (
                self._changeset,
                self._stamp,
                self._user,
                layer,
                fid,
                action,
                version,
                self._reason,
                to_json(before),
                to_json(after),
            ),
        )

    def get(self, layer: str, fid: int) -> Feature:
        return _get(self._conn, get_layer(layer), fid)

    def set_reason(self, reason: str) -> None:
        self._reason = reason

    def features(
        self,
        layer: str,
        *,
        where: Mapping[str, Any] | None = None,
        any_of: AnyOf | None = None,
        geometry: bool = True,
    ) -> list[Feature]:
        lay = get_layer(layer)
        sql, params = _select_sql(lay, bbox=None, where=where, limit=None, offset=0, any_of=any_of, geometry=geometry)
        return _rows_to_features(lay, self._conn.execute(sql, params).fetchall(), geometry=geometry)

    def _insert_row(
        self, lay: Layer, properties: Mapping[str, Any], geometry: BaseGeometry | None
    ) -> tuple[int, dict[str, Any], BaseGeometry | None]:
        self.check_gate(lay)
        geometry = promote_geometry(lay, geometry)
        clean = validated(lay, properties, geometry)
        cols = [*list(clean), "version", "updated_at", "updated_by"]
        vals = [_to_sql(v) for v in clean.values()] + [1, self._stamp, self._user]
        if lay.geometry:
            cols.insert(0, GEOM)
            vals.insert(0, gpkg_binary.encode(geometry, STORAGE_EPSG))
            self._grow(lay.name, geometry)
        try:
            cur = self._conn.execute(_insert_sql(lay.name, tuple(cols)), vals)
        except sqlite3.IntegrityError as exc:
            raise _integrity_error(lay, exc, clean) from None
        fid = int(cur.lastrowid or 0)
        after = audited(lay, clean)
        if lay.geometry:
            after["geometry"] = geom_json(geometry)
        self._audit(lay.name, fid, "insert", 1, None, after)
        self.touched.add(lay.name)
        return fid, clean, geometry

    def insert(self, layer: str, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> Feature:
        lay = get_layer(layer)
        fid, clean, geom = self._insert_row(lay, properties, geometry)
        return Feature(lay.name, fid, 1, clean, geom, self._stamp, self._user)  # as stored: no read back

    def insert_many(
        self,
        layer: str,
        rows: Sequence[tuple[Mapping[str, Any], BaseGeometry | None]],
        *,
        reasons: Sequence[str] | None = None,
    ) -> list[int]:
        """Every row checked as ``insert`` checks it, then all written in two statements (the rows with the
        ids that follow the layer's last one, then their audit rows): the per-row work in SQLite is the
        file's triggers and indexes. A row the file refuses is named by inserting the rows one by one."""
        lay = get_layer(layer)
        self.check_gate(lay)
        if reasons is not None and len(reasons) != len(rows):
            raise ValueError("one reason per row")
        clean_rows, geometries = checked_rows(lay, rows)
        if not rows:
            return []
        (last,) = self._conn.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),"
            f" coalesce((SELECT max(id) FROM {q(lay.name)}), 0))",
            (lay.name,),
        ).fetchone()
        ids = list(range(int(last) + 1, int(last) + 1 + len(rows)))
        fields = list(lay.field_names)
        cols = ["id", *fields, "version", "updated_at", "updated_by"]
        blobs: list[Any] = [None] * len(rows)
        if lay.geometry:
            cols.insert(1, GEOM)
            blobs = [gpkg_binary.encode(g, STORAGE_EPSG) for g in geometries]
            present = [g for g in geometries if g is not None and not g.is_empty]
            if present:
                minx, miny, maxx, maxy = shapely.total_bounds(present)
                self._grow(lay.name, shapely.box(minx, miny, maxx, maxy))
        values = [
            [fid, *([blob] if lay.geometry else []), *(_to_sql(c[f]) for f in fields), 1, self._stamp, self._user]
            for fid, blob, c in zip(ids, blobs, clean_rows, strict=True)
        ]
        audits = []
        for i, (fid, clean, geom) in enumerate(zip(ids, clean_rows, geometries, strict=True)):
            after = audited(lay, clean)
            if lay.geometry:
                after["geometry"] = geom_json(geom)
            reason = self._reason if reasons is None else reasons[i]
            audits.append(
                (self._changeset, self._stamp, self._user, lay.name, fid, "insert", 1, reason, None, to_json(after))
            )
        self._conn.execute("SAVEPOINT insert_many")
        try:
            self._conn.executemany(_insert_sql(lay.name, tuple(cols)), values)
        except sqlite3.IntegrityError:
            self._conn.execute("ROLLBACK TO insert_many")
            self._conn.execute("RELEASE insert_many")
            for (props, geom), reason in zip(rows, reasons or [self._reason] * len(rows), strict=True):
                self._reason = reason
                self._insert_row(lay, props, geom)  # raises for the row the file refuses, by name
            raise AssertionError("a row was refused together but not alone") from None
        self._conn.execute("RELEASE insert_many")
        self._conn.executemany(_AUDIT_INSERT, audits)
        self.touched.add(lay.name)
        return ids

    def current(self, layer: str, fid: int, expected_version: int | None) -> Feature:
        lay = get_layer(layer)
        current = _get(self._conn, lay, fid)
        check_version(current, expected_version)
        return current

    def update(
        self,
        layer: str,
        fid: int,
        *,
        expected_version: int | None,
        properties: Mapping[str, Any] | None = None,
        geometry: BaseGeometry | None = UNCHANGED,
    ) -> Feature:
        lay = get_layer(layer)
        self.check_gate(lay)
        current = self.current(lay.name, fid, expected_version)
        diff = change(lay, current, properties, geometry)
        if diff.empty(lay):
            return current  # nothing to change (derived fields restate the others): no new version, no audit row
        after = diff.after
        version = current.version + 1
        sets = [f"{q(k)} = ?" for k in after if k != "geometry"]
        vals = [_to_sql(after[k]) for k in after if k != "geometry"]
        if diff.moved:
            sets.append(f"{q(GEOM)} = ?")
            vals.append(gpkg_binary.encode(diff.geometry, STORAGE_EPSG))
            self._grow(lay.name, diff.geometry)
            self._left(lay.name, current.geometry)
        sets += ['"version" = ?', '"updated_at" = ?', '"updated_by" = ?']
        vals += [version, self._stamp, self._user, fid, current.version]
        try:
            cur = self._conn.execute(f"UPDATE {q(lay.name)} SET {', '.join(sets)} WHERE id = ? AND version = ?", vals)
        except sqlite3.IntegrityError as exc:
            raise _integrity_error(lay, exc, diff.clean) from None
        if cur.rowcount != 1:  # pragma: no cover - guarded by the write lock
            raise Conflict("记录已被并发修改,本次修改未保存", "concurrent modification")
        self._audit(lay.name, fid, "update", version, audited(lay, diff.before), audited(lay, after))
        self.touched.add(lay.name)
        return self.get(layer, fid)

    def delete(self, layer: str, fid: int, *, expected_version: int | None) -> None:
        lay = get_layer(layer)
        self.check_gate(lay)
        current = self.current(lay.name, fid, expected_version)
        self._conn.execute(f"DELETE FROM {q(lay.name)} WHERE id = ?", (fid,))
        self._left(lay.name, current.geometry)
        self._audit(lay.name, fid, "delete", current.version + 1, snapshot(current), None)
        self.touched.add(lay.name)


def _integrity_error(lay: Layer, exc: sqlite3.IntegrityError, clean: Mapping[str, Any]) -> Conflict | RuleViolation:
    text = str(exc)
    if "UNIQUE" in text:
        cols = re.findall(rf"{lay.name}\.(\w+)", text)
        shown = "、".join(f"{c}={clean.get(c)!s}" for c in cols) or text
        return Conflict(f"{lay.label_zh}中已有相同的 {shown}", f"{lay.name}: duplicate {', '.join(cols)}", fields=cols)
    return RuleViolation(f"{lay.label_zh}:数据库约束不满足({text})", f"{lay.name}: constraint failed: {text}")


def _select_sql(
    lay: Layer,
    *,
    bbox: tuple[float, float, float, float] | None,
    where: Mapping[str, Any] | None,
    limit: int | None,
    offset: int,
    after_id: int | None = None,
    scope: str | None = None,
    any_of: AnyOf | None = None,
    geometry: bool = True,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if any_of is not None:
        clause, values = any_of_sql(lay, any_of, "?")
        clauses.append(clause)
        params += values
    if scope is not None:  # codes under an admin code: a range over the digits (an index serves it)
        check_scope(lay, scope)
        clauses.append("(" + " OR ".join(f"({q(f)} >= ? AND {q(f)} < ?)" for f in lay.scope_fields) + ")")
        params += [v for _ in lay.scope_fields for v in (scope, scope + ":")]  # ":" sorts right after "9"
    if after_id is not None:  # keyset paging: each page starts where the last ended, in one index step
        clauses.append("id > ?")
        params.append(after_id)
    if bbox is not None and lay.geometry:
        minx, miny, maxx, maxy = bbox
        tree = q(rtree_name(lay.name))
        clauses.append(f"id IN (SELECT id FROM {tree} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)")
        params += [maxx, minx, maxy, miny]
    for key, value in (where or {}).items():
        check_where(lay, key)
        if isinstance(value, list | tuple | set | frozenset):  # any of several values
            values = sorted({_to_sql(v) for v in value}, key=str)
            clauses.append(f"{q(key)} IN ({', '.join('?' * len(values))})" if values else "0")
            params += values
        else:
            clauses.append(f"{q(key)} IS ?")  # IS: a None value finds the rows without one
            params.append(_to_sql(value))
    columns = "*" if geometry else ", ".join(q(c) for c in ("id", *lay.field_names, *(f.name for f in SYSTEM_FIELDS)))
    sql = f"SELECT {columns} FROM {q(lay.name)}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY id"
    if limit is not None or offset:
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
    return sql, params


def _get(conn: sqlite3.Connection, lay: Layer, fid: int) -> Feature:
    row = conn.execute(f"SELECT * FROM {q(lay.name)} WHERE id = ?", (fid,)).fetchone()
    if row is None:
        raise NotFound(f"{lay.label_zh}中没有编号为 {fid} 的要素", f"{lay.name} has no feature {fid}", id=fid)
    return _rows_to_features(lay, [row])[0]


class GeoPackageStore(Backend, GeoPackageAccounts, GeoPackageDocuments):
    """The store on a GeoPackage file. Each method uses its own short-lived connection, or inside
    :meth:`reuse` the one this thread shares for the block; none outlives the call that opened it (GDAL's own
    SQLite in the same process, pyogrio's copy of the library, deletes the WAL under connections it does not
    know of when it closes the file: saves made on them later never reach the file)."""

    def __init__(
        self, path: Path | str, *, clock: Callable[[], str] = utc_now, write_wait_s: float = WRITE_WAIT_S
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self.write_wait_s = write_wait_s
        self._snapshots = threading.local()  # a read connection pinned by snapshot(), per thread
        _check_file(self.path)
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

    def count(
        self, layer: str, *, bbox: tuple[float, float, float, float] | None = None, scope: str | None = None
    ) -> int:
        lay = get_layer(layer)
        sql, params = _select_sql(lay, bbox=bbox, where=None, limit=None, offset=0, scope=scope)
        with self._read() as conn:
            return int(conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])

    def layer_infos(self) -> list[LayerInfo]:
        infos = []
        with self._read() as conn:
            for lay in LAYERS.values():
                n = int(conn.execute(f"SELECT count(*) FROM {q(lay.name)}").fetchone()[0])
                extent = None
                if lay.geometry and n:
                    row = conn.execute(
                        f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM {q(rtree_name(lay.name))}"
                    ).fetchone()
                    extent = None if row[0] is None else (row[0], row[1], row[2], row[3])
                infos.append(LayerInfo(lay.name, lay.label_zh, lay.geometry, n, extent))
        return infos

    def get(self, layer: str, fid: int) -> Feature:
        lay = get_layer(layer)
        with self._read() as conn:
            return _get(conn, lay, fid)

    def features(
        self,
        layer: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        where: Mapping[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
        after_id: int | None = None,
        scope: str | None = None,
        any_of: AnyOf | None = None,
        geometry: bool = True,
    ) -> list[Feature]:
        lay = get_layer(layer)
        sql, params = _select_sql(
            lay,
            bbox=bbox,
            where=where,
            limit=limit,
            offset=offset,
            after_id=after_id,
            scope=scope,
            any_of=any_of,
            geometry=geometry,
        )
        with self._read() as conn:
            return _rows_to_features(lay, conn.execute(sql, params).fetchall(), geometry=geometry)

    def read_frame(
        self, layer: str, *, bbox: tuple[float, float, float, float] | None = None, scope: str | None = None
    ) -> gpd.GeoDataFrame:
        lay = get_layer(layer)
        sql, params = _select_sql(lay, bbox=bbox, where=None, limit=None, offset=0, scope=scope)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        columns = ["id", *lay.field_names, *(f.name for f in SYSTEM_FIELDS)]
        frame = pd.DataFrame([[row[c] for c in columns] for row in rows], columns=columns)
        for f in lay.fields:
            if f.type == "boolean":
                frame[f.name] = frame[f.name].map(lambda v: None if v is None else bool(v)).astype(object)
        geoms = gpkg_binary.decode_many([row[GEOM] for row in rows]) if lay.geometry else [None] * len(rows)
        return gpd.GeoDataFrame(frame.set_index("id"), geometry=geoms, crs=f"EPSG:{STORAGE_EPSG}")

    @contextmanager
    def transaction(self, *, user: str, reason: str = "") -> Iterator[Transaction]:
        if not user.strip():
            raise RuleViolation("修改必须记录操作人", "a change needs a user")
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
                conn.execute(f"DELETE FROM {SESSION_TABLE}")
                conn.execute("COMMIT")
            else:
                conn.execute("ROLLBACK")  # an empty changeset is not recorded
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if holding:  # the note is the lock holder's: a writer that never got the lock leaves it
                clear_writer(self.path)

    def set_derived(
        self, layer: str, values: Mapping[int, Mapping[str, Any]], *, meta: Mapping[str, str] | None = None
    ) -> int:
        lay = get_layer(layer)
        derived = {f.name for f in lay.fields if f.derived} | FILLED_WHEN_EMPTY.get(lay.name, set())
        columns = {c for row in values.values() for c in row}
        if not columns <= derived:
            raise RuleViolation(
                f"只能直接写入派生字段,不能写 {'、'.join(sorted(columns - derived))}", "only derived fields"
            )
        if not values and not meta:
            return 0
        with self.transaction(user="mzgis", reason="派生字段") as tx:
            assert isinstance(tx, _GpkgTransaction)
            for fid, row in values.items():
                sets = ", ".join(fill_sql(lay.name, c, "?") for c in row)
                tx._conn.execute(f"UPDATE {q(lay.name)} SET {sets} WHERE id = ?", [*row.values(), fid])
            tx._conn.executemany(
                f"INSERT INTO {META_TABLE} VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list((meta or {}).items()),
            )
            tx.touched.add(lay.name)  # committed; no audit row, no new version: the data is the same
        return len(values)

    def meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None, *, keep: bool = False) -> None:
        conn = connect(self.path, wait_s=self.write_wait_s)
        try:
            with busy_is_an_error(self.path, self.write_wait_s):
                conn.execute("BEGIN IMMEDIATE")
            if value is None:
                conn.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", (key,))
            else:
                conflict = "NOTHING" if keep else "UPDATE SET value = excluded.value"
                conn.execute(f"INSERT INTO {META_TABLE} VALUES (?, ?) ON CONFLICT (key) DO {conflict}", (key, value))
            conn.execute("COMMIT")  # a setting, not data: no changeset or audit row (the value says who)
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def metas(self, prefix: str) -> dict[str, str]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT key, value FROM {META_TABLE} WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
            )
            return {str(k): str(v) for k, v in rows}

    def changed_since(self, layer: str, revision: int) -> list[int]:
        lay = get_layer(layer)
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT feature_id FROM {AUDIT_TABLE} WHERE layer = ? AND id > ? ORDER BY feature_id",
                (lay.name, revision),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def revision(self, layer: str) -> int:
        lay = get_layer(layer)
        with self._read() as conn:
            row = conn.execute(f"SELECT max(id) FROM {AUDIT_TABLE} WHERE layer = ?", (lay.name,)).fetchone()
        return int(row[0] or 0)

    def audit(
        self,
        *,
        layer: str | None = None,
        feature_id: int | None = None,
        limit: int | None = None,
        user: str | None = None,
        since: str | None = None,
        outside: bool | None = None,
    ) -> list[AuditEntry]:
        clauses, params = audit_filters(
            user=user, since=since, outside=outside, layer=layer, feature_id=feature_id, mark="?"
        )
        sql = f"SELECT * FROM {AUDIT_TABLE}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id"
        if limit is not None:
            sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY id"
        with self._read() as conn:
            return [
                AuditEntry(
                    r["id"],
                    r["changeset_id"],
                    r["changed_at"],
                    r["changed_by"],
                    r["layer"],
                    r["feature_id"],
                    r["action"],
                    r["version"],
                    r["reason"],
                    None if r["before"] is None else json.loads(r["before"]),
                    None if r["after"] is None else json.loads(r["after"]),
                )
                for r in conn.execute(sql, params)
            ]

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
                row["before"], row["after"] = (None if v is None else json.loads(v) for v in (r["before"], r["after"]))
            elif table == "accounts":
                row["disabled"] = bool(row["disabled"])
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
            elif table == "accounts":
                v["disabled"] = int(bool(v["disabled"]))
            values.append([v[f] for f in fields])
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


def _check_file(path: Path) -> None:
    """Refuse, with one clear message, a path that is not an mzgis GeoPackage."""
    if not path.exists():
        raise NotFound(f"找不到数据文件 {path}(可用 mzgis init 新建)", f"no such file: {path}", path=str(path))
    if path.is_dir():
        raise InvalidStore(f"{path} 是目录,不是 GeoPackage 文件", f"{path} is a directory, not a GeoPackage")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        raise InvalidStore(
            f"{path} 不是 GeoPackage 文件(不是 SQLite 数据库)", f"{path} is not a GeoPackage (not SQLite)"
        )
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if "gpkg_contents" not in tables or "gpkg_spatial_ref_sys" not in tables:
                raise InvalidStore(
                    f"{path} 不是 GeoPackage 文件(缺少 gpkg_contents 表)",
                    f"{path} is not a GeoPackage (no gpkg_contents)",
                )
            registered = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
            missing = [name for name in LAYERS if name not in registered or name not in tables]
            if missing:
                hint = "可运行 mzgis upgrade 补上" if len(missing) < len(LAYERS) else "可用 mzgis init 新建"
                raise InvalidStore(
                    f"{path} 不是 mzgis 数据文件:缺少图层 {'、'.join(missing)}({hint})",
                    f"{path} lacks layers: {', '.join(missing)}",
                    missing=missing,
                )
            problems = []
            for lay in LAYERS.values():
                cols = {r[1] for r in conn.execute(f"PRAGMA table_info({q(lay.name)})")}
                need = {*lay.field_names, *(f.name for f in SYSTEM_FIELDS), *([GEOM] if lay.geometry else [])}
                if need - cols:
                    problems.append(f"{lay.name} 缺少字段 {'、'.join(sorted(need - cols))}")
            for table in (AUDIT_TABLE, CHANGESET_TABLE):
                if table not in tables:
                    problems.append(f"缺少修改记录表 {table}")
            if SESSION_TABLE not in tables:
                problems.append("缺少保证完整性的约束和触发器(早期版本的文件)")
            if problems:
                raise InvalidStore(
                    f"{path} 的结构不符合 mzgis 图层模型:" + ";".join(problems) + "(可运行 mzgis upgrade 升级)",
                    f"{path} does not match the mzgis layer model",
                    problems=problems,
                )
    except sqlite3.DatabaseError as exc:
        raise InvalidStore(f"{path} 无法作为 GeoPackage 打开:{exc}", f"cannot open {path}: {exc}") from None
