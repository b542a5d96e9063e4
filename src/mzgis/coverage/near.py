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
        finite = np.flatnonzero(np.isfinite(points).all(axis=1))
        self.origin = points[finite].min(axis=0) if len(finite) else np.zeros(2)
        extent = float(np.ptp(points[finite], axis=0).max()) if len(finite) else 0.0
        self.cell = max(float(cell), extent / 2**20)  # at most 2**20 cells a side, so cell keys fit in int64
        ij = self._cells(points[finite])
        self.columns = int(ij[:, 0].max()) + 1 if len(finite) else 0
        self.rows = int(ij[:, 1].max()) + 1 if len(finite) else 0
        keys = ij[:, 0] * self.rows + ij[:, 1]
        sort = np.argsort(keys, kind="stable")
        self.keys = keys[sort]
        self.order = finite[sort]  # sorted position → index into ``xy``
        self.sorted_xy = points[self.order]

    def _cells(self, xy: FloatArray) -> IntArray:
        return np.floor((xy - self.origin) / self.cell).astype(np.int64)

    def within(self, xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Index pairs (into ``xy``, into the grid's points) at most ``distance`` apart, with the distance."""
        q = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        queries = np.flatnonzero(np.isfinite(q).all(axis=1))
        if len(queries) == 0 or len(self.keys) == 0 or not distance >= 0:
            return _EMPTY, _EMPTY, np.empty(0)
        reach = max(int(np.ceil(distance / self.cell)), 1)  # cells each way
        ij = self._cells(q[queries])
        width = 2 * reach + 1
        ia, pos = self._runs(
            np.repeat(queries, width),
            (ij[:, :1] + np.arange(-reach, reach + 1)).ravel(),
            np.repeat(ij[:, 1] - reach, width),
            np.repeat(ij[:, 1] + reach, width),
        )
        d = q[ia] - self.sorted_xy[pos]
        dist = np.sqrt(np.einsum("ij,ij->i", d, d))
        keep = dist <= distance
        return ia[keep], self.order[pos[keep]], dist[keep]

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
