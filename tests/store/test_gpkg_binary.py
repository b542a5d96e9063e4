from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely import wkt

from mzgis.store.geopackage import binary as gpkg_binary
from tests.conftest import shape


@pytest.mark.parametrize(
    "text",
    ["POINT (121.4 28.6)", "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))", "LINESTRING (1 2, 3 4)", "POINT EMPTY"],
)
def test_round_trip(text: str) -> None:
    geom = wkt.loads(text)
    blob = gpkg_binary.encode(geom, 4490)
    assert blob is not None and blob[:2] == b"GP"
    assert shape(gpkg_binary.decode(blob)).equals(geom) or geom.is_empty


def test_envelope_from_header() -> None:
    blob = gpkg_binary.encode(wkt.loads("LINESTRING (1 2, 3 4)"), 4490)
    assert gpkg_binary.envelope(blob) == (1.0, 3.0, 2.0, 4.0)
    assert gpkg_binary.envelope(gpkg_binary.encode(wkt.loads("POINT EMPTY"), 4490)) is None
    assert gpkg_binary.envelope(None) is None


def test_plain_sqlite_insert_into_a_gdal_geopackage(tmp_path: Path) -> None:
    """The pitfall: GDAL's R-tree triggers need ST_* functions; with ours registered, GDAL sees the row."""
    path = tmp_path / "gdal.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[wkt.loads("POINT (121.3 28.5)")], crs="EPSG:4490")
    pyogrio.write_dataframe(gdf, path, layer="pts", driver="GPKG")
    blob = gpkg_binary.encode(wkt.loads("POINT (121.5 28.6)"), 4490)
    with closing(sqlite3.connect(path)) as conn:
        with pytest.raises(sqlite3.OperationalError, match="ST_IsEmpty"):
            conn.execute("INSERT INTO pts (geom, name) VALUES (?, ?)", (blob, "乙"))
        gpkg_binary.register_functions(conn)
        conn.execute("INSERT INTO pts (geom, name) VALUES (?, ?)", (blob, "乙"))
        conn.commit()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    found = pyogrio.read_dataframe(path, layer="pts", bbox=(121.45, 28.55, 121.55, 28.65))
    assert list(found["name"]) == ["乙"]
