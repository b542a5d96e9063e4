"""Point files for analyses (proposed facilities, candidate sites): any format the importer reads, in
CGCS2000, heights dropped (an analysis measures in the plane). Nothing is stored."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from mzgis.io.importer import convert_geometry, source_system
from mzgis.io.readers import read_table

__all__ = ["read_points"]


def read_points(path: Path, *, from_crs: str | None = None) -> gpd.GeoDataFrame:
    """The rows of ``path`` with their attributes and geometries converted to EPSG:4490."""
    table = read_table(path)
    system, _ = source_system(table.crs, from_crs)
    return gpd.GeoDataFrame(
        table.frame.drop(columns=table.frame.geometry.name),
        geometry=[None if g is None else convert_geometry(g, system, drop_z=True) for g in table.frame.geometry],
        crs=4490,
    )
