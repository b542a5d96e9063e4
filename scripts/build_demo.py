#!/usr/bin/env python3
"""Rebuild the demo county (路桥区) GeoPackage, deterministically, from the raw sources.

Real: the district outlines (AMap, GCJ-02 → CGCS2000 by the exact inverse) and the 2023 division codes and
names. Synthetic (fixed random seed): township and village polygons tiling the outline, population,
facility positions, the neighbours' versions of the boundary lines and the boundary markers, all kept
faithful to the bureau's 2020 report (see geodata/PROVENANCE.md).

Usage: python scripts/build_demo.py [--sources DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from mzgis.crs import geometry_transformer, transform_geometry
from mzgis.divisions import place_name
from mzgis.gazetteer.names import split_name
from mzgis.gazetteer.romanize import romanize
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import GeoPackageStore
from mzgis.store.tables import STORE_ID_KEY

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = REPO / "geodata" / "sources"  # copies of ../shared/sources (see geodata/PROVENANCE.md)
DEFAULT_OUT = REPO / "geodata" / "luqiao-demo.gpkg"
COUNTY = "331004"
NEIGHBOURS = {
    "331002": ("椒江区", "椒", "路椒线"),
    "331003": ("黄岩区", "黄", "路黄线"),
    "331081": ("温岭市", "温", "路温线"),
}
BUILD_STAMP = "2026-01-01T00:00:00.000Z"
BUILD_USER = "demo-build"
SEED = 331004
GK = "EPSG:4549"  # CGCS2000 3-degree GK zone, CM 120°E

# Approximate centres of the township-level units (lon, lat), for the synthetic Voronoi tiling only.
TOWNSHIP_SEEDS = {
    "331004001": (121.375, 28.560),  # 路南街道
    "331004002": (121.395, 28.580),  # 路桥街道
    "331004003": (121.360, 28.600),  # 路北街道
    "331004004": (121.320, 28.625),  # 螺洋街道
    "331004005": (121.315, 28.590),  # 桐屿街道
    "331004006": (121.320, 28.550),  # 峰江街道
    "331004103": (121.350, 28.525),  # 新桥镇
    "331004104": (121.420, 28.545),  # 横街镇
    "331004106": (121.490, 28.525),  # 金清镇
    "331004107": (121.500, 28.565),  # 蓬街镇
    "331004400": (121.570, 28.555),  # 滨海工业城
    "331004401": (121.625, 28.500),  # 滨海新区
}

# The 16 eldercare institutions of 2020: name, township code, beds, nursing beds, operator, professionally run.
# Totals: 3,828 beds, 2,048 nursing beds (over half), as in the 2020 report.
INSTITUTIONS = [
    ("路桥敬老院", "331004002", 260, 120, "路桥街道", False),
    ("蓬街敬老院", "331004107", 220, 100, "蓬街镇", False),
    ("桐屿山爷姆敬老院", "331004005", 120, 50, "桐屿街道", False),
    ("区福利中心", "331004003", 450, 280, "路桥区民政局", True),
    ("路桥朗高护理院", "331004001", 400, 320, "台州朗高养老服务有限公司", True),
    ("金清敬老院", "331004106", 200, 90, "金清镇", False),
    ("横街敬老院", "331004104", 150, 60, "横街镇", False),
    ("新桥敬老院", "331004103", 160, 70, "新桥镇", False),
    ("峰江敬老院", "331004006", 140, 60, "峰江街道", False),
    ("螺洋敬老院", "331004004", 130, 50, "螺洋街道", False),
    ("路北颐养院", "331004003", 300, 180, "民办", True),
    ("路南康养中心", "331004001", 330, 200, "民办", True),
    ("金清老年公寓", "331004106", 200, 100, "民办", True),
    ("蓬街颐乐园", "331004107", 240, 130, "民办", True),
    ("桐屿护理院", "331004005", 288, 188, "民办", True),
    ("新桥颐和养老院", "331004103", 240, 50, "民办", True),
]
DEMONSTRATION_CENTRES = {"331004001", "331004003", "331004107", "331004106"}  # 4 built in 2020


@dataclass
class Unit:
    code: str
    official_name: str
    level: str
    parent: str
    name: str = ""
    geometry: BaseGeometry | None = None


def read_divisions(path: Path) -> list[Unit]:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    units = []
    for r in rows:
        units.append(Unit(r["code"], r["name"], r["level"], r["parent_code"], place_name(r["name"])))
    return units


def read_outlines(path: Path) -> dict[str, BaseGeometry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        f["properties"]["adcode"]: transform_geometry(shapely.geometry.shape(f["geometry"]), "gcj02")
        for f in data["features"]
    }


# ---------------------------------------------------------------- tiling


def _voronoi_cells(points: np.ndarray, extent: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of ``points`` (in input order), unclipped but covering ``extent``."""
    mp = shapely.MultiPoint([tuple(p) for p in points])
    cells = shapely.voronoi_polygons(mp, extend_to=extent.envelope.buffer(0.05), ordered=True)
    assert len(cells.geoms) == len(points), "seed points must be distinct"
    return list(cells.geoms)


