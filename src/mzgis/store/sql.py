"""What both SQL backends do alike, written once against a small :class:`Dialect`: the select builder,
reading rows into features and frames, the audit rows (writing and reading), updates and deletes with their
version check, notes, and the store's reads. A backend brings its dialect (placeholder, geometry to and from
the database, JSON and dates, which errors are the database's refusals) and what is really its own:
connections, DDL, inserts with their ids, extents, revisions, loaders, accounts and documents.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from mzgis.crs import STORAGE_EPSG
from mzgis.errors import Conflict, MzgisError, NotFound, RuleViolation
from mzgis.layers import LAYERS, SYSTEM_FIELDS, Layer, get_layer
from mzgis.store.base import (
    FILLED_WHEN_EMPTY,
    UNCHANGED,
    AnyOf,
    AuditEntry,
    Bounds,
    DocumentStore,
    Feature,
    LayerInfo,
    Transaction,
    check_version,
)
from mzgis.store.rows import (
    any_of_sql,
    audit_filters,
    audited,
    change,
    check_scope,
    check_where,
    checked_rows,
    geom_json,
    snapshot,
)
from mzgis.store.seal import SEAL_TABLE, ChainReport, verify_chain
from mzgis.store.tables import AUDIT_TABLE, DOCUMENT_FIELDS, DOCUMENTS_TABLE, GEOM, META_TABLE, q

__all__ = ["Dialect", "SqlDocuments", "SqlStore", "SqlTransaction", "check_derived", "meta_upsert", "select_sql"]

AUDIT_COLUMNS = "changeset_id, changed_at, changed_by, layer, feature_id, action, version, reason, before, after"


class Dialect(abc.ABC):
    """How one database spells what the shared SQL needs."""

    mark: str  # the driver's placeholder
    no_limit: Any  # what LIMIT takes for "every row"
    lock: str = ""  # what a read appends to hold the rows it reads until commit

    @abc.abstractmethod
    def geom_out(self, column: str) -> str:
        """The select expression that reads a geometry column as the bytes :meth:`decode_many` takes."""

    @abc.abstractmethod
    def geom_in(self) -> str:
        """The placeholder expression that writes :meth:`encode`'s value to a geometry column."""

    @abc.abstractmethod
    def encode(self, geom: BaseGeometry | None) -> Any:
        """A geometry as the database's parameter."""

    @abc.abstractmethod
    def decode_many(self, values: Sequence[Any]) -> list[BaseGeometry | None]:
        """Geometries of many rows, in one call."""

    # the DDL of the history's seals (:mod:`mzgis.store.seal`) and of the triggers that refuse to change or
    # delete a row of the history (audit, changesets, seals); a file gets them at its next write, a database
    # at its creation or next opening
    history_sql: tuple[str, ...]

    @abc.abstractmethod
    def has_table(self, conn: Any, name: str) -> bool:
        """Whether the store holds the table ``name``."""

    @abc.abstractmethod
    def extent_sql(self, lay: Layer) -> str:
        """The query of a geometry layer's extent: one row of x0, y0, x1, y1 (NULL when empty)."""

    @abc.abstractmethod
    def bbox(self, lay: Layer, bounds: Bounds) -> tuple[str, list[Any]]:
        """The clause that keeps the rows whose geometry's box meets ``bounds`` (an index serves it)."""

    @abc.abstractmethod
    def any_value(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        """The clause that keeps the rows whose ``column`` is one of ``values`` (not empty)."""

    def value_in(self, value: Any) -> Any:
        """A field's value as the database's parameter."""
        return value

    def value_out(self, f_type: str, value: Any) -> Any:
        """A field's value as read, in the layer model's type."""
        return value

    @abc.abstractmethod
    def json_in(self, value: Any) -> Any:
        """A JSON document (or None) as the database's parameter."""

    @abc.abstractmethod
    def json_out(self, value: Any) -> Any:
        """A JSON column's value as read, decoded."""

    @abc.abstractmethod
    def refusal(self, lay: Layer, exc: Exception, clean: Mapping[str, Any]) -> MzgisError | None:
        """The domain error for a write the database refused (a constraint, a duplicate), or None when
        ``exc`` is not such a refusal."""


def select_sql(
    dialect: Dialect,
    lay: Layer,
    *,
    bbox: Bounds | None = None,
    where: Mapping[str, Any] | None = None,
    limit: int | None = None,
    offset: int = 0,
    after_id: int | None = None,
    scope: str | None = None,
    any_of: AnyOf | None = None,
    geometry: bool = True,
    lock: bool = False,
) -> tuple[str, list[Any]]:
    """The SELECT of a layer's rows, by id, and its parameters."""
    mark = dialect.mark
    clauses: list[str] = []
    params: list[Any] = []
    if any_of is not None:
        clause, values = any_of_sql(lay, any_of, mark)
        clauses.append(clause)
        params += values
    if scope is not None:  # codes under an admin code: a range over the digits (an index serves it)
        check_scope(lay, scope)
        clauses.append("(" + " OR ".join(f"({q(f)} >= {mark} AND {q(f)} < {mark})" for f in lay.scope_fields) + ")")
        params += [v for _ in lay.scope_fields for v in (scope, scope + ":")]  # byte-wise ":" sorts after "9"
    if after_id is not None:  # keyset paging: each page starts where the last ended, in one index step
        clauses.append(f"id > {mark}")
        params.append(after_id)
    if bbox is not None and lay.geometry:
        clause, values = dialect.bbox(lay, bbox)
        clauses.append(clause)
        params += values
    for key, value in (where or {}).items():
        check_where(lay, key)
        if isinstance(value, list | tuple | set | frozenset):  # any of several values
            values = sorted({dialect.value_in(v) for v in value}, key=str)
            clause, values = dialect.any_value(q(key), values) if values else ("1 = 0", [])
            clauses.append(clause)
            params += values
        elif value is None:
            clauses.append(f"{q(key)} IS NULL")
        else:
            clauses.append(f"{q(key)} = {mark}")
            params.append(dialect.value_in(value))
    columns = [q(c) for c in ("id", *lay.field_names, *(f.name for f in SYSTEM_FIELDS))]
    if lay.geometry and geometry:
        columns.append(f"{dialect.geom_out(q(GEOM))} AS {q(GEOM)}")
    sql = f"SELECT {', '.join(columns)} FROM {q(lay.name)}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY id"
    if limit is not None or offset:
        sql += f" LIMIT {mark} OFFSET {mark}"
        params += [dialect.no_limit if limit is None else limit, offset]
    if lock:
        sql += dialect.lock
    return sql, params


def to_features(dialect: Dialect, lay: Layer, rows: Sequence[Any], *, geometry: bool = True) -> list[Feature]:
    """Features of rows read by :func:`select_sql`, their geometries decoded in one call (or left out)."""
    geoms = dialect.decode_many([r[GEOM] for r in rows]) if lay.geometry and geometry else [None] * len(rows)
    types = [(f.name, f.type) for f in lay.fields]
    return [
        Feature(
            lay.name,
            r["id"],
            r["version"],
            {n: dialect.value_out(t, r[n]) for n, t in types},
            g,
            r["updated_at"],
            r["updated_by"],
        )
        for r, g in zip(rows, geoms, strict=True)
    ]


def get_feature(dialect: Dialect, conn: Any, lay: Layer, fid: int, *, lock: bool = False) -> Feature:
    sql, params = select_sql(dialect, lay, where={"id": fid}, lock=lock)
    rows = conn.execute(sql, params).fetchall()
    if not rows:
        raise NotFound(f"{lay.label_zh}中没有编号为 {fid} 的要素", f"{lay.name} has no feature {fid}", id=fid)
    return to_features(dialect, lay, rows)[0]


def audit_row(dialect: Dialect, tx: SqlTransaction, layer: str, fid: int, action: str, version: int,
              reason: str, before: Any, after: Any) -> tuple[Any, ...]:  # fmt: skip
    """One audit row's values, in :data:`AUDIT_COLUMNS`' order."""
    return (tx.changeset, tx.stamp, tx.user, layer, fid, action, version, reason,
            dialect.json_in(before), dialect.json_in(after))  # fmt: skip


def audit_insert(dialect: Dialect) -> str:
    marks = ", ".join([dialect.mark] * 10)
    return f"INSERT INTO {AUDIT_TABLE} ({AUDIT_COLUMNS}) VALUES ({marks})"


def inserted(lay: Layer, clean: Mapping[str, Any], geom: BaseGeometry | None) -> dict[str, Any]:
    """What the history records of an added row."""
    after = audited(lay, clean)
    if lay.geometry:
        after["geometry"] = geom_json(geom)
    return after


def meta_upsert(dialect: Dialect, *, keep: bool = False) -> str:
    """The statement that sets a note (``keep``: only where none is set yet)."""
    conflict = "NOTHING" if keep else "UPDATE SET value = excluded.value"
    return f"INSERT INTO {META_TABLE} VALUES ({dialect.mark}, {dialect.mark}) ON CONFLICT (key) DO {conflict}"


def check_derived(lay: Layer, values: Mapping[int, Mapping[str, Any]]) -> None:
    """``set_derived`` writes only derived fields (and those filled when empty)."""
    derived = {f.name for f in lay.fields if f.derived} | FILLED_WHEN_EMPTY.get(lay.name, set())
    columns = {c for row in values.values() for c in row}
    if not columns <= derived:
        wrong = "、".join(sorted(columns - derived))
        raise RuleViolation(f"只能直接写入派生字段,不能写 {wrong}", "only derived fields")


class SqlTransaction(Transaction):
    """The changes of one transaction on one connection: reads, updates and deletes with their audit rows.
    A backend adds its inserts and may follow where geometries go (:meth:`moved`)."""

    dialect: Dialect

    def __init__(self, conn: Any, changeset: int, user: str, reason: str, stamp: str) -> None:
        self._conn = conn
        self.changeset = changeset
        self.user = user
        self._reason = reason
        self.stamp = stamp
        self.touched: set[str] = set()

    def moved(self, layer: str, old: BaseGeometry | None, new: BaseGeometry | None) -> None:
        """A geometry left its place (``old``) or took one (``new``): a hook for backends that keep extents."""

    def insert_many(
        self,
        layer: str,
        rows: Sequence[tuple[Mapping[str, Any], BaseGeometry | None]],
        *,
        reasons: Sequence[str] | None = None,
    ) -> list[int]:
        lay = get_layer(layer)
        self.check_gate(lay)
        if reasons is not None and len(reasons) != len(rows):
            raise ValueError("one reason per row")
        clean_rows, geometries = checked_rows(lay, rows)
        if not clean_rows:
            return []
        return self._insert_checked(lay, clean_rows, geometries, list(reasons or [self._reason] * len(rows)))

    @abc.abstractmethod
    def _insert_checked(
        self, lay: Layer, clean_rows: list[dict[str, Any]], geometries: list[BaseGeometry | None], reasons: list[str]
    ) -> list[int]:
        """Rows already checked, written with their audit rows in as few statements as the database allows;
        their new ids."""

    def _execute(self, lay: Layer, sql: str, params: Sequence[Any], clean: Mapping[str, Any]) -> Any:
        try:
            return self._conn.execute(sql, params)
        except Exception as exc:
            refused = self.dialect.refusal(lay, exc, clean)
            if refused is None:
                raise
            raise refused from None

    def _audit(self, layer: str, fid: int, action: str, version: int, before: Any, after: Any) -> None:
        row = audit_row(self.dialect, self, layer, fid, action, version, self._reason, before, after)
        self._conn.execute(audit_insert(self.dialect), row)

    def set_reason(self, reason: str) -> None:
        self._reason = reason

    def get(self, layer: str, fid: int) -> Feature:
        return get_feature(self.dialect, self._conn, get_layer(layer), fid)

    def features(
        self,
        layer: str,
        *,
        where: Mapping[str, Any] | None = None,
        any_of: AnyOf | None = None,
        geometry: bool = True,
    ) -> list[Feature]:
        lay = get_layer(layer)
        sql, params = select_sql(self.dialect, lay, where=where, any_of=any_of, geometry=geometry)
        return to_features(self.dialect, lay, self._conn.execute(sql, params).fetchall(), geometry=geometry)

    def current(self, layer: str, fid: int, expected_version: int | None) -> Feature:
        # where the dialect can, the row is ours until commit: a second editor waits, then sees the new version
        current = get_feature(self.dialect, self._conn, get_layer(layer), fid, lock=bool(self.dialect.lock))
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
        mark = self.dialect.mark
        sets = [f"{q(k)} = {mark}" for k in after if k != "geometry"]
        vals = [self.dialect.value_in(after[k]) for k in after if k != "geometry"]
        if diff.moved:
            sets.append(f"{q(GEOM)} = {self.dialect.geom_in()}")
            vals.append(self.dialect.encode(diff.geometry))
            self.moved(lay.name, current.geometry, diff.geometry)
        sets += [f'"version" = {mark}', f'"updated_at" = {mark}', f'"updated_by" = {mark}']
        vals += [version, self.stamp, self.user, fid, current.version]
        sql = f"UPDATE {q(lay.name)} SET {', '.join(sets)} WHERE id = {mark} AND version = {mark}"
        cur = self._execute(lay, sql, vals, diff.clean)
        if cur.rowcount != 1:  # pragma: no cover - guarded by the write lock or the row's lock
            raise Conflict("记录已被并发修改,本次修改未保存", "concurrent modification")
        self._audit(lay.name, fid, "update", version, audited(lay, diff.before), audited(lay, after))
        self.touched.add(lay.name)
        return self.get(layer, fid)

    def delete(self, layer: str, fid: int, *, expected_version: int | None) -> None:
        lay = get_layer(layer)
        self.check_gate(lay)
        current = self.current(lay.name, fid, expected_version)
        self._execute(lay, f"DELETE FROM {q(lay.name)} WHERE id = {self.dialect.mark}", (fid,), {})
        self.moved(lay.name, current.geometry, None)
        self._audit(lay.name, fid, "delete", current.version + 1, snapshot(current), None)
        self.touched.add(lay.name)


class SqlDocuments(DocumentStore):
    """The documents of naming procedures, the same in both databases (a backend gives
    :meth:`_documents_connection`: a connection in a transaction, the table made where it may be missing)."""

    dialect: Dialect

    def _documents_connection(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def add_document(self, record: dict[str, Any], data: bytes) -> int:
        columns = (*DOCUMENT_FIELDS[1:-2], "data", *DOCUMENT_FIELDS[-2:])
        values = {**record, "bytes": len(data), "note": record.get("note", ""), "data": data}
        marks = ", ".join([self.dialect.mark] * len(columns))
        with self._documents_connection() as conn:
            row = conn.execute(
                f"INSERT INTO {DOCUMENTS_TABLE} ({', '.join(columns)}) VALUES ({marks}) RETURNING id",
                [values[c] for c in columns],
            ).fetchone()
        return int(row["id"]) if row else 0

    def documents(self, procedure_id: int) -> list[dict[str, Any]]:
        with self._documents_connection() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(DOCUMENT_FIELDS)} FROM {DOCUMENTS_TABLE} WHERE procedure_id = {self.dialect.mark}"
                " ORDER BY id",
                (procedure_id,),
            ).fetchall()
        return [{k: r[k] for k in DOCUMENT_FIELDS} for r in rows]

    def document(self, doc_id: int) -> tuple[dict[str, Any], bytes] | None:
        with self._documents_connection() as conn:
            row = conn.execute(
                f"SELECT {', '.join(DOCUMENT_FIELDS)}, data FROM {DOCUMENTS_TABLE} WHERE id = {self.dialect.mark}",
                (doc_id,),
            ).fetchone()
        return None if row is None else ({k: row[k] for k in DOCUMENT_FIELDS}, bytes(row["data"]))


