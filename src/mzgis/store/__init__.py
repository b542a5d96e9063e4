"""Persistence behind two interfaces: the feature store (:class:`Store`: layers, transactions, versions,
audit) and the account store (:class:`AccountStore`: users, tokens, failed sign-ins); a :class:`Backend`
offers both. The GeoPackage file by default (``geopackage`` the features, ``gpkg_accounts`` the accounts,
``gpkg_connection`` the connections and write lock they share, ``schema`` the DDL); PostGIS later.

Owns transactions, versions, the audit trail and the file format. Must not hold domain rules beyond the
layer model's constraints, and must not know about HTTP or the CLI.
"""

from __future__ import annotations

import re
from pathlib import Path

from mzgis.store.base import UNCHANGED, AccountStore, AuditEntry, Backend, Feature, LayerInfo, Store, Transaction
from mzgis.store.geopackage import GeoPackageStore, create_geopackage
from mzgis.store.gpkg_connection import WRITE_WAIT_S

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
    "open_store",
    "refuse_database_url",
]


def open_store(location: Path | str, *, write_wait_s: float = WRITE_WAIT_S) -> Backend:
    """Open the store at ``location`` (a GeoPackage path; a PostGIS URL once that backend exists). A writer
    waits up to ``write_wait_s`` seconds for another process's write, then gets :class:`~mzgis.errors.Busy`."""
    refuse_database_url(location)
    return GeoPackageStore(location, write_wait_s=write_wait_s)


def refuse_database_url(location: Path | str) -> None:
    """A PostgreSQL URL is never taken for a file name (``postgresql://u@h/db`` as a path would create a
    GeoPackage in a folder called ``postgresql:``): until the PostGIS backend exists it is refused, clearly."""
    text = re.sub(r"^(postgres(?:ql)?):/(?!/)", r"\1://", str(location), flags=re.IGNORECASE)  # as typed
    if text.lower().startswith(("postgresql:", "postgres:")):
        from mzgis.errors import BadInput

        raise BadInput(
            f"“{text}”是 PostgreSQL 数据库地址;本版本只支持 GeoPackage 数据文件(PostGIS 后端尚未提供)",
            "PostgreSQL URLs are not supported yet; give a GeoPackage file",
        )
