"""Per-township gaps against the plan's targets: a pure function on GeoDataFrames.

Facilities are assigned to townships by where they are (and a mismatch with their ``admin_code`` is
reported, not silently used); villages count as covered by a facility type under the rule in the targets;
distances are metres in the Gauss-Krüger zone. The result holds one row per township, the district row,
the uncovered villages (for the map) and the mismatches.

With township polygons only (a county's first weeks: village polygons are rarely at hand) the parts that
need where villages are — which villages a facility covers, the uncovered villages, accessibility per
village — are not computed and are named in ``not_run``; everything per township still is, the elderly
from the villages' population rows or, for a township without any, from its own row.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from mzgis.coverage.access import e2sfca
from mzgis.coverage.geometry import Polygons, Subdivisions, population_centres
from mzgis.coverage.near import Grid
from mzgis.coverage.reading import reading
from mzgis.coverage.targets import Targets
from mzgis.crs import STORAGE_EPSG, lonlat_to_metric, metric_xy, place, to_metric

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = ["TARGET_IDS", "CoverageResult", "analyze", "latest_population", "unmet_zh"]

# ids of the targets a row can miss, with their Chinese names
TARGET_IDS = {
    "beds_per_1000": "每千名老年人养老床位",
    "nursing_beds_per_1000": "每千名老年人护理型床位",
    "home_care_professional": "居家养老服务中心专业化托管率",
    "day_care_professional": "照料中心专业化运营率",
    "community_complex": "社区服务综合体",
    "burial_site": "节地生态安葬点",
    "burial_coverage": "生态安葬行政村覆盖率",
    "day_care_coverage": "照料中心村(社区)覆盖率",
}


def unmet_zh(ids: list[str], *, none: str = "全部达标") -> str:
    """The Chinese names of unmet target ids, joined for a table cell."""
    return "、".join(TARGET_IDS[i] for i in ids) or none


@dataclass
class CoverageResult:
    townships: list[dict[str, Any]]
    district: dict[str, Any]
    uncovered: gpd.GeoDataFrame
    mismatches: list[dict[str, Any]]
    targets: Targets
    villages: gpd.GeoDataFrame  # per village: elderly, coverage flags, accessibility (E2SFCA)
    # counties of a city-wide run left out (code, name, missing, message): their polygons are not all there
    left_out: list[dict[str, Any]] = field(default_factory=list)
    # the parts not computed (part, message in Chinese): without village polygons, what needs them
    not_run: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "left_out": self.left_out,
            "not_run": self.not_run,
            "targets": self.targets.as_dict(),
            "townships": self.townships,
            "district": self.district,
            "uncovered_villages": [_placed(row) for row in self.uncovered.to_dict("records")],
            "mismatches": self.mismatches,
            "villages": [{k: v for k, v in row.items() if k != "geometry"} for row in self.villages.to_dict("records")],
            # how it reads: wording, goals, gaps and bands per row and target (the page shows these as given)
            "reading": reading(self.townships, self.district, self.targets),
        }


def _placed(row: dict[str, Any]) -> dict[str, Any]:
    """A village's row with where it is, as officers look it up: a point inside it in CGCS2000 and as the web
    maps they use take it (高德/腾讯 GCJ-02, 百度 BD-09)."""
    geom = row.get("geometry")
    out = {k: v for k, v in row.items() if k != "geometry"}
    if geom is None or geom.is_empty:
        return out
    p = geom.representative_point()
    return out | place(p.x, p.y, digits=6)


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Facilities as points in the stored CRS (a polygon site by its representative point)."""
    out = frame.to_crs(STORAGE_EPSG).reset_index(drop=True)
    if len(out) and not (out.geom_type == "Point").all():
        out["geometry"] = out.geometry.representative_point()
    return out


