"""Persistence behind two interfaces: the feature store (:class:`Store`: layers, transactions, versions,
audit) and the account store (:class:`AccountStore`: users, tokens, failed sign-ins); a :class:`Backend`
offers both. What both SQL backends do alike is written once in ``sql`` against a ``Dialect``, with the
shared names and rules in ``tables``; the GeoPackage file by default (package ``geopackage``), a PostgreSQL
database with PostGIS for many counties and officers (package ``postgis``), chosen by a ``postgresql://``
URL wherever a path is taken.

Owns transactions, versions, the audit trail and the file format. Must not hold domain rules beyond the
layer model's constraints, and must not know about HTTP or the CLI.
"""

from __future__ import annotations

from pathlib import Path

from mzgis.store.base import UNCHANGED, AccountStore, AuditEntry, Backend, Feature, LayerInfo, Store, Transaction
from mzgis.store.geopackage import GeoPackageStore, create_geopackage
from mzgis.store.geopackage.connection import WRITE_WAIT_S
from mzgis.store.location import database_url, is_database_url

__all__ = [
    "UNCHANGED",
    "WRITE_WAIT_S",
    "AccountStore",
    "AuditEntry",
    "Backend",
    "Feature",
    "GeoPackageStore",
    "LayerInfo",
    "Store",
    "Transaction",
    "create_geopackage",
    "create_store",
    "database_url",
    "is_database_url",
    "open_store",
]


def open_store(location: Path | str, *, write_wait_s: float = WRITE_WAIT_S) -> Backend:
    """Open the store at ``location``: a GeoPackage path, or a PostgreSQL URL (``postgresql://user@host/db``).
    A writer waits up to ``write_wait_s`` seconds for another's write lock, then gets :class:`~mzgis.errors.Busy`."""
    if is_database_url(location):
        from mzgis.store.postgis import PostGISStore

        return PostGISStore(database_url(location), write_wait_s=write_wait_s)
    return GeoPackageStore(location, write_wait_s=write_wait_s)


def create_store(location: Path | str, *, replace: bool = False) -> Backend:
    """A new, empty store with every layer: a GeoPackage file (which must not exist) or the tables of mzgis
    in an existing PostgreSQL database (``replace``: drop the mzgis tables it holds first)."""
    if is_database_url(location):
        from mzgis.store.postgis import PostGISStore

        return PostGISStore.create(database_url(location), replace=replace)
    return GeoPackageStore.create(location)
