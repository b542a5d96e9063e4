"""Pairs of points within a distance, on metric coordinates: a uniform grid in numpy.

Points ``b`` are hashed into square cells as wide as the distance; each point of ``a`` looks in its own
cell and the eight around it. No geometry objects are built, so the cost follows the number of candidate
pairs, not the number of points times a tree's overhead.
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
        self.xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        self.cell = float(cell)
        self.origin = self.xy.min(axis=0) if len(self.xy) else np.zeros(2)
        ij = np.floor((self.xy - self.origin) / self.cell).astype(np.int64)
        self.rows = int(ij[:, 1].max()) + 3 if len(ij) else 3
        keys = self._key(ij)
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]

    def _key(self, ij: IntArray) -> IntArray:
        # shift by one so the neighbours of the first column and row have non-negative keys
        return (ij[:, 0] + 1) * self.rows + (ij[:, 1] + 1)

    def within(self, xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Index pairs (into ``xy``, into the grid's points) at most ``distance`` apart, with the distance.

        ``distance`` must not exceed the cell size.
        """
        if distance > self.cell:
            raise ValueError("distance larger than the grid's cell")
        q = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if len(q) == 0 or len(self.xy) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        ij = np.floor((q - self.origin) / self.cell).astype(np.int64)
        found_a, found_b = [], []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                cell = ij + np.array([dx, dy])
                ok = (cell[:, 1] >= -1) & (cell[:, 1] <= self.rows - 2)  # rows outside the grid hold nothing
                keys = self._key(cell)
                start = np.searchsorted(self.keys, keys, side="left")
                stop = np.searchsorted(self.keys, keys, side="right")
                count = np.where(ok, stop - start, 0)
                total = int(count.sum())
                if total == 0:
                    continue
                a = np.repeat(np.arange(len(q)), count)
                # positions start[a] + 0 .. count[a]-1, built without a Python loop
                offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
                found_a.append(a)
                found_b.append(self.order[np.repeat(start, count) + offsets])
        if not found_a:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        ia, ib = np.concatenate(found_a), np.concatenate(found_b)
        dist = np.hypot(*(q[ia] - self.xy[ib]).T)
        keep = dist <= distance
        return ia[keep], ib[keep], dist[keep]


def pairs_within(a_xy: FloatArray, b_xy: FloatArray, distance: float) -> tuple[IntArray, IntArray, FloatArray]:
    """Index pairs (into ``a_xy``, into ``b_xy``) of points at most ``distance`` apart, with the distance."""
    return Grid(b_xy, max(distance, 1e-9)).within(a_xy, distance)
