"""The embedded backend: one GeoPackage file (:mod:`.store` the features and the SQLite dialect,
:mod:`.schema` the DDL and integrity triggers, :mod:`.binary` the geometry format, :mod:`.connection` the
connections and write lock, :mod:`.accounts` and :mod:`.documents` the tables beside the layers,
:mod:`.upgrade` bringing older files up to this version)."""

from mzgis.store.geopackage.connection import WRITE_WAIT_S
from mzgis.store.geopackage.store import GeoPackageStore, create_geopackage

__all__ = ["WRITE_WAIT_S", "GeoPackageStore", "create_geopackage"]
