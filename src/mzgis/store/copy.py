"""Copy a whole store into an empty one, either way (GeoPackage ↔ PostGIS, GeoPackage → GeoPackage): every
layer's features with their ids, versions and stamps, the changesets and audit, the notes, accounts and the
naming documents — in one transaction of the target, then read back and compared by count and checksum.
This is how a county's file joins the city's database (and how a database is handed back as one file).
Sign-in tokens and failed sign-ins stay with the server they were made on. The source is read in one
snapshot, so a store in use is copied as it was when the copy began."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import shapely

from mzgis.errors import InvalidStore
from mzgis.layers import LAYERS
from mzgis.store.base import SYSTEM_TABLES, Backend, Feature, Loader, utc_now
from mzgis.store.tables import STORE_ID_KEY

__all__ = ["CopyReport", "copy_store", "copy_unit", "store_checksums", "total_checksum"]

_PAGE = 5000
_KEYS = {"changesets": "id", "audit": "id", "meta": "key", "accounts": "name", "documents": "id"}


@dataclass
class CopyReport:
    """How many rows of each layer and table were copied, and the checksum both stores agree on."""

    counts: dict[str, int] = field(default_factory=dict)
    checksum: str = ""


def _feature_digest(f: Feature) -> bytes:
    geom = None if f.geometry is None else shapely.to_wkb(f.geometry, hex=True)
    return json.dumps(
        [f.id, f.version, f.updated_at, f.updated_by, f.properties, geom], sort_keys=True, ensure_ascii=False
    ).encode()


def _row_digest(row: dict[str, Any]) -> bytes:
    shown = {k: (hashlib.sha256(v).hexdigest() if isinstance(v, bytes) else v) for k, v in row.items()}
    return json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str).encode()


def _pages_of_features(
    store: Backend, layer: str, *, after: int | None = None, scope: str | None = None
) -> Iterator[list[Feature]]:
    """A layer's features in id order, a page at a time (after id ``after``; under the admin code ``scope``)."""
    while True:
        batch = store.features(layer, limit=_PAGE, after_id=after, scope=scope)
        if batch:
            yield batch
        if len(batch) < _PAGE:
            return
        after = batch[-1].id


def _pages_of_rows(store: Backend, table: str, *, after: Any = None) -> Iterator[list[dict[str, Any]]]:
    """A system table's rows in key order, a page at a time (after key ``after``)."""
    while True:
        batch = store.system_rows(table, after=after, limit=_PAGE)
        if batch:
            yield batch
        if len(batch) < _PAGE:
            return
        after = batch[-1][_KEYS[table]]


def store_checksums(store: Backend, *, load: Loader | None = None) -> tuple[dict[str, int], dict[str, str]]:
    """Per layer and table: how many rows, and a SHA-256 over them in key order (ids, versions, stamps,
    attributes, geometry as WKB; history, notes, accounts and documents as stored). ``load``: every page
    read is also written there (a copy sums what it writes in the same pass)."""
    counts: dict[str, int] = {}
    sums: dict[str, str] = {}
    for layer in LAYERS:
        h, n = hashlib.sha256(), 0
        for page in _pages_of_features(store, layer):
            if load is not None:
                load.features(layer, page)
            for f in page:
                h.update(_feature_digest(f))
            n += len(page)
        counts[layer], sums[layer] = n, h.hexdigest()
    for table in SYSTEM_TABLES:  # changesets before the audit rows that refer to them
        h, n = hashlib.sha256(), 0
        for rows in _pages_of_rows(store, table):
            if load is not None:
                load.rows(table, rows)
            for row in rows:
                h.update(_row_digest(row))
            n += len(rows)
        counts[table], sums[table] = n, h.hexdigest()
    return counts, sums


def copy_store(source: Backend, target: Backend) -> CopyReport:
    """Copy everything of ``source`` into the empty ``target`` and verify it; nothing is written when the
    target is not empty or a row is refused. Raises :class:`InvalidStore` when the copy reads back different.
    The copy keeps the source's identity; a source made before identities leaves the target without one
    too (it gets its own when first asked), so the source is never written to."""
    if source.meta(STORE_ID_KEY) is None:
        target.set_meta(STORE_ID_KEY, None)
    with source.snapshot(), target.bulk_load() as load:  # the source as of one moment, even while in use
        counts, sums = store_checksums(source, load=load)
    copied_counts, copied_sums = store_checksums(target)
    differ = [t for t in counts if counts[t] != copied_counts.get(t) or sums[t] != copied_sums.get(t)]
    if differ:
        raise InvalidStore(
            f"复制后核对不一致:{'、'.join(differ)}(目标 {target.location} 中的数据与源不同,请勿使用,检查后重新复制)",
            f"the copy differs from the source in {', '.join(differ)}",
        )
    return CopyReport(counts, total_checksum(sums))