def _assign(
    points: gpd.GeoDataFrame, towns: Polygons, index: pd.Index, layer: str, mismatches: list[dict[str, Any]]
) -> IntArray:
    """The township (position in ``towns``, -1 for none) each facility lies in, by location.

    A facility whose ``admin_code`` disagrees with where it stands is recorded in ``mismatches``
    (``index``: the townships' codes, in the order of ``towns``).
    """
    if points.empty:
        return np.full(0, -1, dtype=np.int64)
    codes: list[str] = index.tolist()
    declared_codes = points["admin_code"].fillna("").astype(str)
    # the township each facility is registered in, tried first (the longest township code it starts with)
    claimed = np.full(len(points), -1, dtype=np.int64)
    for length in sorted(set(index.str.len())):
        found = index.get_indexer(declared_codes.str.slice(0, length))
        claimed = np.where(found >= 0, found, claimed)
    located = towns.locate(points.geometry.array, claimed)
    declared = declared_codes.tolist()
    where = [codes[t] if t >= 0 else None for t in located.tolist()]
    for i, (d, w) in enumerate(zip(declared, where, strict=True)):
        if w is not None and d.startswith(w):
            continue
        name = points.at[i, "name"]
        outside = w is None
        mismatches.append(
            {
                "layer": layer,
                "name": name,
                "admin_code": declared[i],
                "located_in": None if outside else str(where[i]),
                "message": f"{name} 不在任何乡镇范围内"
                if outside
                else f"{name} 登记在 {declared[i]},实际位于 {where[i]}",
            }
        )
    return located


def _place(
    centres_lonlat: FloatArray, epsg: int, cell: float, sites: dict[str, tuple[FloatArray, float]]
) -> tuple[Grid, dict[str, BoolArray]]:
    """The villages' population centres in metres on a grid, and which villages have a site of each
    distance rule within its distance (``sites``: metric coordinates and distance per rule)."""
    centres = Grid(lonlat_to_metric(centres_lonlat, epsg), cell)
    covered = {}
    for key, (xy, distance) in sites.items():
        covered[key] = np.zeros(centres.size, dtype=bool)
        covered[key][centres.within(xy, distance)[1]] = True
    return centres, covered


# what needs the villages' polygons, when some have none
VILLAGE_PARTS = {
    "day_care_coverage": "照料中心村(社区)覆盖率",
    "burial_coverage": "生态安葬行政村覆盖率",
    "uncovered_villages": "未覆盖的村(社区)",
    "access": "各村可达床位(E2SFCA)",
}


def _without_polygon(shapes: Any) -> BoolArray:
    return np.asarray(shapely.is_missing(shapes) | shapely.is_empty(shapes), dtype=bool)


def not_run_without_villages(waiting: int, villages: int) -> list[dict[str, str]]:
    """The parts left out when ``waiting`` of the ``villages`` have no polygon or there are no villages (none
    when every village has its polygon), each with its message."""
    if villages and not waiting:
        return []
    why = f"{waiting} 个村(社区)还没有" if villages else "本数据没有村级区划"
    return [
        {
            "part": part,
            "message": f"{label}需要村级区划面({why}),本次未计算;"
            "导入村级区划面后再运行(mzgis import admin_units 面文件 --update)",
        }
        for part, label in VILLAGE_PARTS.items()
    ]


def latest_population(population: pd.DataFrame, codes: pd.Series, columns: tuple[str, ...]) -> dict[str, IntArray]:
    """Each of ``columns`` for the units in ``codes``, from each unit's latest year (0 when none)."""
    if population.empty:  # nothing to take from (a county whose figures have not come yet)
        return {column: np.zeros(len(codes), dtype=np.int64) for column in columns}
    latest = population.set_index("code")
    if not latest.index.is_unique:  # several years (or a repeated row) of a village: keep its latest
        latest = population.sort_values("year", kind="stable").drop_duplicates("code", keep="last").set_index("code")
    at = latest.index.get_indexer(pd.Index(codes))
    return {
        column: np.where(at >= 0, latest[column].fillna(0).to_numpy(dtype=np.int64)[np.maximum(at, 0)], 0)
        for column in columns
    }


def _per_town(town_idx: IntArray, n: int, weights: Any = None) -> IntArray:
    """Sum (or count) per township position; positions < 0 (outside every township) are left out."""
    inside = town_idx >= 0
    w = None if weights is None else np.asarray(weights, dtype=float)[inside]
    return np.bincount(town_idx[inside], weights=w, minlength=n).round().astype(np.int64)


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector for the duration (and restore it as it was).

    The analysis makes some 100,000 small containers (a row per township, its list of unmet targets)
    and none of them sits in a reference cycle, so reference counting frees everything; left running,
    the collector walks every live object again and again while they are made (on 40,000 townships
    that doubled the time spent on the table).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_cycle_collection_paused()
