"""Accessibility of eldercare beds per village: the enhanced two-step floating catchment area (E2SFCA).

Step 1: each institution's beds are shared among the elderly within the catchment, weighted by a
Gaussian distance decay. Step 2: a village's score sums the shares of the institutions within reach,
with the same weights. The result reads as beds per 1,000 elderly within reach, so a planner sees where
capacity is thin even where every distance rule is met. Pure numpy on metric coordinates; pairs come
from a grid (:mod:`mzgis.coverage.near`), so the cost follows the pairs in reach, not all pairs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from mzgis.coverage.near import Grid

__all__ = ["e2sfca", "gaussian_weight"]

Array = NDArray[np.float64]


def gaussian_weight(distance: Array, catchment_m: float) -> Array:
    """Gaussian decay, 1 at the site and 0 at the catchment's edge (and beyond)."""
    edge = np.exp(-0.5)
    w = (np.exp(-0.5 * (distance / catchment_m) ** 2) - edge) / (1.0 - edge)
    return np.where(distance <= catchment_m, np.clip(w, 0.0, 1.0), 0.0)


def e2sfca(demand_at: Array | Grid, demand: Array, supply_xy: Array, supply: Array, *, catchment_m: float) -> Array:
    """Accessibility per demand point, in supply units per 1,000 demand (beds per 1,000 elderly).

    ``demand_at``: the demand points (n × 2), or a :class:`Grid` of them already built.
    """
    points = demand_at if isinstance(demand_at, Grid) else Grid(demand_at, max(catchment_m, 1e-9))
    n, m = points.size, len(supply_xy)
    if n == 0 or m == 0:
        return np.zeros(n)
    s_idx, d_idx, dist = points.within(supply_xy, catchment_m)
    w = gaussian_weight(dist, catchment_m)
    weighted_demand = np.bincount(s_idx, weights=demand[d_idx] * w, minlength=m)
    ratio = np.divide(supply, weighted_demand, out=np.zeros(m), where=weighted_demand > 0)
    return np.asarray(np.bincount(d_idx, weights=ratio[s_idx] * w, minlength=n) * 1000.0, dtype=np.float64)
