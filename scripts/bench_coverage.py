#!/usr/bin/env python3
"""Benchmark of the per-township coverage analysis against what a competent peer would write, at three
sizes spanning 100×.

Deterministic synthetic counties: a side × side grid of townships over eastern China, 15 villages in each,
and facilities in proportion (at side 200: 40,000 townships, 600,000 villages, 100,000 facilities). The
peer uses the same rules as mzgis: geopandas point-in-polygon joins for the township a facility stands in
and for "a day-care station inside the village", a shapely ``STRtree.query(..., predicate="dwithin")`` in
the Gauss-Krüger zone for "an open burial site within 5 km of the population centre", and a scipy KD-tree
for the E2SFCA catchment. Before timing, the script checks in code that both give the same counts per
township, the same uncovered villages and the same accessibility scores; it stops if they differ.

Each method runs ``--repeat`` times, alternating, on the same data; best and median are reported.

Usage: python scripts/bench_coverage.py [--sides 20 63 200] [--seed 11] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from mzgis.coverage.analysis import analyze
from mzgis.coverage.targets import Targets, load_targets
from mzgis.crs import to_metric

WEST, SOUTH, CELL_W, CELL_H = 100.0, 22.0, 0.125, 0.1


def build(side: int, seed: int) -> tuple[gpd.GeoDataFrame, ...]:
    rng = np.random.default_rng(seed)
    grid_x, grid_y = np.meshgrid(np.arange(side), np.arange(side))
    ix, iy = grid_x.ravel(), grid_y.ravel()
    x0, y0 = WEST + ix * CELL_W, SOUTH + iy * CELL_H
    town_codes = np.array([f"{100000 + i // 1000:06d}{i % 1000:03d}" for i in range(side * side)])
    towns = gpd.GeoDataFrame(
        {"code": town_codes, "name": [f"镇{i}" for i in range(side * side)]},
        geometry=shapely.box(x0, y0, x0 + CELL_W, y0 + CELL_H),
        crs=4490,
    )
    # 15 villages per township: 5 columns × 3 rows
    t = np.repeat(np.arange(side * side), 15)
    k = np.tile(np.arange(15), side * side)
    vx0 = x0[t] + (k % 5) * CELL_W / 5
    vy0 = y0[t] + (k // 5) * CELL_H / 3
    v_codes = np.char.add(town_codes[t], np.char.zfill((k + 1).astype(str), 3))
    villages = gpd.GeoDataFrame(
        {"code": v_codes, "name": v_codes, "parent_code": town_codes[t]},
        geometry=shapely.box(vx0, vy0, vx0 + CELL_W / 5, vy0 + CELL_H / 3),
        crs=4490,
    )
    total = rng.integers(800, 4000, len(villages))
    a60 = (total * rng.uniform(0.15, 0.25, len(villages))).astype(int)
    population = pd.DataFrame(
        {"code": v_codes, "year": 2020, "total": total, "aged_60_plus": a60, "aged_80_plus": (a60 * 0.2).astype(int)}
    )

    def points(n: int) -> tuple[Any, np.ndarray]:
        vi = rng.integers(0, len(villages), n)
        px = vx0[vi] + rng.uniform(0.1, 0.9, n) * CELL_W / 5
        py = vy0[vi] + rng.uniform(0.1, 0.9, n) * CELL_H / 3
        return shapely.points(px, py), v_codes[vi]

    def scaled(n: int) -> int:  # facilities in proportion to the townships (n at 40,000 townships)
        return max(1, round(n * side * side / 40_000))

    kinds = (
        ["institution"] * scaled(20_000) + ["home_care_centre"] * scaled(15_000) + ["day_care_station"] * scaled(55_000)
    )
    geoms, codes = points(len(kinds))
    eldercare = gpd.GeoDataFrame(
        {
            "name": [f"设施{i}" for i in range(len(kinds))],
            "kind": kinds,
            "beds": np.where(np.array(kinds) == "institution", rng.integers(50, 400, len(kinds)), 0),
            "nursing_beds": np.where(np.array(kinds) == "institution", rng.integers(10, 50, len(kinds)), 0),
            "professionally_run": rng.random(len(kinds)) < 0.6,
            "admin_code": codes,
        },
        geometry=geoms,
        crs=4490,
    )
    n = scaled(5_000)
    geoms, codes = points(n)
    complexes = gpd.GeoDataFrame(
        {"name": [f"综合体{i}" for i in range(n)], "kind": "urban", "admin_code": codes}, geometry=geoms, crs=4490
    )
    geoms, codes = points(n)
    burial = gpd.GeoDataFrame(
        {
            "name": [f"安葬点{i}" for i in range(n)],
            "kind": "tree",
            "status": np.where(rng.random(n) < 0.8, "open", "planned"),
            "admin_code": codes,
        },
        geometry=geoms,
        crs=4490,
    )
    return towns, villages, population, eldercare, complexes, burial


COUNTS = (
    "aged_60_plus",
    "beds",
    "nursing_beds",
    "home_care_centres",
    "day_care_stations",
    "community_complexes",
    "burial_sites",
    "villages",
    "villages_with_day_care",
    "villages_covered_by_burial",
    "beds_shortfall",
)


@dataclass
class PeerResult:
    table: pd.DataFrame  # per township code: COUNTS
    uncovered: set[tuple[str, str]]  # (facility type, village code)
    access: np.ndarray  # beds per 1,000 elderly within reach, per village (villages' order)


def peer(data: tuple[Any, ...], targets: Targets) -> PeerResult:
    """The same analysis as a peer writes it with geopandas, shapely and scipy (see the module's text)."""
    towns, villages, population, eldercare, complexes, burial = data
    epsg = to_metric(tuple(towns.total_bounds))  # the Gauss-Krüger zone, as mzgis picks it
    codes = towns[["code", "geometry"]]
    aged = villages[["code", "parent_code"]].merge(population[["code", "aged_60_plus"]], on="code", how="left")
    aged["aged_60_plus"] = aged["aged_60_plus"].fillna(0).astype(int)

    def per_town(points: gpd.GeoDataFrame) -> Any:
        return gpd.sjoin(points, codes, predicate="within").rename(columns={"code": "town"})

    care = per_town(eldercare)
    institutions = care[care.kind == "institution"]
    table = aged.groupby("parent_code").agg(aged_60_plus=("aged_60_plus", "sum"), villages=("code", "size"))
    table["beds"] = institutions.groupby("town").beds.sum()
    table["nursing_beds"] = institutions.groupby("town").nursing_beds.sum()
    table["home_care_centres"] = care[care.kind == "home_care_centre"].groupby("town").size()
    table["day_care_stations"] = care[care.kind == "day_care_station"].groupby("town").size()
    table["community_complexes"] = per_town(complexes).groupby("town").size()
    open_sites = burial[burial.status == "open"]
    table["burial_sites"] = per_town(open_sites).groupby("town").size()
    # inside rule: a day-care station within the village polygon
    stations = eldercare[eldercare.kind == "day_care_station"]
    with_station = set(gpd.sjoin(stations, villages[["code", "geometry"]], predicate="within").code)
    day_care = villages.code.isin(with_station).to_numpy()
    # distance rule: an open site within 5 km of the population centre (extent centre if inside, else a
    # point on the surface), measured in the Gauss-Krüger zone
    b = villages.geometry.bounds
    centre = gpd.GeoSeries(shapely.points((b.minx + b.maxx) / 2, (b.miny + b.maxy) / 2), crs=villages.crs)
    inside = villages.geometry.contains(centre, align=False).to_numpy()
    centre = centre.where(inside, villages.geometry.representative_point())
    centres_m = centre.to_crs(epsg)
    sites_m = open_sites.geometry.to_crs(epsg)
    near = shapely.STRtree(sites_m.array).query(centres_m.array, predicate="dwithin", distance=5000.0)
    burial_ok = np.zeros(len(villages), dtype=bool)
    burial_ok[near[0]] = True
    aged["day_care"], aged["burial"] = day_care, burial_ok
    table["villages_with_day_care"] = aged.groupby("parent_code").day_care.sum()
    table["villages_covered_by_burial"] = aged.groupby("parent_code").burial.sum()
    table = table.fillna(0).astype(int)
    need = np.ceil(targets.beds_per_1000_elderly * table.aged_60_plus / 1000)
    table["beds_shortfall"] = np.maximum(0, need - table.beds).astype(int)
    uncovered = {("day_care", c) for c in villages.code[~day_care]} | {
        ("burial_site", c) for c in villages.code[~burial_ok]
    }
    # E2SFCA with a KD-tree over the village centres: pairs within the catchment, Gaussian decay
    catchment = targets.catchment_m
    xy = np.column_stack([centres_m.x, centres_m.y])
    inst_m = institutions.geometry.to_crs(epsg)
    sxy = np.column_stack([inst_m.x, inst_m.y])
    reach = cKDTree(xy).query_ball_point(sxy, r=catchment, return_sorted=False)
    s_idx = np.repeat(np.arange(len(sxy)), [len(r) for r in reach])
    d_idx = np.fromiter((j for r in reach for j in r), dtype=np.int64, count=len(s_idx))
    dist = np.hypot(*(xy[d_idx] - sxy[s_idx]).T)
    edge = np.exp(-0.5)
    w = np.clip((np.exp(-0.5 * (dist / catchment) ** 2) - edge) / (1 - edge), 0, 1)
    demand = aged.aged_60_plus.to_numpy(dtype=float)
    weighted = np.bincount(s_idx, weights=demand[d_idx] * w, minlength=len(sxy))
    supply = institutions.beds.to_numpy(dtype=float)
    ratio = np.divide(supply, weighted, out=np.zeros(len(sxy)), where=weighted > 0)
    access = np.bincount(d_idx, weights=ratio[s_idx] * w, minlength=len(xy)) * 1000
    return PeerResult(table, uncovered, access)


def same_results(ours: Any, theirs: PeerResult) -> None:
    """Stop unless both methods found the same: counts per township, uncovered villages, accessibility."""
    mine = pd.DataFrame(ours.townships).set_index("code")[list(COUNTS)]
    other = theirs.table.reindex(mine.index).fillna(0).astype(int)[list(COUNTS)]
    diff = (mine != other).any(axis=1)
    if diff.any():
        raise SystemExit(
            f"results differ in {int(diff.sum())} townships, e.g.\n{mine[diff].head(3)}\n{other[diff].head(3)}"
        )
    uncovered = set(zip(ours.uncovered.facility_type, ours.uncovered.code, strict=True))
    if uncovered != theirs.uncovered:
        raise SystemExit(f"uncovered villages differ: {len(uncovered ^ theirs.uncovered)} of {len(uncovered)}")
    access = ours.villages.access_beds_per_1000.to_numpy()
    if not np.allclose(access, np.round(theirs.access, 2), atol=0.011):
        raise SystemExit(f"accessibility differs by up to {np.abs(access - theirs.access).max():.3f}")


def timed(run: Callable[[], Any], times: list[float]) -> Any:
    start = time.perf_counter()
    result = run()
    times.append(time.perf_counter() - start)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sides", type=int, nargs="+", default=[20, 63, 200], help="grid sides (200: 40,000 townships)"
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method (alternating)")
    args = parser.parse_args()
    targets = load_targets()
    head = "| townships | villages | facilities | mzgis best | mzgis median | peer best | peer median | peer / mzgis |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for side in args.sides:
        data = build(side, args.seed)
        towns, villages, _, eldercare, complexes, burial = data
        facilities = len(eldercare) + len(complexes) + len(burial)
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(max(args.repeat, 1)):
            result = timed(partial(analyze, *data, targets=targets), ours)
            base = timed(partial(peer, data, targets), theirs)
        same_results(result, base)
        covered = sum(r["villages_covered_by_burial"] for r in result.townships)
        print(
            f"{len(towns):,} townships: same counts, uncovered villages and accessibility "
            f"({covered:,} villages covered by burial); mzgis {', '.join(f'{t:.2f}' for t in ours)} s, "
            f"peer {', '.join(f'{t:.2f}' for t in theirs)} s",
            flush=True,
        )
        lines.append(
            f"| {len(towns):,} | {len(villages):,} | {facilities:,} | {min(ours):.2f} s"
            f" | {statistics.median(ours):.2f} s | {min(theirs):.2f} s | {statistics.median(theirs):.2f} s"
            f" | {min(theirs) / min(ours):.1f}× |"
        )
    print("\n" + "\n".join(lines))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