def analyze(
    townships: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    population: pd.DataFrame,
    eldercare: gpd.GeoDataFrame,
    complexes: gpd.GeoDataFrame,
    burial: gpd.GeoDataFrame,
    *,
    targets: Targets,
) -> CoverageResult:
    """The per-township table and the district totals against ``targets``. Inputs are not modified.

    Topology (which township a facility stands in, a site inside a village) runs in the stored CRS;
    only points are projected to the Gauss-Krüger zone for distances. Counts per township are bincounts
    over township positions, so the cost grows with the rows, not with rows × townships. The metric
    work (projection, distance rules, E2SFCA) runs in a second thread beside the GEOS work.
    """
    towns = townships.to_crs(STORAGE_EPSG)[["code", "name", "geometry"]].reset_index(drop=True)
    epsg = to_metric(tuple(towns.total_bounds))
    n = len(towns)
    vill, vill_shapes, waiting = _villages(villages)
    drawn = waiting == 0 and len(vill) > 0  # the village parts need every village's polygon
    vill_bounds = shapely.bounds(vill_shapes).reshape(-1, 4)
    care, cx, bur = _points(eldercare), _points(complexes), _points(burial)
    kind = care.kind.to_numpy(dtype=object)
    institution, centre, station = (kind == k for k in ("institution", "home_care_centre", "day_care_station"))
    is_open = (bur.status == "open").to_numpy()
    rules = {"day_care": (targets.day_care, station), "burial_site": (targets.burial_site, is_open)}
    layer = {"day_care": care, "burial_site": bur}
    by_distance = {
        key: (metric_xy(layer[key].geometry.array[which], epsg), float(rule.distance_m))
        for key, (rule, which) in rules.items()
        if rule.rule == "distance" and rule.distance_m is not None
    }
    # one grid over the centres serves every distance rule and the accessibility catchment
    reaches = [distance for _, distance in by_distance.values()] + [targets.catchment_m]
    cell = max(min(reaches), max(reaches) / 4)
    beds = care.beds.fillna(0).to_numpy(dtype=float) * institution
    nursing = care.nursing_beds.fillna(0).to_numpy(dtype=float) * institution
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Projecting the centres, the grid, the distance rules and E2SFCA are numpy and PROJ work that
        # lets go of the GIL: a second thread does them while this one does the GEOS work of placing
        # the facilities and then builds the table.
        placed = pool.submit(
            _place, population_centres(vill_shapes, vill_bounds), epsg, cell, by_distance if drawn else {}
        )
        aged = latest_population(population, vill.code, ("aged_60_plus", "aged_80_plus"))
        elderly, beds_xy = aged["aged_60_plus"].astype(float), metric_xy(care.geometry.array[institution], epsg)
        access = pool.submit(
            lambda: (
                e2sfca(placed.result()[0], elderly, beds_xy, beds[institution], catchment_m=targets.catchment_m)
                if drawn
                else np.zeros(len(vill))
            )
        )
        town_shapes = Polygons(towns.geometry.array)
        town_index = pd.Index(towns.code.astype(str))  # one hash table for the villages' and the facilities' codes
        vill_town = town_index.get_indexer(vill.parent_code).astype(np.int64)
        mismatches: list[dict[str, Any]] = []
        care_town = _assign(care, town_shapes, town_index, "eldercare_facilities", mismatches)
        cx_town = _assign(cx, town_shapes, town_index, "community_complexes", mismatches)
        bur_town = _assign(bur, town_shapes, town_index, "burial_sites", mismatches)
        town_of = {"day_care": care_town, "burial_site": bur_town}
        inside = [key for key in rules if key not in by_distance] if drawn else []  # a site inside the village
        covered = _covered_inside(
            {key: (layer[key].geometry.array[which], town_of[key][which]) for key, (_, which) in rules.items()},
            inside,
            Subdivisions(vill_shapes, vill_town, n, vill_bounds) if inside else None,
            len(vill),
        )
        covered |= placed.result()[1]
        pro = care.professionally_run.fillna(False).astype(bool).to_numpy()

        of_facilities = _facility_weights(care_town, cx_town, bur_town, beds, nursing, centre, station, pro, is_open)
        rows, district = _tally(aged, covered, of_facilities, population, towns, vill, vill_town, targets, drawn)
        uncovered, villages_out = _village_tables(vill, aged, towns.name, vill_town, covered, access.result(), drawn)
    result = CoverageResult(rows, district, uncovered, mismatches, targets, villages_out)
    result.not_run = not_run_without_villages(waiting, len(vill))
    return result


