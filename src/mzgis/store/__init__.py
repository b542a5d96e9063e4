"""Persistence behind one interface (:class:`Store`): the GeoPackage file by default, PostGIS later.

Owns transactions, versions, the audit trail and the file format. Must not hold domain rules beyond the
layer model's constraints, and must not know about HTTP or the CLI.
"""

from __future__ import annotations

from pathlib import Path

from mzgis.store.base import UNCHANGED, AuditEntry, Feature, LayerInfo, Store, Transaction
from mzgis.store.geopackage import GeoPackageStore, create_geopackage

__all__ = [
    "UNCHANGED",
    "AuditEntry",
    "Feature",
    "GeoPackageStore",
    "LayerInfo",
    "Store",
    "Transaction",
    "create_geopackage",
    "open_store",
]


def open_store(location: Path | str) -> Store:
    """Open the store at ``location`` (a GeoPackage path; a PostGIS URL once that backend exists)."""
    return GeoPackageStore(location)