class SqlStore:
    """The store's reads and its derived fields, the same in both databases (a backend gives :meth:`_read`:
    the connection its reads use, pinned by a snapshot where one is open, and :meth:`_write_derived`)."""

    dialect: Dialect
    revision_column: str  # the audit's column that orders a layer's changes (its revision)

    def _read(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def changed_since(self, layer: str, revision: int) -> list[int]:
        lay = get_layer(layer)
        mark = self.dialect.mark
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT feature_id FROM {AUDIT_TABLE}"
                f" WHERE layer = {mark} AND {self.revision_column} > {mark} ORDER BY feature_id",
                (lay.name, revision),
            ).fetchall()
        return [int(r["feature_id"]) for r in rows]

    def count(self, layer: str, *, bbox: Bounds | None = None, scope: str | None = None) -> int:
        lay = get_layer(layer)
        sql, params = select_sql(self.dialect, lay, bbox=bbox, scope=scope, geometry=False)
        with self._read() as conn:
            row = conn.execute(f"SELECT count(*) AS n FROM ({sql}) AS s", params).fetchone()
        return int(row["n"]) if row else 0

    def _write_derived(self, lay: Layer, values: Mapping[int, Mapping[str, Any]], meta: Mapping[str, str]) -> None:
        raise NotImplementedError

    def set_derived(
        self, layer: str, values: Mapping[int, Mapping[str, Any]], *, meta: Mapping[str, str] | None = None
    ) -> int:
        """Write derived fields (and notes) without a new version or an audit row: the data is the same."""
        lay = get_layer(layer)
        check_derived(lay, values)
        if values or meta:
            self._write_derived(lay, values, meta or {})
        return len(values)

    def layer_infos(self) -> list[LayerInfo]:
        infos = []
        with self._read() as conn:
            for lay in LAYERS.values():
                row = conn.execute(f"SELECT count(*) AS n FROM {q(lay.name)}").fetchone()
                n = int(row["n"]) if row else 0
                extent = None
                if lay.geometry and n:
                    box = conn.execute(self.dialect.extent_sql(lay)).fetchone()
                    if box is not None and box["x0"] is not None:
                        extent = (box["x0"], box["y0"], box["x1"], box["y1"])
                infos.append(LayerInfo(lay.name, lay.label_zh, lay.geometry, n, extent))
        return infos

    def get(self, layer: str, fid: int) -> Feature:
        with self._read() as conn:
            return get_feature(self.dialect, conn, get_layer(layer), fid)

    def features(
        self,
        layer: str,
        *,
        bbox: Bounds | None = None,
        where: Mapping[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
        after_id: int | None = None,
        scope: str | None = None,
        any_of: AnyOf | None = None,
        geometry: bool = True,
    ) -> list[Feature]:
        lay = get_layer(layer)
        sql, params = select_sql(
            self.dialect,
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
            return to_features(self.dialect, lay, conn.execute(sql, params).fetchall(), geometry=geometry)

    def read_frame(self, layer: str, *, bbox: Bounds | None = None, scope: str | None = None) -> gpd.GeoDataFrame:
        lay = get_layer(layer)
        sql, params = select_sql(self.dialect, lay, bbox=bbox, scope=scope)
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        columns = ["id", *lay.field_names, *(f.name for f in SYSTEM_FIELDS)]
        frame = pd.DataFrame([[r[c] for c in columns] for r in rows], columns=columns)
        for f in lay.fields:
            if f.type in ("boolean", "date"):
                frame[f.name] = frame[f.name].map(lambda v, t=f.type: self.dialect.value_out(t, v)).astype(object)
        geoms = self.dialect.decode_many([r[GEOM] for r in rows]) if lay.geometry else [None] * len(rows)
        return gpd.GeoDataFrame(frame.set_index("id"), geometry=geoms, crs=f"EPSG:{STORAGE_EPSG}")

    def meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = {self.dialect.mark}", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def metas(self, prefix: str) -> dict[str, str]:
        mark = self.dialect.mark
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT key, value FROM {META_TABLE} WHERE substr(key, 1, {mark}) = {mark}", (len(prefix), prefix)
            ).fetchall()
        return {str(r["key"]): str(r["value"]) for r in rows}

    def verify_history(self, *, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Walk the seals of the history (:func:`mzgis.store.seal.verify_chain`)."""
        with self._read() as conn:
            sealed = self.dialect.has_table(conn, SEAL_TABLE)
            return verify_chain(conn, self.dialect.mark, sealed=sealed, anchor=anchor)

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
            user=user, since=since, outside=outside, layer=layer, feature_id=feature_id, mark=self.dialect.mark
        )
        sql = f"SELECT * FROM {AUDIT_TABLE}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        if limit is not None:  # the newest, in order
            sql = f"SELECT * FROM ({sql} ORDER BY id DESC LIMIT {int(limit)}) AS a"
        sql += " ORDER BY id"
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [audit_entry(self.dialect, r) for r in rows]


def audit_entry(dialect: Dialect, r: Any) -> AuditEntry:
    return AuditEntry(
        r["id"],
        r["changeset_id"],
        r["changed_at"],
        r["changed_by"],
        r["layer"],
        r["feature_id"],
        r["action"],
        r["version"],
        r["reason"],
        dialect.json_out(r["before"]),
        dialect.json_out(r["after"]),
    )
