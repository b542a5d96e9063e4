"""Per-township gaps against the plan's targets: a pure function on GeoDataFrames.

Facilities are assigned to townships by where they are (and a mismatch with their ``admin_code`` is
reported, not silently used); villages count as covered by a facility type under the rule in the targets;
distances are metres in the Gauss-Krüger zone. The result holds one row per township, the district row,
the uncovered villages (for the map) and the mismatches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from mzgis.coverage.access import e2sfca
from mzgis.coverage.targets import CoverageRule, Targets
from mzgis.crs import STORAGE_EPSG, to_metric

__all__ = ["TARGET_IDS", "CoverageResult", "analyze", "unmet_zh"]

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "targets": self.targets.as_dict(),
            "townships": self.townships,
            "district": self.district,
            "uncovered_villages": [
                {k: v for k, v in row.items() if k != "geometry"} for row in self.uncovered.to_dict("records")
            ],
            "mismatches": self.mismatches,
            "villages": [{k: v for k, v in row.items() if k != "geometry"} for row in self.villages.to_dict("records")],
        }


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Facilities as points (a polygon site by its representative point)."""
    out = frame.copy()
    out["geometry"] = out.geometry.representative_point()
    return out


def _assign(
    points: gpd.GeoDataFrame, townships: gpd.GeoDataFrame, layer: str, mismatches: list[dict[str, Any]]
) -> pd.Series:
    """The township each facility lies in, by location; a disagreeing admin_code is recorded."""
    if points.empty:
        return pd.Series([], dtype=object)
    joined = gpd.sjoin(points, townships[["code", "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    located: pd.Series = joined["code"].reindex(points.index)
    declared = points["admin_code"].fillna("").astype(str)
    outside = located.isna()
    prefix_ok = np.char.startswith(declared.to_numpy(dtype=str), located.fillna("").to_numpy(dtype=str))
    elsewhere = ~outside & ~pd.Series(prefix_ok, index=points.index)
    for idx in points.index[outside | elsewhere]:
        name, where = points.at[idx, "name"], located[idx]
        message = f"{name} 不在任何乡镇范围内" if outside[idx] else f"{name} 登记在 {declared[idx]},实际位于 {where}"
        mismatches.append(
            {
                "layer": layer,
                "name": name,
                "admin_code": declared[idx],
                "located_in": None if outside[idx] else where,
                "message": message,
            }
        )
    return located


def _covered(
    villages_m: gpd.GeoDataFrame, centres: gpd.GeoSeries, sites_m: gpd.GeoDataFrame, rule: CoverageRule
) -> pd.Series:
    """Whether each village is covered by the sites under ``rule``."""
    if sites_m.empty:
        return pd.Series(False, index=villages_m.index)
    if rule.rule == "inside":
        hits = gpd.sjoin(sites_m[["geometry"]], villages_m[["geometry"]], predicate="within")
        return pd.Series(villages_m.index.isin(hits["index_right"]), index=villages_m.index)
    sites = gpd.GeoSeries(sites_m.geometry.values, crs=sites_m.crs)
    idx_pairs, distances = sites.sindex.nearest(centres.values, return_distance=True)
    best = np.full(len(villages_m), np.inf)
    np.minimum.at(best, idx_pairs[0], distances)
    assert rule.distance_m is not None
    return pd.Series(best <= rule.distance_m, index=villages_m.index)


def _ratio(part: float, whole: float) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


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
    """The per-township table and the district totals against ``targets``. Inputs are not modified."""
    epsg = to_metric(tuple(townships.to_crs(STORAGE_EPSG).total_bounds))
    towns = townships.to_crs(STORAGE_EPSG)[["code", "name", "geometry"]].reset_index(drop=True)
    vill = villages.to_crs(epsg)[["code", "name", "parent_code", "geometry"]].reset_index(drop=True)
    stored_geometry = villages.to_crs(STORAGE_EPSG).geometry.reset_index(drop=True)  # for the outputs
    pop_centres = vill.geometry.representative_point()  # population centres, once
    latest = population.sort_values("year").groupby("code").tail(1).set_index("code")
    vill["aged_60_plus"] = vill.code.map(latest["aged_60_plus"]).fillna(0).astype(int)
    vill["aged_80_plus"] = vill.code.map(latest["aged_80_plus"]).fillna(0).astype(int)
    mismatches: list[dict[str, Any]] = []

    care = _points(eldercare.to_crs(STORAGE_EPSG))
    care["township"] = _assign(care, towns, "eldercare_facilities", mismatches)
    cx = _points(complexes.to_crs(STORAGE_EPSG))
    cx["township"] = _assign(cx, towns, "community_complexes", mismatches)
    bur = _points(burial.to_crs(STORAGE_EPSG))
    bur["township"] = _assign(bur, towns, "burial_sites", mismatches)
    open_burial = bur[bur.status == "open"]

    day_care = care[care.kind == "day_care_station"].to_crs(epsg)
    vill["day_care"] = _covered(vill, pop_centres, day_care, targets.day_care)
    vill["burial"] = _covered(vill, pop_centres, open_burial.to_crs(epsg), targets.burial_site)

    institutions = care[care.kind == "institution"]
    centres = care[care.kind == "home_care_centre"]
    stations = care[care.kind == "day_care_station"]
    # every count per township at once (group-bys, not a filter per township)
    counts = pd.DataFrame(index=pd.Index(towns.code, name="code"))
    counts["aged_60_plus"] = vill.groupby("parent_code").aged_60_plus.sum()
    counts["aged_80_plus"] = vill.groupby("parent_code").aged_80_plus.sum()
    counts["villages"] = vill.groupby("parent_code").size()
    counts["villages_with_day_care"] = vill.groupby("parent_code").day_care.sum()
    counts["villages_covered_by_burial"] = vill.groupby("parent_code").burial.sum()
    counts["beds"] = institutions.groupby("township").beds.sum()
    counts["nursing_beds"] = institutions.groupby("township").nursing_beds.sum()
    counts["home_care_centres"] = centres.groupby("township").size()
    counts["home_care_pro"] = centres.professionally_run.fillna(False).astype(bool).groupby(centres.township).sum()
    counts["day_care_stations"] = stations.groupby("township").size()
    counts["day_care_pro"] = stations.professionally_run.fillna(False).astype(bool).groupby(stations.township).sum()
    counts["community_complexes"] = cx.groupby("township").size()
    counts["burial_sites"] = open_burial.groupby("township").size()
    counts["burial_sites_any_status"] = bur.groupby("township").size()
    counts = counts.fillna(0).astype(int)
    names = dict(zip(towns.code, towns.name, strict=True))
    rows = [
        _row(code, names[code], {str(k): int(v) for k, v in c.items()}, targets, per_township=True)
        for code, c in zip(counts.index, counts.to_dict("records"), strict=True)
    ]
    totals: dict[str, int] = {str(k): int(v) for k, v in counts.sum().items()}
    # the district counts every facility, also those standing outside any township
    totals |= {
        "beds": int(institutions.beds.fillna(0).sum()),
        "nursing_beds": int(institutions.nursing_beds.fillna(0).sum()),
        "home_care_centres": len(centres),
        "home_care_pro": int(centres.professionally_run.fillna(False).astype(bool).sum()),
        "day_care_stations": len(stations),
        "day_care_pro": int(stations.professionally_run.fillna(False).astype(bool).sum()),
        "community_complexes": len(cx),
        "burial_sites": len(open_burial),
        "burial_sites_any_status": len(bur),
    }
    district = _row("", "全区", totals, targets, per_township=False)
    district["townships_without_complex"] = int(
        (counts.community_complexes < targets.community_complexes_per_township).sum()
    )
    district["townships_without_burial_site"] = int((counts.burial_sites < targets.burial_sites_per_township).sum())
    if district["townships_without_complex"]:
        district["unmet"].append("community_complex")
    if district["townships_without_burial_site"]:
        district["unmet"].append("burial_site")

    parts = []
    for kind, column in (("day_care", "day_care"), ("burial_site", "burial")):
        miss = vill[~vill[column]]
        parts.append(
            pd.DataFrame(
                {
                    "facility_type": kind,
                    "code": miss.code.values,
                    "name": miss.name.values,
                    "township": miss.parent_code.values,
                    "township_name": miss.parent_code.map(names).fillna("").values,
                    "aged_60_plus": miss.aged_60_plus.values,
                    "geometry": stored_geometry[miss.index].values,
                }
            )
        )
    uncovered = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=STORAGE_EPSG)
    beds_m = institutions.to_crs(epsg)
    vill["access_beds_per_1000"] = np.round(
        e2sfca(
            np.column_stack([pop_centres.x, pop_centres.y]),
            vill.aged_60_plus.to_numpy(dtype=float),
            np.column_stack([beds_m.geometry.x, beds_m.geometry.y]) if len(beds_m) else np.empty((0, 2)),
            beds_m.beds.fillna(0).to_numpy(dtype=float),
            catchment_m=targets.catchment_m,
        ),
        2,
    )
    villages_out = gpd.GeoDataFrame(
        {
            "code": vill.code,
            "name": vill.name,
            "township": vill.parent_code,
            "aged_60_plus": vill.aged_60_plus,
            "day_care_covered": vill.day_care,
            "burial_covered": vill.burial,
            "access_beds_per_1000": vill.access_beds_per_1000,
        },
        geometry=stored_geometry.values,
        crs=STORAGE_EPSG,
    )
    return CoverageResult(rows, district, uncovered, mismatches, targets, villages_out)


def _row(code: str, name: str, c: dict[str, int], targets: Targets, *, per_township: bool) -> dict[str, Any]:
    """One table row from a township's (or the district's) counts."""
    elderly, beds, nursing = c["aged_60_plus"], c["beds"], c["nursing_beds"]
    need_beds = math.ceil(targets.beds_per_1000_elderly * elderly / 1000)
    need_nursing = math.ceil(targets.nursing_beds_per_1000_elderly * elderly / 1000)
    pro_centres = _ratio(c["home_care_pro"], c["home_care_centres"])
    pro_stations = _ratio(c["day_care_pro"], c["day_care_stations"])
    villages, with_day_care, covered_burial = (
        c["villages"],
        c["villages_with_day_care"],
        c["villages_covered_by_burial"],
    )
    row: dict[str, Any] = {
        "code": code,
        "name": name,
        "aged_60_plus": elderly,
        "aged_80_plus": c["aged_80_plus"],
        "beds": beds,
        "nursing_beds": nursing,
        "beds_per_1000": None if elderly == 0 else round(beds / elderly * 1000, 2),
        "nursing_beds_per_1000": None if elderly == 0 else round(nursing / elderly * 1000, 2),
        "beds_shortfall": max(0, need_beds - beds),
        "nursing_beds_shortfall": max(0, need_nursing - nursing),
        "home_care_centres": c["home_care_centres"],
        "home_care_professional_share": pro_centres,
        "day_care_stations": c["day_care_stations"],
        "day_care_professional_share": pro_stations,
        "community_complexes": c["community_complexes"],
        "burial_sites": c["burial_sites"],
        "burial_sites_any_status": c["burial_sites_any_status"],
        "villages": villages,
        "villages_with_day_care": with_day_care,
        "villages_covered_by_burial": covered_burial,
    }
    unmet = []
    if elderly and beds < need_beds:
        unmet.append("beds_per_1000")
    if elderly and nursing < need_nursing:
        unmet.append("nursing_beds_per_1000")
    if pro_centres is not None and pro_centres < targets.home_care_centres_professional_share:
        unmet.append("home_care_professional")
    if pro_stations is not None and pro_stations < targets.day_care_stations_professional_share:
        unmet.append("day_care_professional")
    if per_township and c["community_complexes"] < targets.community_complexes_per_township:
        unmet.append("community_complex")
    if per_township and c["burial_sites"] < targets.burial_sites_per_township:
        unmet.append("burial_site")
    if villages and covered_burial / villages < targets.villages_covered_by_burial_share:
        unmet.append("burial_coverage")
    if villages and with_day_care / villages < targets.villages_with_day_care_share:
        unmet.append("day_care_coverage")
    row["unmet"] = unmet
    return row