def total_checksum(sums: dict[str, str]) -> str:
    """One SHA-256 over the per-layer and per-table sums of :func:`store_checksums`."""
    return hashlib.sha256("".join(sums[t] for t in sorted(sums)).encode()).hexdigest()


def copy_unit(source: Backend, target: Backend, unit: str) -> CopyReport:
    """A county's (or township's) part of ``source`` into the empty ``target`` — a city's database handed
    back to a county as its own file: the features kept by an admin code under ``unit`` (units, population,
    names, facilities), the boundary lines with the county on either side and their markers, the naming
    applications of those names and their documents, the history and changesets of all of these — with their
    ids, versions and stamps. The target is a store of its own (its own identity); ``source`` notes that
    identity with the same ids (``merged:<uuid>``, no shift), so a list exported from the county's file later
    finds its names in the city's database. Read back and compared (counts and SHA-256 per layer and table)."""
    from mzgis.store.merge import MERGED_PREFIX

    if target.meta(STORE_ID_KEY) is None:  # a target made before identities: it gets one now
        target.identity()
    report = CopyReport()
    with source.snapshot():
        kept: dict[str, list[Feature]] = {}
        for layer, lay in LAYERS.items():
            if lay.scope_fields:
                kept[layer] = [f for page in _pages_of_features(source, layer, scope=unit) for f in page]
        lines = {str(f.properties["name"]) for f in kept["boundary_lines"]}
        kept["boundary_markers"] = [
            f for f in source.iter_features("boundary_markers") if str(f.properties.get("line_name")) in lines
        ]
        names = {f.id for f in kept["place_names"]}
        kept["name_procedures"] = [
            f for f in source.iter_features("name_procedures") if f.properties.get("name_id") in names
        ]
        ids = {layer: {f.id for f in features} for layer, features in kept.items()}
        audit = [
            row
            for rows in _pages_of_rows(source, "audit")
            for row in rows
            if row["feature_id"] in ids.get(str(row["layer"]), set())
        ]
        changesets = {row["changeset_id"] for row in audit}
        procedures = ids["name_procedures"]
        tables = {
            "changesets": [r for rows in _pages_of_rows(source, "changesets") for r in rows if r["id"] in changesets],
            "audit": audit,
            "documents": [
                r for rows in _pages_of_rows(source, "documents") for r in rows if r["procedure_id"] in procedures
            ],
        }
        with target.bulk_load() as load:
            for layer, features in kept.items():
                load.features(layer, features)
            for table, rows in tables.items():
                load.rows(table, rows)
    for layer, features in kept.items():
        report.counts[layer] = len(features)
    for table, rows in tables.items():
        report.counts[table] = len(rows)
    # read back: every layer and table of the target is exactly what was chosen from the source
    sums: dict[str, str] = {}
    for layer, features in kept.items():
        want = hashlib.sha256(b"".join(_feature_digest(f) for f in sorted(features, key=lambda f: f.id)))
        got = hashlib.sha256(b"".join(_feature_digest(f) for page in _pages_of_features(target, layer) for f in page))
        if want.hexdigest() != got.hexdigest():
            raise InvalidStore(f"复制后核对不一致:{layer}", f"the copy of {unit} differs in {layer}")
        sums[layer] = want.hexdigest()
    for table, rows in tables.items():
        key = _KEYS[table]
        want = hashlib.sha256(b"".join(_row_digest(r) for r in sorted(rows, key=lambda r: r[key])))
        got = hashlib.sha256(b"".join(_row_digest(r) for page in _pages_of_rows(target, table) for r in page))
        if want.hexdigest() != got.hexdigest():
            raise InvalidStore(f"复制后核对不一致:{table}", f"the copy of {unit} differs in {table}")
        sums[table] = want.hexdigest()
    offsets = {name: 0 for name in (*LAYERS, "changesets", "audit", "documents")}
    note = {"at": utc_now(), "offsets": offsets, "counties": [unit], "extracted": True}
    source.set_meta(MERGED_PREFIX + target.identity(), json.dumps(note))
    report.checksum = total_checksum(sums)
    return report
