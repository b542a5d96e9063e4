"""The two geometric questions of the coverage work: where a village's people are, and which polygon
holds a point.

- :func:`population_centres`: no population grid is stored, so a village's population centre is the
  centre of its extent when that lies inside the village (a compact village), otherwise a point inside
  it (GEOS point-on-surface, for a crescent or a village with an enclave). The analysis, the uncovered
  list and the siting suggestions all measure from these same points.
- :class:`Polygons`: which polygon holds each point, by a tree of bounding boxes and an exact test on
  x/y (the answer of ``predicate="within"``: a point on an edge is outside).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from mzgis.coverage.near import ranks
from mzgis.crs import point_xy

__all__ = ["Polygons", "Subdivisions", "population_centres"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def population_centres(polygons: Any, bounds: FloatArray | None = None) -> FloatArray:
    """Population centres (n × 2, in the polygons' CRS) of village polygons; NaN for an empty geometry.

    ``bounds``: the polygons' bounds (n × 4) when already at hand."""
    shapes = np.asarray(polygons, dtype=object)
    if len(shapes) == 0:
        return np.empty((0, 2))
    bounds = shapely.bounds(shapes) if bounds is None else bounds
    xy = np.column_stack([(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2])
    off = np.flatnonzero(~shapely.contains_xy(shapes, xy[:, 0], xy[:, 1]))
    off = off[~(shapely.is_missing(shapes[off]) | shapely.is_empty(shapes[off]))]
    if len(off):
        xy[off] = point_xy(shapely.point_on_surface(shapes[off]))
    return xy


def _by_polygon(p: IntArray, g: IntArray) -> tuple[IntArray, IntArray]:
    """(point, polygon) pairs ordered by polygon: GEOS then reads the polygons in the order they were made
    in memory, which on 600,000 villages makes the exact test several times faster than in point order."""
    order = np.argsort(g, kind="stable")
    return p[order], g[order]


class Polygons:
    """Polygons with a tree of their bounding boxes, answering which polygon holds each point."""

    def __init__(self, polygons: Any) -> None:
        self.geometries = np.asarray(polygons, dtype=object)
        self.tree = shapely.STRtree(self.geometries)

    def holding(self, points: Any) -> tuple[IntArray, IntArray]:
        """Pairs (point position, polygon position) with the point inside the polygon, not on its edge.

        The answer of a tree query with ``predicate="within"``, but the exact test runs on x/y after the
        boxes, without preparing a geometry per point.
        """
        points = np.asarray(points, dtype=object)
        p, g = _by_polygon(*self.tree.query(points))
        xy = point_xy(points[p])
        inside = shapely.contains_xy(self.geometries[g], xy[:, 0], xy[:, 1])
        return p[inside].astype(np.int64), g[inside].astype(np.int64)

    def locate(self, points: Any, hint: IntArray) -> IntArray:
        """The polygon (position, -1 for none) holding each point; ``hint`` names the polygon each point
        is expected in (-1 for no idea), tried first. Where polygons overlap, the hinted one wins, else
        the first in order."""
        points = np.asarray(points, dtype=object)
        located = np.full(len(points), -1, dtype=np.int64)
        tried = np.flatnonzero(hint >= 0)
        tried = tried[np.argsort(hint[tried], kind="stable")]  # in polygon order, as in ``holding``
        xy = point_xy(points[tried])
        inside = shapely.contains_xy(self.geometries[hint[tried]], xy[:, 0], xy[:, 1])
        located[tried[inside]] = hint[tried[inside]]
        rest = np.flatnonzero(located < 0)
        p, g = self.holding(points[rest])
        first = np.unique(p, return_index=True)[1]  # the first of overlapping polygons
        located[rest[p[first]]] = g[first]
        return located


class Subdivisions:
    """Polygons subdividing parents (villages of townships), answering which of them holds each point.

    A point is looked for among the subdivisions of the parent it stands in (their boxes, then an exact
    test on x/y); only the points none of those holds are put to a tree over all subdivisions, built
    then. Where subdivisions of different parents do not overlap, the answer is that of
    :class:`Polygons`, without a tree over hundreds of thousands of villages.
    """

    def __init__(self, polygons: Any, parent: IntArray, parents: int, bounds: FloatArray | None = None) -> None:
        self.geometries = np.asarray(polygons, dtype=object)
        self.bounds = shapely.bounds(self.geometries).reshape(-1, 4) if bounds is None else bounds
        known = np.flatnonzero(parent >= 0)
        self.order = known[np.argsort(parent[known], kind="stable")]  # grouped by parent
        counts = np.bincount(parent[known], minlength=parents)
        # one more, empty group at position ``parents`` for the points standing in no parent
        self.counts = np.append(counts, 0)
        self.starts = np.append(np.cumsum(counts) - counts, 0)
        self._everything: Polygons | None = None

    def holding(self, points: Any, point_parent: IntArray) -> tuple[IntArray, IntArray]:
        """Pairs (point position, subdivision position) with the point inside, not on an edge.

        ``point_parent``: the parent each point stands in (position, -1 for none)."""
        points = np.asarray(points, dtype=object)
        x, y = point_xy(points).T
        group = np.where(point_parent >= 0, point_parent, len(self.counts) - 1)
        count = self.counts[group]
        p = np.repeat(np.arange(len(points)), count)
        g = self.order[np.repeat(self.starts[group], count) + ranks(count)]
        box = self.bounds[g]
        px, py = x[p], y[p]
        near = (px >= box[:, 0]) & (px <= box[:, 2]) & (py >= box[:, 1]) & (py <= box[:, 3])
        p, g = _by_polygon(p[near], g[near])
        inside = shapely.contains_xy(self.geometries[g], x[p], y[p])
        p, g = p[inside], g[inside]
        found = np.zeros(len(points), dtype=bool)
        found[p] = True
        lost = np.flatnonzero(~found & np.isfinite(x) & np.isfinite(y))
        if len(lost):
            if self._everything is None:
                self._everything = Polygons(self.geometries)
            lp, lg = self._everything.holding(points[lost])
            p, g = np.concatenate([p, lost[lp]]), np.concatenate([g, lg])
        return p.astype(np.int64), g.astype(np.int64)
