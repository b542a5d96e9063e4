"""Where to build next: the maximal covering location problem on the villages' elderly.

Demand points are village population centres weighted by their elderly (60+); a site covers a village
when it lies within the type's distance (or, for the "inside" rule, in the village). Existing sites stay
fixed: what they already cover adds nothing. :func:`greedy` picks, one at a time, the candidate that
covers the most still-uncovered elderly; :func:`exact` solves the same model to optimality with the
HiGHS MIP solver. Both are pure functions on GeoDataFrames in a metric CRS.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from mzgis.coverage.geometry import Polygons
from mzgis.coverage.near import Grid
from mzgis.coverage.targets import CoverageRule
from mzgis.crs import point_xy
from mzgis.errors import BadInput

__all__ = ["Pick", "SitingModel", "build_model", "exact", "greedy"]


@dataclass(frozen=True)
class Pick:
    """A chosen candidate, what it adds (elderly and villages newly covered) and the township it serves."""

    candidate: int
    name: str
    township: str
    gain_elderly: int
    gain_villages: int
    lon: float
    lat: float


@dataclass
class SitingModel:
    """Demand weights, which candidates cover which villages, and what is already covered."""

    weights: np.ndarray  # elderly per village
    covers: list[np.ndarray]  # per candidate: indices of villages it covers
    already: np.ndarray  # bool per village: covered by an existing site
    candidates: gpd.GeoDataFrame  # with name, township, geometry (lon/lat)


def _covered_by(sites_m: Any, villages: Polygons, centres: Grid, rule: CoverageRule) -> list[np.ndarray]:
    """Per site (points in the metric CRS), the sorted positions of the villages it covers under ``rule``."""
    if len(sites_m) == 0:
        return []
    if rule.rule == "inside":
        site_idx, village_idx = villages.holding(sites_m)
    else:
        site_idx, village_idx, _ = centres.within(point_xy(sites_m), float(rule.distance_m or 0.0))
    pairs = np.unique(np.column_stack([site_idx, village_idx]).reshape(-1, 2), axis=0)  # sorted by site, village
    cuts = np.cumsum(np.bincount(pairs[:, 0], minlength=len(sites_m)))[:-1]
    return [part.astype(int) for part in np.split(pairs[:, 1], cuts)]


def build_model(
    villages_m: gpd.GeoDataFrame,
    centres_m: np.ndarray,
    existing_m: gpd.GeoDataFrame,
    candidates_m: gpd.GeoDataFrame,
    *,
    rule: CoverageRule,
    weight: str = "aged_60_plus",
) -> SitingModel:
    """The covering model; all frames and the villages' population centres (n × 2) in the same metric CRS;
    candidates need ``name`` and ``township``."""
    if candidates_m.empty:
        raise BadInput("没有候选地点", "no candidate sites")
    weights = villages_m[weight].fillna(0).to_numpy(dtype=float)
    villages = Polygons(villages_m.geometry.array)
    centres = Grid(centres_m, max(float(rule.distance_m or 0.0), 1.0))
    already = np.zeros(len(villages_m), dtype=bool)
    for covered in _covered_by(existing_m.geometry.representative_point().array, villages, centres, rule):
        already[covered] = True
    covers = _covered_by(candidates_m.geometry.array, villages, centres, rule)
    return SitingModel(weights, covers, already, candidates_m.to_crs(4490))


def _pick(model: SitingModel, j: int, newly: np.ndarray) -> Pick:
    c = model.candidates.iloc[j]
    return Pick(
        j,
        str(c["name"]),
        str(c["township"]),
        int(model.weights[newly].sum()),
        len(newly),
        float(c.geometry.x),
        float(c.geometry.y),
    )


def greedy(model: SitingModel, count: int) -> list[Pick]:
    """Pick ``count`` candidates one at a time, each covering the most still-uncovered elderly."""
    covered = model.already.copy()
    picks: list[Pick] = []
    used: set[int] = set()
    for _ in range(count):
        best, best_gain, best_new = -1, 0.0, np.array([], dtype=int)
        for j, vs in enumerate(model.covers):
            if j in used:
                continue
            new = vs[~covered[vs]]
            gain = float(model.weights[new].sum())
            if gain > best_gain:
                best, best_gain, best_new = j, gain, new
        if best < 0:
            break  # nothing left to gain
        used.add(best)
        covered[best_new] = True
        picks.append(_pick(model, best, best_new))
    return picks


_STDOUT_LOCK = threading.Lock()


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Send what native code writes to standard output (file descriptor 1) to the null device meanwhile, so
    a solver's banner never mixes into results (`--json`) or the server's log."""
    with _STDOUT_LOCK:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)


def exact(model: SitingModel, count: int) -> list[Pick]:
    """The same problem solved to optimality (HiGHS): maximize newly covered elderly with ``count`` sites."""
    import highspy

    open_villages = [i for i in range(len(model.weights)) if not model.already[i] and model.weights[i] > 0]
    if not open_villages:
        return []
    with _quiet_stdout():  # HiGHS prints its banner from C++ when created, before options can silence it
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    x = h.addBinaries(len(model.covers))
    y = h.addVariables(len(open_villages), lb=0, ub=1)
    index = {v: k for k, v in enumerate(open_villages)}
    reach: dict[int, list[int]] = {v: [] for v in open_villages}
    for j, vs in enumerate(model.covers):
        for v in vs:
            if v in reach:
                reach[int(v)].append(j)
    for v, js in reach.items():
        h.addConstr(y[index[v]] <= sum((x[j] for j in js), start=0 * x[0]))
    h.addConstr(sum((x[j] for j in range(len(model.covers))), start=0 * x[0]) <= count)
    h.maximize(sum((float(model.weights[v]) * y[index[v]] for v in open_villages), start=0 * x[0]))
    chosen = [j for j, value in enumerate(h.getSolution().col_value[: len(model.covers)]) if value > 0.5]
    # report in the order a planner would build them: largest gain first, gains not double counted
    covered = model.already.copy()
    picks = []
    remaining = set(chosen)
    while remaining:
        j = max(remaining, key=lambda k: float(model.weights[model.covers[k][~covered[model.covers[k]]]].sum()))
        new = model.covers[j][~covered[model.covers[j]]]
        covered[new] = True
        remaining.discard(j)
        if len(new):
            picks.append(_pick(model, j, new))
    return picks
