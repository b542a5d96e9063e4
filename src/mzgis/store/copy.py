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
from mzgis.store.base import SYSTEM_TABLES, Backend, Feature, Loader
from mzgis.store.schema import STORE_ID_KEY

__all__ = ["CopyReport", "copy_store", "store_checksums"]

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


def _pages_of_features(store: Backend, layer: str) -> Iterator[list[Feature]]:
    after: int | None = None
    while True:
        batch = store.features(layer, limit=_PAGE, after_id=after)
        if batch:
            yield batch
        if len(batch) < _PAGE:
            return
        after = batch[-1].id


def _pages_of_rows(store: Backend, table: str) -> Iterator[list[dict[str, Any]]]:
    after: Any = None
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
    total = hashlib.sha256("".join(sums[t] for t in sorted(sums)).encode()).hexdigest()
    return CopyReport(counts, total)