def _villages(villages: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, NDArray[np.object_], int]:
    """The villages in the stored CRS, their polygons (none of them when any is missing: then the villages
    only count by their parent's code) and how many lack one."""
    vill = villages.to_crs(STORAGE_EPSG)[["code", "name", "parent_code", "geometry"]].reset_index(drop=True)
    shapes = np.asarray(vill.geometry.array, dtype=object)
    waiting = int(_without_polygon(shapes).sum())
    if waiting or not len(vill):
        shapes = np.full(len(vill), None, dtype=object)
    return vill, shapes, waiting


def _tally(
    aged: Mapping[str, Any],
    covered: Mapping[str, BoolArray],
    of_facilities: Mapping[str, tuple[IntArray, Any]],
    population: pd.DataFrame,
    towns: gpd.GeoDataFrame,
    vill: gpd.GeoDataFrame,
    vill_town: IntArray,
    targets: Targets,
    drawn: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every count per township at once, and the district's (which counts every facility, also those
    outside townships): the table's rows and the district row."""
    n = len(towns)
    of_villages = {
        "aged_60_plus": aged["aged_60_plus"],
        "aged_80_plus": aged["aged_80_plus"],
        "villages": None,
        "villages_with_day_care": covered["day_care"],
        "villages_covered_by_burial": covered["burial_site"],
    }
    counts = {key: _per_town(vill_town, n, w) for key, w in of_villages.items()}
    counts |= _townships_own(population, towns.code, vill, vill_town, counts)
    counts |= {key: _per_town(where, n, w) for key, (where, w) in of_facilities.items()}
    rows = _rows(towns.code.tolist(), towns.name.tolist(), counts, targets, per_township=True, drawn=drawn)
    totals = {key: counts[key].sum(keepdims=True) for key in of_villages}
    totals |= {key: _per_town(np.zeros(len(where), np.int64), 1, w) for key, (where, w) in of_facilities.items()}
    return rows, _district(totals, counts, targets, drawn=drawn)


def _covered_inside(
    sites: Mapping[str, tuple[Any, IntArray]], inside: list[str], subdivisions: Subdivisions | None, villages: int
) -> dict[str, BoolArray]:
    """For each rule, the villages that hold one of its sites (``sites``: positions and their townships);
    only the rules in ``inside`` are judged so, the others stay False (a distance rule covers them)."""
    covered: dict[str, BoolArray] = {key: np.zeros(villages, dtype=bool) for key in sites}
    for key in inside:
        assert subdivisions is not None
        points, towns = sites[key]
        covered[key][subdivisions.holding(points, towns)[1]] = True
    return covered


def _facility_weights(
    care_town: IntArray,
    cx_town: IntArray,
    bur_town: IntArray,
    beds: FloatArray,
    nursing: FloatArray,
    centre: BoolArray,
    station: BoolArray,
    pro: BoolArray,
    is_open: BoolArray,
) -> dict[str, tuple[IntArray, Any]]:
    """What each facility count adds up: the township of each facility and its weight (None: one each)."""
    return {
        "beds": (care_town, beds),
        "nursing_beds": (care_town, nursing),
        "home_care_centres": (care_town, centre),
        "home_care_pro": (care_town, centre & pro),
        "day_care_stations": (care_town, station),
        "day_care_pro": (care_town, station & pro),
        "community_complexes": (cx_town, None),
        "burial_sites": (bur_town, is_open),
        "burial_sites_any_status": (bur_town, None),
    }


