"""What every backend does alike with a row before it writes it and with its history: the layer model's
checks (one message listing every problem), the audited part of a change (derived fields left out), and
the JSON of geometries and snapshots the audit keeps."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.errors import BadInput, NotFound, RuleViolation
from mzgis.layers import LAYERS, Layer, check_geometry, check_record, get_layer, promote_geometry
from mzgis.store.base import UNCHANGED, AnyOf, Feature
from mzgis.store.tables import EXTERNAL_REASON, q

__all__ = [
    "Change",
    "audit_filters",
    "audited",
    "change",
    "check_scope",
    "check_where",
    "checked_rows",
    "geom_json",
    "same_geometry",
    "snapshot",
    "to_json",
    "validated",
]


def geom_json(geom: BaseGeometry | None) -> Any:
    return None if geom is None else json.loads(shapely.to_geojson(geom))


def snapshot(feature: Feature) -> dict[str, Any]:
    """A feature as its history keeps it (attributes and GeoJSON geometry)."""
    snap: dict[str, Any] = dict(feature.properties)
    if LAYERS[feature.layer].geometry:
        snap["geometry"] = geom_json(feature.geometry)
    return snap


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def audited(layer: Layer, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the history records of a row or a change: derived fields left out (they restate the others)."""
    derived = {f.name for f in layer.fields if f.derived}
    return {k: v for k, v in values.items() if k not in derived}


def validated(layer: Layer, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> dict[str, Any]:
    """The row as stored (values coerced), or a RuleViolation naming every problem."""
    unknown = set(properties) - set(layer.field_names)
    clean, problems = check_record(layer, properties)
    if unknown:
        problems.append(f"未知字段:{'、'.join(sorted(unknown))}")
    problems += check_geometry(layer, geometry)
    if problems:
        raise RuleViolation(
            f"{layer.label_zh}({layer.name}):" + ";".join(problems),
            f"{layer.name}: {len(problems)} problem(s)",
            problems=problems,
        )
    return clean


def same_geometry(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.equals_exact(b, tolerance=0.0)) and a.geom_type == b.geom_type


def checked_rows(
    layer: Layer, rows: Sequence[tuple[Mapping[str, Any], BaseGeometry | None]]
) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
    """Every row of a batch as stored (geometry promoted, values coerced); a refused row refuses them all."""
    clean_rows: list[dict[str, Any]] = []
    geometries: list[BaseGeometry | None] = []
    for props, geom in rows:
        geom = promote_geometry(layer, geom)
        clean_rows.append(validated(layer, props, geom))
        geometries.append(geom)
    return clean_rows, geometries


@dataclass(frozen=True)
class Change:
    """An update worked out against the stored feature: the row as it will be, its geometry, and what the
    history records (the changed fields before and after; ``geometry`` when it moved)."""

    clean: dict[str, Any]
    geometry: BaseGeometry | None
    before: dict[str, Any]
    after: dict[str, Any]
    moved: bool

    def empty(self, layer: Layer) -> bool:
        """Nothing the history would record (derived fields restate the others): no new version."""
        return not audited(layer, self.after)


def change(
    layer: Layer, current: Feature, properties: Mapping[str, Any] | None, geometry: BaseGeometry | Any | None
) -> Change:
    """``properties`` (merged over the stored ones) and ``geometry`` (``unchanged`` keeps the stored one)
    checked as one row, and the difference to the stored feature."""
    merged = dict(current.properties) | dict(properties or {})
    new_geom = current.geometry if geometry is UNCHANGED else promote_geometry(layer, geometry)
    clean = validated(layer, merged, new_geom)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in clean.items():
        if current.properties.get(key) != value:
            before[key], after[key] = current.properties.get(key), value
    moved = bool(layer.geometry) and not same_geometry(current.geometry, new_geom)
    if moved:
        before["geometry"], after["geometry"] = geom_json(current.geometry), geom_json(new_geom)
    return Change(clean, new_geom, before, after, moved)


def audit_filters(
    *,
    user: str | None,
    since: str | None,
    outside: bool | None,
    layer: str | None,
    feature_id: int | None,
    mark: str,
) -> tuple[list[str], list[Any]]:
    """The WHERE clauses of an audit query (``mark``: the driver's placeholder, ``?`` or ``%s``)."""
    clauses: list[str] = []
    params: list[Any] = []
    if user is not None:  # the recorded name, or the account it starts with: "root(代 地名科)"
        clauses.append(f"(changed_by = {mark} OR substr(changed_by, 1, length({mark}) + 1) = {mark} || '(')")
        params += [user, user, user]
    if since is not None:
        clauses.append(f"changed_at >= {mark}")
        params.append(since)
    if outside is not None:  # the reason of an outside edit, with the tool's name after it where known
        clauses.append(f"{'' if outside else 'NOT '}substr(coalesce(reason, ''), 1, length({mark})) = {mark}")
        params += [EXTERNAL_REASON, EXTERNAL_REASON]
    if layer is not None:
        clauses.append(f"layer = {mark}")
        params.append(get_layer(layer).name)
    if feature_id is not None:
        clauses.append(f"feature_id = {mark}")
        params.append(feature_id)
    return clauses, params


def check_scope(layer: Layer, scope: str) -> None:
    """A query's ``scope`` must be an admin code prefix of a layer kept by admin code."""
    if not layer.scope_fields:
        raise BadInput(f"{layer.label_zh}不按区划存放,不能按区划查询", f"{layer.name} has no admin code to scope by")
    if not re.fullmatch(r"\d{2,12}", scope):
        raise BadInput(f"区划范围“{scope}”应为 2–12 位数字", f"scope {scope!r} is not an admin code prefix")


def check_where(layer: Layer, key: str) -> None:
    """A query's field must be one of the layer's (or its id)."""
    if key not in layer.field_names and key != "id":
        raise NotFound(f"{layer.label_zh}没有字段“{key}”", f"{layer.name} has no field {key!r}")


def any_of_sql(layer: Layer, cond: AnyOf, mark: str) -> tuple[str, list[Any]]:
    """The SQL of an ``AnyOf`` (the same in SQLite and PostgreSQL but for the parameter ``mark``): one
    clause in brackets and its parameters; fields are checked to be the layer's."""
    parts: list[str] = []
    params: list[Any] = []
    for key, value in cond.equal:
        check_where(layer, key)
        parts.append(f"{q(key)} = {mark}")
        params.append(value)
    for key, value in cond.starts:
        check_where(layer, key)
        if value:
            parts.append(f"substr({q(key)}, 1, {mark}) = {mark}")  # characters, in both databases
            params += [len(value), value]
    for key, value in cond.unspaced:
        check_where(layer, key)
        parts.append(f"replace({q(key)}, ' ', '') = {mark}")
        params.append(value)
    return ("(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"), params


@contextmanager
def pinned_read(
    holder: threading.local, connect: Callable[[], AbstractContextManager[Any]], begin: str, first_read: str
) -> Iterator[None]:
    """One read transaction on one connection for this thread's reads inside the block (``holder.conn``, which
    the backend's reads use while it is set): it sees the store as of its first read, whatever others commit
    meanwhile. Inside another, the outer one holds."""
    if getattr(holder, "conn", None) is not None:
        yield
        return
    with connect() as conn:
        conn.execute(begin)
        conn.execute(first_read).fetchone()  # the snapshot is taken at the first read
        holder.conn = conn
        try:
            yield
        finally:
            holder.conn = None
            conn.execute("ROLLBACK")
