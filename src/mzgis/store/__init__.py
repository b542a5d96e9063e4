"""Persistence behind one interface (:class:`Store`): the GeoPackage file by default, PostGIS later.

Owns transactions, versions, the audit trail and the file format. Must not hold domain rules beyond the
layer model's constraints, and must not know about HTTP or the CLI.
"""

from __future__ import annotations

from pathlib import Path

from mzgis.store.base import UNCHANGED, AuditEntry, Feature, LayerInfo, Store, Transaction
from mzgis.store.geopackage import WRITE_WAIT_S, GeoPackageStore, create_geopackage

__all__ = [
    "UNCHANGED",
    "WRITE_WAIT_S",
    "AuditEntry",
    "Feature",
    "GeoPackageStore",
    "LayerInfo",
    "Store",
    "Transaction",
    "create_geopackage",
    "open_store",
]


def open_store(location: Path | str, *, write_wait_s: float = WRITE_WAIT_S) -> Store:
    """Open the store at ``location`` (a GeoPackage path; a PostGIS URL once that backend exists). A writer
    waits up to ``write_wait_s`` seconds for another process's write, then gets :class:`~mzgis.errors.Busy`."""
    return GeoPackageStore(location, write_wait_s=write_wait_s)