def _village_tables(
    vill: gpd.GeoDataFrame,
    aged: Mapping[str, Any],
    town_names: pd.Series,
    vill_town: IntArray,
    covered: Mapping[str, BoolArray],
    access: FloatArray,
    drawn: bool,
) -> tuple[Any, gpd.GeoDataFrame]:
    """The villages left uncovered, and every village with its coverage and accessibility (unknown, None,
    when the villages have no polygons)."""
    village_columns = {
        "code": vill.code,
        "name": vill.name,
        "township": vill.parent_code,
        "aged_60_plus": pd.Series(aged["aged_60_plus"]),
    }
    shown = covered if drawn else {key: np.ones(len(vill), dtype=bool) for key in covered}  # none listed
    uncovered = _uncovered(village_columns, vill.geometry, town_names, vill_town, shown)

    def known(values: Any) -> pd.Series:
        return pd.Series(values) if drawn else pd.Series([None] * len(vill), dtype=object)

    villages_out = _frame(
        village_columns
        | {
            "day_care_covered": known(covered["day_care"]),
            "burial_covered": known(covered["burial_site"]),
            "access_beds_per_1000": known(np.round(access, 2)),
        },
        vill.geometry,
    )
    return uncovered, villages_out


def _townships_own(
    population: pd.DataFrame, codes: pd.Series, vill: pd.DataFrame, vill_town: IntArray, counts: dict[str, IntArray]
) -> dict[str, IntArray]:
    """The elderly per township: its villages' rows, or (a township none of whose villages has a row) the
    township's own population row (a statistics bureau's table by township)."""
    columns = ("aged_60_plus", "aged_80_plus")
    with_rows = _per_town(vill_town, len(codes), pd.Index(vill.code).isin(population.code)) > 0
    own = latest_population(population, codes, columns)
    return {column: np.where(with_rows, counts[column], own[column]) for column in columns}


def _district(
    totals: dict[str, IntArray], counts: dict[str, IntArray], targets: Targets, *, drawn: bool
) -> dict[str, Any]:
    """The district's row, with how many townships lack a complex or a burial site."""
    district = _rows([""], ["全区"], totals, targets, per_township=False, drawn=drawn)[0]
    without_complex = counts["community_complexes"] < targets.community_complexes_per_township
    without_burial = counts["burial_sites"] < targets.burial_sites_per_township
    district["townships_without_complex"] = int(without_complex.sum())
    district["townships_without_burial_site"] = int(without_burial.sum())
    if district["townships_without_complex"]:
        district["unmet"].append("community_complex")
    if district["townships_without_burial_site"]:
        district["unmet"].append("burial_site")
    return district


def _uncovered(
    columns: dict[str, pd.Series],
    geometry: gpd.GeoSeries,
    town_names: pd.Series,
    vill_town: IntArray,
    covered: Mapping[str, BoolArray],
) -> gpd.GeoDataFrame:
    """The uncovered villages of each facility type, one type after the other, taken by position."""
    missing = {key: np.flatnonzero(~covered[key]) for key in ("day_care", "burial_site")}
    at = np.concatenate(list(missing.values()))
    types = pd.Series(list(missing), dtype=columns["name"].dtype)
    names = pd.concat([town_names, pd.Series([""], dtype=town_names.dtype)], ignore_index=True)  # -1: no township

    def take(column: pd.Series, positions: IntArray = at) -> pd.Series:
        return column.take(positions).reset_index(drop=True)

    return _frame(
        {
            "facility_type": take(types, np.repeat(np.arange(len(missing)), [len(v) for v in missing.values()])),
            "code": take(columns["code"]),
            "name": take(columns["name"]),
            "township": take(columns["township"]),
            "township_name": take(names, vill_town[at]),
            "aged_60_plus": take(columns["aged_60_plus"]),
        },
        take(geometry),
    )


