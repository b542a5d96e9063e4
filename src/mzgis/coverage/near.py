"""Pairs of points within a distance, on metric coordinates: a uniform grid in numpy.

Points are hashed into square cells and sorted by cell, column by column, so the cells of one column
that a query spans are one contiguous run of the sorted points: a query looks up one run per column
(three for a distance equal to the cell size). No geometry objects are built, so the cost follows the
number of candidate pairs, not the number of points times a tree's overhead. One grid serves queries
of any distance (the coverage radius and the wider accessibility catchment).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Grid", "pairs_within", "ranks"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class Grid:
    """Points (n × 2, metres) hashed into cells of ``cell`` metres, ready for repeated queries."""

    def __init__(self, xy: FloatArray, cell: float) -> None:
        if not cell > 0:
            raise ValueError("cell size must be positive")
        points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self.size = len(points)  # points without finite coordinates are kept out: nothing is near them
        x, y = points[:, 0], points[:, 1]
        finite = np.isfinite(x) & np.isfinite(y)
        kept = None if finite.all() else np.flatnonzero(finite)
        if kept is not None:
            x, y = x[kept], y[kept]
        low = np.array([x.min(), y.min()]) if len(x) else np.zeros(2)
        extent = max(x.max() - low[0], y.max() - low[1]) if len(x) else 0.0
        self.origin = low
        self.cell = max(float(cell), float(extent) / 2**20)  # at most 2**20 cells a side: keys fit in int64
        column, row = self._cells(x, y)
        self.columns = int(column.max()) + 1 if len(x) else 0
        self.rows = int(row.max()) + 1 if len(x) else 0
        keys = column * self.rows + row
        sort = np.argsort(keys, kind="stable")
        self.keys = keys[sort]
        self.order = sort if kept is None else kept[sort]  # sorted position → index into ``xy``
        self.x, self.y = x[sort], y[sort]  # coordinates in sorted order

    def _cells(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
        column = np.floor((x - self.origin[0]) / self.cell).astype(np.int64)
        return column, np.floor((y - self.origin[1]) / self.cell).astype(np.int64)

    def within(self, xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Index pairs (into ``xy``, into the grid's points) at most ``distance`` apart, with the distance."""
        q = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        queries = np.flatnonzero(np.isfinite(q).all(axis=1))
        if len(queries) == 0 or len(self.keys) == 0 or not distance >= 0:
            return _EMPTY, _EMPTY, np.empty(0)
        reach = max(int(np.ceil(distance / self.cell)), 1)  # cells each way
        qx, qy = q[queries, 0], q[queries, 1]
        column, row = self._cells(qx, qy)
        width = 2 * reach + 1
        ia, pos = self._runs(
            np.repeat(np.arange(len(queries)), width),
            (column[:, None] + np.arange(-reach, reach + 1)).ravel(),
            np.repeat(row - reach, width),
            np.repeat(row + reach, width),
        )
        dist = np.hypot(qx[ia] - self.x[pos], qy[ia] - self.y[pos])
        keep = dist <= distance
        return queries[ia[keep]], self.order[pos[keep]], dist[keep]

    def _runs(self, owner: IntArray, column: IntArray, first: IntArray, last: IntArray) -> tuple[IntArray, IntArray]:
        """The points in rows ``first`` .. ``last`` of ``column``, per run: (its owner, sorted position).

        The cells of one column are consecutive in the sort, so each run is one slice of it.
        """
        hit = (column >= 0) & (column < self.columns) & (last >= 0) & (first < self.rows)
        base = column * self.rows
        start = np.searchsorted(self.keys, base + np.clip(first, 0, self.rows - 1), side="left")
        stop = np.searchsorted(self.keys, base + np.clip(last, 0, self.rows - 1), side="right")
        count = np.where(hit, stop - start, 0)
        return np.repeat(owner, count), np.repeat(start, count) + ranks(count)


def ranks(count: IntArray) -> IntArray:
    """0 .. count[k] - 1 for every k, concatenated, without a Python loop."""
    total = int(count.sum())
    return np.arange(total) - np.repeat(np.cumsum(count) - count, count)


_EMPTY = np.empty(0, dtype=np.int64)


def pairs_within(a_xy: FloatArray, b_xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
    """Index pairs (into ``a_xy``, into ``b_xy``) of points at most ``distance`` apart, with the distance."""
    return Grid(b_xy, max(distance, 1e-9)).within(a_xy, distance)
