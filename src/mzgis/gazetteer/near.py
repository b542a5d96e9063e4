"""A live spatial index of the gazetteer's positions (an R-tree, libspatialindex through ``rtree``): nearest
names and names within a distance, exact on the sphere, kept up to date by deleting and inserting the
names a save changed instead of being rebuilt.

The tree holds longitude/latitude points. A query for distance R looks in a box that surely holds every
point within R of the centre (the box is widened for the latitude's shrinking degrees), then measures each
candidate on the sphere: the results are exact, whatever the projection. Nearest names grow the radius
until enough are found.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from rtree import index

__all__ = ["EARTH_RADIUS_M", "NearIndex", "distance_m", "distances_m"]

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0


def distance_m(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Great-circle distance (haversine), good to well under a percent against the ellipsoid."""
    dlat = math.radians(lat1 - lat0)
    dlon = math.radians(lon1 - lon0)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat0)) * math.cos(math.radians(lat1)) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distances_m(lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """:func:`distance_m` for many points at once."""
    dlat = np.radians(lat - lat0)
    dlon = np.radians(lon - lon0)
    a = np.sin(dlat / 2) ** 2 + math.cos(math.radians(lat0)) * np.cos(np.radians(lat)) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a))), dtype=float)


def _box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """A lon/lat box holding every point within ``radius_m`` of (lon, lat)."""
    dlat = radius_m / _M_PER_DEG
    top = min(90.0, abs(lat) + dlat)
    shrink = math.cos(math.radians(top))
    dlon = 180.0 if shrink <= 1e-9 else min(180.0, radius_m / (_M_PER_DEG * shrink))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


class NearIndex:
    """Positions by feature id, in an R-tree that follows edits. Ids are the store's (dense, growing): the
    positions are kept in arrays indexed by id, so a query measures its candidates in one vector step."""

    def __init__(self, points: Iterable[tuple[int, float, float]] = ()) -> None:
        self._lon = np.full(1024, np.nan)
        self._lat = np.full(1024, np.nan)
        self._count = 0

        def stream() -> Iterator[tuple[int, tuple[float, float, float, float], None]]:
            for fid, lon, lat in points:
                self._put(fid, lon, lat)
                yield fid, (lon, lat, lon, lat), None

        props = index.Property()
        # small nodes: a delete and insert (a save) costs ~0.3 ms at 100,000 names instead of ~2 ms with
        # the default 100 (measured by scripts/bench_near.py), queries get faster too
        props.leaf_capacity = 16
        props.index_capacity = 16
        props.near_minimum_overlap_factor = 8  # must stay below both capacities
        generator = stream()
        first = next(generator, None)
        if first is None:
            self._tree = index.Index(properties=props)
        else:  # bulk loading (sort-tile-recursive) is many times faster than inserting one by one

            def again() -> Iterator[tuple[int, tuple[float, float, float, float], None]]:
                yield first
                yield from generator

            self._tree = index.Index(again(), properties=props)

    def _put(self, fid: int, lon: float, lat: float) -> None:
        if fid < 0:
            raise ValueError("feature ids are not negative")
        if fid >= len(self._lon):
            size = max(fid + 1, 2 * len(self._lon))
            self._lon = np.concatenate([self._lon, np.full(size - len(self._lon), np.nan)])
            self._lat = np.concatenate([self._lat, np.full(size - len(self._lat), np.nan)])
        if np.isnan(self._lon[fid]):
            self._count += 1
        self._lon[fid], self._lat[fid] = lon, lat

    def __len__(self) -> int:
        return self._count

    def position(self, fid: int) -> tuple[float, float] | None:
        if fid < 0 or fid >= len(self._lon) or np.isnan(self._lon[fid]):
            return None
        return float(self._lon[fid]), float(self._lat[fid])

    def update(self, fid: int, lon: float | None, lat: float | None) -> None:
        """The feature ``fid`` now stands at (lon, lat); None: it has no position (or is gone)."""
        old = self.position(fid)
        if old is not None:
            self._tree.delete(fid, (old[0], old[1], old[0], old[1]))
            self._lon[fid] = self._lat[fid] = np.nan
            self._count -= 1
        if lon is not None and lat is not None:
            self._put(fid, lon, lat)
            self._tree.insert(fid, (lon, lat, lon, lat))

    def within(self, lon: float, lat: float, radius_m: float) -> list[tuple[int, float]]:
        """Every (id, distance) within ``radius_m`` of (lon, lat), nearest first (ties by id)."""
        ids = np.fromiter(self._tree.intersection(_box(lon, lat, radius_m)), dtype=np.int64)
        if not len(ids):
            return []
        d = distances_m(lon, lat, self._lon[ids], self._lat[ids])
        keep = d <= radius_m
        ids, d = ids[keep], d[keep]
        order = np.lexsort((ids, d))
        return list(zip(ids[order].tolist(), d[order].tolist(), strict=True))

    def nearest(
        self,
        lon: float,
        lat: float,
        k: int,
        *,
        within_m: float | None = None,
        accept: Callable[[int], bool] | None = None,
        start_m: float = 1.0,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest (id, distance) that ``accept`` keeps (all by default), at most ``within_m`` away,
        and any more at the k-th one's distance (a tie is the caller's to break). Exact: the radius doubles
        until ``k`` kept ones lie within it, so none nearer can be outside."""
        if k <= 0 or not self._count:
            return []
        limit = within_m if within_m is not None else 2 * math.pi * EARTH_RADIUS_M
        # a first radius from the tree's own nearest (in degrees, not metres): every true neighbour lies
        # within the farthest of those, measured on the sphere
        seed = np.fromiter(self._tree.nearest((lon, lat, lon, lat), k), dtype=np.int64)
        far = float(distances_m(lon, lat, self._lon[seed], self._lat[seed]).max()) if len(seed) else start_m
        radius = min(limit, far or start_m)
        while True:
            found = [(fid, d) for fid, d in self.within(lon, lat, radius) if accept is None or accept(fid)]
            if len(found) >= k or radius >= limit:
                ties = k
                while ties < len(found) and found[ties][1] == found[k - 1][1]:
                    ties += 1
                return found[:ties]
            radius = min(radius * 2, limit)