def _sample_inside(poly: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    prepared = prep(poly)
    pts: list[tuple[float, float]] = []
    while len(pts) < n:
        cand = rng.uniform([minx, miny], [maxx, maxy], size=(max(4 * n, 16), 2))
        pts += [tuple(c) for c in cand if prepared.contains(Point(c))][: n - len(pts)]
    return np.array(pts)


def _relaxed_seeds(poly: BaseGeometry, n: int, rng: np.random.Generator, rounds: int = 4) -> np.ndarray:
    """n points spread over ``poly`` (Lloyd relaxation of random points)."""
    pts = _sample_inside(poly, n, rng)
    if n == 1:
        return np.array([poly.representative_point().coords[0]])
    for _ in range(rounds):
        cells = [c.intersection(poly) for c in _voronoi_cells(pts, poly)]
        new: list[tuple[float, float]] = []
        for cell, p in zip(cells, pts, strict=True):
            c = cell.centroid if not cell.is_empty else Point(p)
            fallback = (float(p[0]), float(p[1]))
            moved = (float(c.x), float(c.y)) if poly.contains(c) else fallback
            # keep seeds distinct, or two villages would share one cell
            new.append(moved if all(np.hypot(*(np.subtract(moved, q))) > 1e-5 for q in new) else fallback)
        pts = np.array(new)
    return pts


def tile(county: BaseGeometry, units: list[Unit], rng: np.random.Generator) -> None:
    """Give every township and village a polygon; together they tile ``county`` exactly.

    No clipping: the outline and the raw Voronoi edges (townships; villages within a box around their
    township) are noded together once and polygonized. Each face lies inside one township cell and one
    village cell, so it goes to the nearest township seed and, within that township, the nearest village
    seed. Neighbours therefore share identical vertices (a valid GEOS coverage), villages nest exactly in
    their townships, and the union is the outline (overlay clipping of AMap's outline left slivers).
    """
    townships = [u for u in units if u.level == "township"]
    villages_of: dict[str, list[Unit]] = defaultdict(list)
    for u in units:
        if u.level == "village":
            villages_of[u.parent].append(u)
    t_points = np.array([TOWNSHIP_SEEDS[t.code] for t in townships])
    t_raw = _voronoi_cells(t_points, county)
    lines: list[BaseGeometry] = [county.boundary, *(c.boundary for c in t_raw)]
    v_points: dict[str, np.ndarray] = {}
    for t, raw in zip(townships, t_raw, strict=True):
        cell = raw.intersection(county)  # used only to place the seeds
        main = max(getattr(cell, "geoms", [cell]), key=lambda g: g.area)
        v_points[t.code] = _relaxed_seeds(main, len(villages_of[t.code]), rng)
        minx, miny, maxx, maxy = cell.bounds
        for vc in _voronoi_cells(v_points[t.code], cell):
            lines.append(shapely.clip_by_rect(vc.boundary, minx - 0.002, miny - 0.002, maxx + 0.002, maxy + 0.002))
    # snap-rounding noder on a 1e-11° grid (about 1 µm): robust, and moves the outline by nothing that matters
    noded = shapely.union_all(lines, grid_size=1e-11)
    faces = list(shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms)
    by_village: dict[str, list[BaseGeometry]] = defaultdict(list)
    prepared = prep(county)
    for face in faces:
        rp = face.representative_point()
        if not prepared.contains(rp):
            continue
        xy = np.array(rp.coords[0])
        t_idx = int(np.argmin(np.hypot(*(t_points - xy).T)))
        pts = v_points[townships[t_idx].code]
        v_idx = int(np.argmin(np.hypot(*(pts - xy).T)))
        by_village[villages_of[townships[t_idx].code][v_idx].code].append(face)
    for t in townships:
        for v in villages_of[t.code]:
            if not by_village[v.code]:
                raise RuntimeError(f"village {v.code} got no area in the tiling")
            v.geometry = _multi(shapely.coverage_union_all(by_village[v.code]))
        t.geometry = _multi(shapely.coverage_union_all([f for v in villages_of[t.code] for f in by_village[v.code]]))


def _multi(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    assert isinstance(geom, MultiPolygon), geom.geom_type
    return geom


# ---------------------------------------------------------------- helpers


def point_in(poly: BaseGeometry | None, rng: np.random.Generator) -> Point:
    """A random point well inside ``poly`` (falls back to the representative point)."""
    assert poly is not None
    inner = poly.buffer(-0.0015)
    target = inner if not inner.is_empty else poly
    return Point(_sample_inside(target, 1, rng)[0])


def rounded(geom: BaseGeometry) -> BaseGeometry:
    return shapely.set_precision(geom, 1e-8)


to_gk = geometry_transformer("EPSG:4490", GK)
from_gk = geometry_transformer(GK, "EPSG:4490")


# ---------------------------------------------------------------- boundary lines and markers


def boundary_line(ours: BaseGeometry, theirs: BaseGeometry) -> LineString:
    shared = shapely.line_merge(ours.boundary.intersection(theirs.boundary))
    assert isinstance(shared, LineString), shared.geom_type
    return shared


def neighbour_version(line: LineString, rng: np.random.Generator) -> tuple[LineString, tuple[float, float]]:
    """The neighbour's survey of ``line``: sub-metre noise and one clear bulge (returned as its chainage)."""
    gk = to_gk(line)
    coords = np.asarray(gk.coords)
    seg = np.diff(coords, axis=0)
    chain = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    tangent = np.gradient(coords, axis=0)
    tangent /= np.hypot(tangent[:, 0], tangent[:, 1])[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    noise = rng.normal(0.0, 0.4, len(coords))
    noise[[0, -1]] = 0.0  # both versions end at the same tripoints
    centre = float(rng.uniform(0.35, 0.65)) * chain[-1]
    half = 250.0
    bump = 35.0 * np.clip(1.0 - np.abs(chain - centre) / half, 0.0, None) ** 0.5
    shifted = coords + normal * (noise + bump)[:, None]
    # add vertices inside the bulge so the discrepancy keeps its shape between sparse vertices
    out = from_gk(LineString(shifted))
    assert isinstance(out, LineString)
    return out, (centre - half, centre + half)


def markers_for(
    line_name: str,
    short: str,
    line: LineString,
    neighbours: dict[str, BaseGeometry],
    code_b: str,
    rng: np.random.Generator,
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    gk = to_gk(line)
    length = gk.length
    positions = [0.0]
    while positions[-1] + 2000.0 < length:
        positions.append(positions[-1] + float(rng.uniform(1000.0, 2000.0)))
    positions.append(length)
    out = []
    number = 0
    for i, pos in enumerate(positions):
        pt = from_gk(gk.interpolate(pos))
        third = [c for c, g in neighbours.items() if c != code_b and g.distance(pt) < 1e-6]
        if third and i in (0, len(positions) - 1):
            kind, marker_id = "tripoint", f"路{short}{NEIGHBOURS[third[0]][1]}"
        else:
            number += 1
            kind, marker_id = "single", f"路{short}{number:02d}"
        out.append(
            (
                {
                    "marker_id": marker_id,
                    "line_name": line_name,
                    "kind": kind,
                    "condition": "intact",
                    "installed_on": "2002-06-01",
                },
                pt,
            )
        )
    return out


# ---------------------------------------------------------------- the build


def build(sources: Path, out: Path) -> None:
    rng = np.random.default_rng(SEED)
    units = read_divisions(sources / "luqiao-divisions-2023.csv")
    outlines = read_outlines(sources / "taizhou-districts-amap-gcj02.geojson")
    with (sources / "taizhou-counties-2023.csv").open(encoding="utf-8") as fh:
        county_names = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    county_geom = outlines[COUNTY]
    tile(county_geom, units, rng)
    by_code = {u.code: u for u in units}
    townships = [u for u in units if u.level == "township"]
    villages = [u for u in units if u.level == "village"]

    if out.exists():
        out.unlink()
    for extra in (out.with_name(out.name + "-wal"), out.with_name(out.name + "-shm")):
        extra.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    store = GeoPackageStore.create(out, clock=lambda: BUILD_STAMP)

    with store.transaction(user=BUILD_USER, reason="演示数据:行政区划") as tx:
        rows: list[tuple[dict[str, Any], BaseGeometry | None]] = []
        for code, geom in sorted(outlines.items()):
            rows.append(
                (
                    {
                        "code": code,
                        "name": county_names[code],
                        "level": "county",
                        "parent_code": "331000",
                        "official_name": county_names[code],
                    },
                    _multi(geom),
                )
            )
        for u in townships + villages:
            rows.append(
                (
                    {
                        "code": u.code,
                        "name": u.name,
                        "level": u.level,
                        "parent_code": u.parent,
                        "official_name": u.official_name,
                    },
                    u.geometry,
                )
            )
        tx.insert_many("admin_units", rows)

    # population: registered residents per village-level unit, 60+ about a fifth, 80+ about a fifth of those
    with store.transaction(user=BUILD_USER, reason="演示数据:人口(合成)") as tx:
        rows = []
        for v in villages:
            community = v.name.endswith("社区")
            total = int(rng.integers(2000, 5500) if community else rng.integers(900, 2600))
            a60 = round(total * rng.uniform(0.18, 0.25))
            a80 = round(a60 * rng.uniform(0.15, 0.22))
            rows.append(
                (
                    {"code": v.code, "year": 2020, "total": total, "aged_60_plus": a60, "aged_80_plus": a80},
                    None,
                )
            )
        tx.insert_many("population", rows)

    with store.transaction(user=BUILD_USER, reason="演示数据:养老服务设施(位置合成)") as tx:
        rows = []
        for name, tcode, beds, nursing, operator, pro in INSTITUTIONS:
            village = _pick_village(villages, tcode, rng, prefer_community=True)
            rows.append(
                (
                    {
                        "name": name,
                        "kind": "institution",
                        "beds": beds,
                        "nursing_beds": nursing,
                        "operator": operator,
                        "professionally_run": pro,
                        "demonstration": False,
                        "admin_code": village.code,
                    },
                    point_in(village.geometry, rng),
                )
            )
        for t in townships:
            if t.code.startswith("3310044"):
                continue  # 滨海工业城 and 滨海新区 have no home-care centre of their own
            village = _pick_village(villages, t.code, rng, prefer_community=True)
            rows.append(
                (
                    {
                        "name": f"{t.name}居家养老服务中心",
                        "kind": "home_care_centre",
                        "beds": 20,
                        "nursing_beds": 0,
                        "operator": "社会组织托管" if rng.random() < 0.7 else t.name,
                        "professionally_run": None,
                        "demonstration": t.code in DEMONSTRATION_CENTRES,
                        "admin_code": village.code,
                    },
                    point_in(village.geometry, rng),
                )
            )
        for v in villages:
            pro = bool(rng.random() < 0.55)
            rows.append(
                (
                    {
                        "name": f"{v.name}居家养老服务照料中心",
                        "kind": "day_care_station",
                        "beds": 0,
                        "nursing_beds": 0,
                        "operator": "社会组织托管" if pro else v.name,
                        "professionally_run": pro,
                        "demonstration": False,
                        "admin_code": v.code,
                    },
                    point_in(v.geometry, rng),
                )
            )
        for props, _ in rows:
            if props["professionally_run"] is None:
                props["professionally_run"] = props["operator"] == "社会组织托管"
        tx.insert_many("eldercare_facilities", rows)

    hexing = next(v for v in villages if v.name == "和兴社区")
    xiaowufen = next(v for v in villages if v.name == "小伍份村")
    lianhua = next(v for v in villages if v.name == "莲花社区")
    baifengao = next(v for v in villages if v.name == "白枫岙村")
    with store.transaction(user=BUILD_USER, reason="演示数据:社区服务综合体、节地生态安葬点(位置合成)") as tx:
        tx.insert_many(
            "community_complexes",
            [
                (
                    {
                        "name": "和兴社区城市社区服务综合体",
                        "kind": "urban",
                        "admin_code": hexing.code,
                        "opened": "2020-12-01",
                    },
                    point_in(hexing.geometry, rng),
                ),
                (
                    {
                        "name": "小伍份村农村社区服务综合体",
                        "kind": "rural",
                        "admin_code": xiaowufen.code,
                        "opened": "2020-12-01",
                    },
                    point_in(xiaowufen.geometry, rng),
                ),
            ],
        )
        lotus = point_in(lianhua.geometry, rng)
        cemetery = point_in(baifengao.geometry, rng)
        tx.insert_many(
            "burial_sites",
            [
                (
                    {
                        "name": "莲花山骨灰塔",
                        "kind": "columbarium",
                        "status": "open",
                        "capacity": 12000,
                        "admin_code": lianhua.code,
                    },
                    lotus,
                ),
                (
                    {
                        "name": "白枫岙公墓",
                        "kind": "cemetery",
                        "status": "under_construction",
                        "capacity": 8000,
                        "admin_code": baifengao.code,
                    },
                    rounded(from_gk(to_gk(cemetery).buffer(90.0, quad_segs=4))),
                ),
            ],
        )

    neighbours = {c: outlines[c] for c in NEIGHBOURS}
    with store.transaction(user=BUILD_USER, reason="演示数据:行政区域界线与界桩") as tx:
        marker_rows: list[tuple[dict[str, Any], BaseGeometry | None]] = []
        for code_b, (_, short, line_name) in sorted(NEIGHBOURS.items(), key=lambda kv: kv[1][2]):
            ours = boundary_line(county_geom, outlines[code_b])
            theirs, _ = neighbour_version(ours, rng)
            tx.insert_many(
                "boundary_lines",
                [
                    (
                        {
                            "name": line_name,
                            "county_a": COUNTY,
                            "county_b": code_b,
                            "side": "ours",
                            "surveyed_on": "2020-10-15",
                        },
                        ours,
                    ),
                    (
                        {
                            "name": line_name,
                            "county_a": COUNTY,
                            "county_b": code_b,
                            "side": "neighbour",
                            "surveyed_on": "2020-10-20",
                        },
                        theirs,
                    ),
                ],
            )
            seen = {props["marker_id"] for props, _ in marker_rows}
            marker_rows += [
                (p, g)
                for p, g in markers_for(line_name, short, ours, neighbours, code_b, rng)
                if p["marker_id"] not in seen and _tripoint_key(p["marker_id"]) not in {_tripoint_key(s) for s in seen}
            ]
        _inspections(marker_rows, rng)
        tx.insert_many("boundary_markers", marker_rows)

    with store.transaction(user=BUILD_USER, reason="演示数据:标准地名") as tx:
        rows = []
        county_unit = Unit(COUNTY, "路桥区", "county", "331000", "路桥区", county_geom)
        for u in [county_unit, *townships, *villages]:
            rows.append(_admin_place_name(u, by_code))
        rows += _other_place_names(by_code, lotus, rng)
        # the demo's names are written as they are on purpose: irregular ones are clean-up examples
        tx.admit("place_names")
        tx.insert_many("place_names", rows)
    Gazetteer(store).fill_derived()  # each gets the scope key and pinyin the gazetteer would give it
    # no identity: every copy of the demo claims its own when first asked (one shared id would make all the
    # copies one store to `names import --update`), and the build stays the same byte for byte
    store.set_meta(STORE_ID_KEY, None)


def _tripoint_key(marker_id: str) -> str:
    return "".join(sorted(marker_id)) if len(marker_id) == 3 else marker_id


def _pick_village(villages: list[Unit], township: str, rng: np.random.Generator, *, prefer_community: bool) -> Unit:
    pool = [v for v in villages if v.parent == township]
    preferred = [v for v in pool if v.name.endswith("社区")] if prefer_community else []
    choice = preferred or pool
    return choice[int(rng.integers(0, len(choice)))]


def _inspections(rows: list[tuple[dict[str, Any], BaseGeometry | None]], rng: np.random.Generator) -> None:
    """Inspection dates and condition: the 2025 round done for most markers; a few damaged, missing or overdue."""
    for props, _ in rows:
        props["last_inspected"] = (dt.date(2025, 9, 1) + dt.timedelta(days=int(rng.integers(0, 60)))).isoformat()
    singles = [i for i, (p, _) in enumerate(rows) if p["kind"] == "single"]
    picks = [singles[int(i)] for i in rng.choice(len(singles), size=7, replace=False)]
    rows[picks[0]][0]["condition"] = "damaged"
    rows[picks[1]][0]["condition"] = "damaged"
    rows[picks[2]][0]["condition"] = "missing"
    for i in picks[3:6]:
        rows[i][0]["last_inspected"] = "2019-11-20"  # overdue: more than five years ago
    rows[picks[6]][0]["kind"] = "paired"


def _admin_place_name(u: Unit, by_code: dict[str, Unit]) -> tuple[dict[str, Any], BaseGeometry]:
    sub: str | None
    if u.level == "county":
        category, sub = "administrative_area", "county"
    elif u.level == "township":
        category = "non_administrative_area" if u.code.startswith("3310044") else "administrative_area"
        sub = "development_zone" if category == "non_administrative_area" else "township"
    else:
        category = "self_governing_org"
        sub = "community" if u.name.endswith("社区") else "village" if u.name.endswith("村") else None
    specific, generic = split_name(u.name, category)
    if sub == "township":
        sub = "subdistrict" if generic == "街道" else "town"
    assert u.geometry is not None
    return (
        {
            "name": u.name,
            "specific": specific,
            "generic": generic,
            "romanized": romanize(specific, generic),
            "category": category,
            "subcategory": sub,
            "admin_code": u.code,
            "status": "current",
            "origin": None,
            "approval_ref": None,
            "approved_on": None,
            "former_names": None,
            "is_example": False,
        },
        rounded(u.geometry.representative_point()),
    )


# A few real landmarks named in the bureau's report, and irregular names kept as clean-up examples
# (不规范地名: 大 exaggerated, 洋 foreign, 怪 odd, 重 duplicate). The examples are invented.
OTHER_NAMES = [
    ("莲花山", "land_terrain", "mountain", "331004004", False, None),
    ("南官河", "land_water_body", "river", "331004002", False, None),
    ("十里长街", "transport_facility", "street", "331004002", False, None),
    ("威尼斯花园", "settlement", "residential", "331004001", True, "洋:外国地名"),
    ("曼哈顿国际广场", "building", "commercial", "331004003", True, "洋、大:外国地名、夸大"),
    ("中央帝景苑", "settlement", "residential", "331004104", True, "大:夸大用词"),
    ("环球天下城", "building", "commercial", "331004106", True, "大:夸大用词"),
    ("路桥3号路", "transport_facility", "road", "331004002", True, "怪:混用阿拉伯数字"),
    ("银座大道街", "transport_facility", "road", "331004003", True, "怪:通名叠加"),
]


def _other_place_names(
    by_code: dict[str, Unit], lotus: Point, rng: np.random.Generator
) -> list[tuple[dict[str, Any], BaseGeometry]]:
    rows = []
    for name, category, sub, township, example, why in OTHER_NAMES:
        specific, generic = split_name(name, category)
        geom: BaseGeometry
        if name == "莲花山":
            geom = lotus
            admin = next(c for c, u in by_code.items() if u.name == "莲花社区")
        else:
            pool = sorted(c for c, u in by_code.items() if u.parent == township)
            admin = pool[int(rng.integers(0, len(pool)))]
            geom = point_in(by_code[admin].geometry, rng)
        rows.append(
            (
                {
                    "name": name,
                    "specific": specific,
                    "generic": generic,
                    "romanized": romanize(specific, generic),
                    "category": category,
                    "subcategory": sub,
                    "admin_code": admin,
                    "status": "current",
                    "origin": why,
                    "is_example": example,
                },
                rounded(geom),
            )
        )
    return rows


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="folder of the raw sources")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="GeoPackage to write (replaced)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not (args.sources / "luqiao-divisions-2023.csv").exists():
        print(f"找不到原始数据目录 {args.sources}(需要 ../shared/sources)", file=sys.stderr)
        return 2
    build(args.sources, args.out)
    print(f"已生成 {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
