"""Pairs of points within a distance, on metric coordinates: a uniform grid in numpy.

Points are hashed into square cells and sorted by cell, column by column, so the cells of one column
that a query's reach spans are one contiguous run of the sorted points: a query looks up one run per
column it reaches (three when the distance equals the cell size). No geometry objects are built, so the
cost follows the number of candidate pairs, not the number of points times a tree's overhead. One grid
serves queries of any distance (for instance the coverage radius and the wider accessibility catchment).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["Grid", "pairs_within"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class Grid:
    """Points (n × 2, metres) hashed into cells of ``cell`` metres, ready for repeated queries."""

    def __init__(self, xy: FloatArray, cell: float) -> None:
        if not cell > 0:
            raise ValueError("cell size must be positive")
        points = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self.size = len(points)
        self.cell = float(cell)
        self.origin = points.min(axis=0) if self.size else np.zeros(2)
        ij = self._cells(points)
        self.columns = int(ij[:, 0].max()) + 1 if self.size else 0
        self.rows = int(ij[:, 1].max()) + 1 if self.size else 0
        keys = ij[:, 0] * self.rows + ij[:, 1]
        self.order = np.argsort(keys, kind="stable")  # sorted position → index into ``xy``
        self.keys = keys[self.order]
        self.sorted_xy = points[self.order]

    def _cells(self, xy: FloatArray) -> IntArray:
        return np.floor((xy - self.origin) / self.cell).astype(np.int64)

    def within(self, xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Index pairs (into ``xy``, into the grid's points) at most ``distance`` apart, with the distance."""
        q = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        empty = np.empty(0, dtype=np.int64)
        if len(q) == 0 or self.size == 0 or not distance >= 0:
            return empty, empty, np.empty(0)
        reach = max(int(np.ceil(distance / self.cell)), 1)  # cells each way
        ij = self._cells(q)
        columns = ij[:, :1] + np.arange(-reach, reach + 1)  # nq × (2 reach + 1)
        first = np.clip(ij[:, 1] - reach, 0, self.rows - 1)[:, None]
        last = np.clip(ij[:, 1] + reach, 0, self.rows - 1)[:, None]
        rows_hit = ((ij[:, 1] + reach >= 0) & (ij[:, 1] - reach < self.rows))[:, None]
        hit = rows_hit & (columns >= 0) & (columns < self.columns)
        start = np.searchsorted(self.keys, columns * self.rows + first, side="left")
        stop = np.searchsorted(self.keys, columns * self.rows + last, side="right")
        count = np.where(hit, stop - start, 0).ravel()
        total = int(count.sum())
        if total == 0:
            return empty, empty, np.empty(0)
        ia = np.repeat(np.repeat(np.arange(len(q)), columns.shape[1]), count)
        # sorted positions start .. start + count - 1 of every run, without a Python loop
        pos = np.arange(total) + np.repeat(start.ravel() - (np.cumsum(count) - count), count)
        d = q[ia] - self.sorted_xy[pos]
        dist = np.sqrt(np.einsum("ij,ij->i", d, d))
        keep = dist <= distance
        return ia[keep], self.order[pos[keep]], dist[keep]


def pairs_within(a_xy: FloatArray, b_xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
    """Index pairs (into ``a_xy``, into ``b_xy``) of points at most ``distance`` apart, with the distance."""
    return Grid(b_xy, max(distance, 1e-9)).within(a_xy, distance)
