"""The backend on PostgreSQL with PostGIS, for many counties, officers and server processes (:mod:`.store`
the features and the PostgreSQL dialect, :mod:`.schema` the DDL and triggers, :mod:`.names` the gazetteer's
search in the database, :mod:`.connection` the pool and error mapping, :mod:`.accounts` accounts and
documents)."""

from mzgis.store.postgis.store import PostGISStore, create_postgis

__all__ = ["PostGISStore", "create_postgis"]
