"""The two geometric questions of the coverage work: where a village's people are, and which polygon
holds a point.

- :func:`population_centres`: no population grid is stored, so a village's population centre is the
  centre of its extent when that lies inside the village (a compact village), otherwise a point inside
  it (GEOS point-on-surface, for a crescent or a village with an enclave). The analysis, the uncovered
  list and the siting suggestions all measure from these same points.
- :class:`Polygons`: which polygon holds each point, by a tree of bounding boxes and an exact test on
  x/y (the same answer as a tree query with ``predicate="within"``: a point on an edge is outside).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["Polygons", "population_centres"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def population_centres(polygons: Any) -> FloatArray:
    """Population centres (n × 2, in the polygons' CRS) of village polygons; NaN for an empty geometry."""
    shapes = np.asarray(polygons, dtype=object)
    if len(shapes) == 0:
        return np.empty((0, 2))
    bounds = shapely.bounds(shapes)
    xy = np.column_stack([(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2])
    off = ~shapely.contains_xy(shapes, xy[:, 0], xy[:, 1]) & ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    if off.any():
        inside = shapely.point_on_surface(shapes[off])
        xy[off] = np.column_stack([shapely.get_x(inside), shapely.get_y(inside)])
    return xy


class Polygons:
    """Polygons with a tree of their bounding boxes, answering which polygon holds each point."""

    def __init__(self, polygons: Any) -> None:
        self.geometries = np.asarray(polygons, dtype=object)
        self.tree = shapely.STRtree(self.geometries)

    def holding(self, points: Any) -> tuple[IntArray, IntArray]:
        """Pairs (point position, polygon position) with the point inside the polygon, not on its edge."""
        points = np.asarray(points, dtype=object)
        p, g = self.tree.query(points)
        inside = shapely.contains_xy(self.geometries[g], shapely.get_x(points[p]), shapely.get_y(points[p]))
        return p[inside].astype(np.int64), g[inside].astype(np.int64)