def _frame(columns: dict[str, pd.Series], geometry: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """A layer of ``columns`` (all on the same default index), in the stored CRS, without copying them
    (the constructors' copies were the larger part of building the layers)."""
    return gpd.GeoDataFrame(pd.DataFrame(columns, copy=False), geometry=geometry, crs=STORAGE_EPSG, copy=False)


def _ratios(part: IntArray, whole: IntArray, scale: int, digits: int) -> list[float | None]:
    """``part / whole × scale`` rounded to ``digits`` (None where ``whole`` is 0)."""
    rounded = np.round(part / np.maximum(whole, 1) * scale, digits)
    out: list[float | None] = rounded.tolist()
    for i in np.flatnonzero(whole == 0).tolist():
        out[i] = None
    return out


def _rows(
    codes: list[str], names: list[str], c: dict[str, IntArray], targets: Targets, *, per_township: bool, drawn: bool
) -> list[dict[str, Any]]:
    """Table rows (one per township, or the district's) from the counts, with the targets each misses; without
    the villages' polygons (not ``drawn``) the villages covered are None and their targets are not judged."""
    elderly, beds, nursing = c["aged_60_plus"], c["beds"], c["nursing_beds"]
    need_beds = np.ceil(targets.beds_per_1000_elderly * elderly / 1000)
    need_nursing = np.ceil(targets.nursing_beds_per_1000_elderly * elderly / 1000)
    villages = c["villages"]
    share = np.maximum(villages, 1)
    centres, stations = c["home_care_centres"], c["day_care_stations"]
    columns: dict[str, list[Any]] = {
        "code": codes,
        "name": names,
        "aged_60_plus": elderly.tolist(),
        "aged_80_plus": c["aged_80_plus"].tolist(),
        "beds": beds.tolist(),
        "nursing_beds": nursing.tolist(),
        "beds_per_1000": _ratios(beds, elderly, 1000, 2),
        "nursing_beds_per_1000": _ratios(nursing, elderly, 1000, 2),
        "beds_shortfall": np.maximum(0, need_beds - beds).astype(np.int64).tolist(),
        "nursing_beds_shortfall": np.maximum(0, need_nursing - nursing).astype(np.int64).tolist(),
        "home_care_centres": centres.tolist(),
        "home_care_professional_share": _ratios(c["home_care_pro"], centres, 1, 4),
        "day_care_stations": stations.tolist(),
        "day_care_professional_share": _ratios(c["day_care_pro"], stations, 1, 4),
        **{
            key: c[key].tolist()
            for key in (
                "community_complexes",
                "burial_sites",
                "burial_sites_any_status",
                "villages",
                "villages_with_day_care",
                "villages_covered_by_burial",
            )
        },
    }
    no = np.zeros(len(codes), dtype=bool)
    misses = {
        "beds_per_1000": (elderly > 0) & (beds < need_beds),
        "nursing_beds_per_1000": (elderly > 0) & (nursing < need_nursing),
        "home_care_professional": (centres > 0)
        & (
            np.array(columns["home_care_professional_share"], dtype=float)
            < targets.home_care_centres_professional_share
        ),
        "day_care_professional": (stations > 0)
        & (
            np.array(columns["day_care_professional_share"], dtype=float) < targets.day_care_stations_professional_share
        ),
        "community_complex": (c["community_complexes"] < targets.community_complexes_per_township)
        if per_township
        else no,
        "burial_site": (c["burial_sites"] < targets.burial_sites_per_township) if per_township else no,
        "burial_coverage": (villages > 0)
        & (c["villages_covered_by_burial"] / share < targets.villages_covered_by_burial_share)
        & drawn,
        "day_care_coverage": (villages > 0)
        & (c["villages_with_day_care"] / share < targets.villages_with_day_care_share)
        & drawn,
    }
    if not drawn:
        columns["villages_with_day_care"] = columns["villages_covered_by_burial"] = [None] * len(codes)
    # each row's misses as one number (a bit per target), so the id lists are built once per combination
    ids = list(misses)
    pattern = sum(flags.astype(np.int64) << bit for bit, flags in enumerate(misses.values()))
    lists = {p: [i for bit, i in enumerate(ids) if p >> bit & 1] for p in np.unique(pattern).tolist()}
    columns["unmet"] = [lists[p].copy() for p in np.asarray(pattern).tolist()]
    # copies of one template filled column by column: no dict grows key by key (twice as fast as zip)
    template = dict.fromkeys(columns)
    rows = [template.copy() for _ in codes]
    for key, values in columns.items():
        for row, value in zip(rows, values, strict=True):
            row[key] = value
    return rows
