#!/usr/bin/env python3
"""Benchmark of the per-township coverage analysis on a national-scale synthetic case.

Deterministic: 40,000 townships (a 200 × 200 grid of cells over eastern China), 15 villages in each
(600,000), 100,000 facilities (institutions, home-care centres, day-care stations, complexes, eco-burial
sites) at random points. In one run it times mzgis's full analysis (``analyze``: beds and nursing beds per
1,000 elderly and shortfalls, professional shares, complexes, burial sites, day-care coverage of every
village, burial coverage within 5 km, uncovered villages, E2SFCA accessibility) against a naive geopandas
approach (buffer every facility, spatial join, group by) computing the same counts and coverages.

Each method runs ``--repeat`` times, alternating, on the same data; the best and the median time of
each are reported (the first run of either pays one-off costs such as building coordinate transformers).

Usage: python scripts/bench_coverage.py [--townships-side 200] [--seed 11] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mzgis.coverage.analysis import analyze
from mzgis.coverage.targets import load_targets

WEST, SOUTH, CELL_W, CELL_H = 100.0, 22.0, 0.125, 0.1


def build(side: int, seed: int) -> tuple[gpd.GeoDataFrame, ...]:
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(side), np.arange(side))
    ix, iy = ix.ravel(), iy.ravel()
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

    def points(n: int) -> tuple[np.ndarray, np.ndarray]:
        vi = rng.integers(0, len(villages), n)
        px = vx0[vi] + rng.uniform(0.1, 0.9, n) * CELL_W / 5
        py = vy0[vi] + rng.uniform(0.1, 0.9, n) * CELL_H / 3
        return shapely.points(px, py), v_codes[vi]

    kinds = ["institution"] * 20_000 + ["home_care_centre"] * 15_000 + ["day_care_station"] * 55_000
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
    geoms, codes = points(5_000)
    complexes = gpd.GeoDataFrame(
        {"name": [f"综合体{i}" for i in range(5_000)], "kind": "urban", "admin_code": codes}, geometry=geoms, crs=4490
    )
    geoms, codes = points(5_000)
    burial = gpd.GeoDataFrame(
        {
            "name": [f"安葬点{i}" for i in range(5_000)],
            "kind": "tree",
            "status": np.where(rng.random(5_000) < 0.8, "open", "planned"),
            "admin_code": codes,
        },
        geometry=geoms,
        crs=4490,
    )
    return towns, villages, population, eldercare, complexes, burial


def naive(towns, villages, population, eldercare, complexes, burial) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Buffer every facility by its reach, spatial join with the village centres, group by township."""
    crs = 4546  # the GK zone mzgis picks for this extent
    reach = {
        "institution": 5000.0,
        "home_care_centre": 3000.0,
        "day_care_station": 1000.0,
        "urban": 3000.0,
        "tree": 5000.0,
    }
    towns_m = towns.to_crs(crs)
    villages_m = villages.to_crs(crs).merge(population[["code", "aged_60_plus"]], on="code")
    centres = villages_m.set_geometry(villages_m.geometry.centroid)
    facilities = pd.concat([eldercare, complexes, burial[burial.status == "open"]], ignore_index=True).to_crs(crs)
    located = gpd.sjoin(facilities, towns_m[["code", "geometry"]], predicate="within")
    per_kind = located.groupby(["code", "kind"]).agg(n=("name", "size"), beds=("beds", "sum")).reset_index()
    buffers = facilities.copy()
    buffers["geometry"] = buffers.buffer(buffers["kind"].map(reach).to_numpy())
    reached = gpd.sjoin(centres[["code", "parent_code", "geometry"]], buffers[["kind", "geometry"]], predicate="within")
    covered = reached.groupby(["parent_code", "kind"]).code.nunique().unstack(fill_value=0)
    per_town = villages_m.groupby("parent_code").agg(elderly=("aged_60_plus", "sum"), villages=("code", "size"))
    beds = per_kind[per_kind.kind == "institution"].set_index("code").beds
    return per_town.join(covered, how="left").join(beds, how="left")


def timed(run: Callable[[], Any], times: list[float]) -> Any:
    start = time.perf_counter()
    result = run()
    times.append(time.perf_counter() - start)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--townships-side", type=int, default=200, help="grid side: 200 gives 40,000 townships")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method (alternating)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = build(args.townships_side, args.seed)
    t1 = time.perf_counter()
    towns, villages, _, eldercare, complexes, burial = data
    print(
        f"{len(towns):,} townships, {len(villages):,} villages, "
        f"{len(eldercare) + len(complexes) + len(burial):,} facilities; built in {t1 - t0:.1f} s"
    )
    targets = load_targets()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(max(args.repeat, 1)):
        result = timed(lambda: analyze(*data, targets=targets), ours)
        base = timed(lambda: naive(*data), theirs)
    ours_burial = sum(r["villages_covered_by_burial"] for r in result.townships)
    print(
        f"mzgis analyze  : best {min(ours):5.2f} s, median {statistics.median(ours):5.2f} s  "
        f"(villages covered by burial {ours_burial:,}, "
        f"with day care {sum(r['villages_with_day_care'] for r in result.townships):,})"
    )
    print(
        f"naive geopandas: best {min(theirs):5.2f} s, median {statistics.median(theirs):5.2f} s  "
        f"(villages within 5 km of a burial site {int(base['tree'].sum()):,}; "
        "no accessibility score, no mismatch check)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"speed-up: {min(theirs) / min(ours):.1f}x best to best, "
        f"{statistics.median(theirs) / statistics.median(ours):.1f}x median to median; "
        f"all runs mzgis {', '.join(f'{t:.2f}' for t in ours)} s, naive {', '.join(f'{t:.2f}' for t in theirs)} s; "
        f"peak RSS {rss:,.0f} MB"
    )


if __name__ == "__main__":
    main()
