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

__all__ = ["TARGET_IDS", "CoverageResult", "analyze"]

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
    for idx, where in located.items():
        declared = str(points.at[idx, "admin_code"] or "")
        if not isinstance(where, str):
            mismatches.append(
                {
                    "layer": layer,
                    "name": points.at[idx, "name"],
                    "admin_code": declared,
                    "located_in": None,
                    "message": f"{points.at[idx, 'name']} 不在任何乡镇范围内",
                }
            )
        elif not declared.startswith(where):
            mismatches.append(
                {
                    "layer": layer,
                    "name": points.at[idx, "name"],
                    "admin_code": declared,
                    "located_in": where,
                    "message": f"{points.at[idx, 'name']} 登记在 {declared},实际位于 {where}",
                }
            )
    return located


def _covered(villages_m: gpd.GeoDataFrame, sites_m: gpd.GeoDataFrame, rule: CoverageRule) -> pd.Series:
    """Whether each village is covered by the sites under ``rule``."""
    if sites_m.empty:
        return pd.Series(False, index=villages_m.index)
    if rule.rule == "inside":
        hits = gpd.sjoin(sites_m[["geometry"]], villages_m[["geometry"]], predicate="within")
        return pd.Series(villages_m.index.isin(hits["index_right"]), index=villages_m.index)
    centres = villages_m.geometry.representative_point()
    tree_geoms = sites_m.geometry.values
    nearest = gpd.GeoSeries(tree_geoms, crs=sites_m.crs).sindex.nearest(centres.values, return_distance=True)
    (idx_pairs, distances) = nearest
    best = pd.Series(np.inf, index=villages_m.index)
    for village_pos, dist in zip(idx_pairs[0], distances, strict=True):
        key = villages_m.index[village_pos]
        best[key] = min(best[key], dist)
    assert rule.distance_m is not None
    return best <= rule.distance_m


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
    vill["day_care"] = _covered(vill, day_care, targets.day_care)
    vill["burial"] = _covered(vill, open_burial.to_crs(epsg), targets.burial_site)

    institutions = care[care.kind == "institution"]
    centres = care[care.kind == "home_care_centre"]
    stations = care[care.kind == "day_care_station"]
    rows = []
    for t in towns.itertuples():
        v = vill[vill.parent_code == t.code]
        rows.append(
            _row(
                t.code,
                t.name,
                v,
                institutions[institutions.township == t.code],
                centres[centres.township == t.code],
                stations[stations.township == t.code],
                cx[cx.township == t.code],
                open_burial[open_burial.township == t.code],
                bur[bur.township == t.code],
                targets,
                per_township=True,
            )
        )
    district = _row(
        "", "全区", vill, institutions, centres, stations, cx, open_burial, bur, targets, per_township=False
    )
    district["townships_without_complex"] = sum(
        1 for r in rows if r["community_complexes"] < targets.community_complexes_per_township
    )
    district["townships_without_burial_site"] = sum(
        1 for r in rows if r["burial_sites"] < targets.burial_sites_per_township
    )
    if district["townships_without_complex"]:
        district["unmet"].append("community_complex")
    if district["townships_without_burial_site"]:
        district["unmet"].append("burial_site")

    town_names = dict(zip(towns.code, towns.name, strict=True))
    uncovered_rows = []
    for kind, column in (("day_care", "day_care"), ("burial_site", "burial")):
        for r in vill[~vill[column]].itertuples():
            uncovered_rows.append(
                {
                    "facility_type": kind,
                    "code": r.code,
                    "name": r.name,
                    "township": r.parent_code,
                    "township_name": town_names.get(r.parent_code, ""),
                    "aged_60_plus": int(r.aged_60_plus),
                    "geometry": r.geometry,
                }
            )
    uncovered = gpd.GeoDataFrame(
        uncovered_rows,
        columns=["facility_type", "code", "name", "township", "township_name", "aged_60_plus", "geometry"],
        geometry="geometry",
        crs=epsg,
    ).to_crs(STORAGE_EPSG)
    centres = vill.geometry.representative_point()
    beds_m = institutions.to_crs(epsg)
    vill["access_beds_per_1000"] = np.round(
        e2sfca(
            np.column_stack([centres.x, centres.y]),
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
        geometry=vill.geometry.values,
        crs=epsg,
    ).to_crs(STORAGE_EPSG)
    return CoverageResult(rows, district, uncovered, mismatches, targets, villages_out)


def _row(
    code: str,
    name: str,
    v: pd.DataFrame,
    institutions: pd.DataFrame,
    centres: pd.DataFrame,
    stations: pd.DataFrame,
    cx: pd.DataFrame,
    open_burial: pd.DataFrame,
    all_burial: pd.DataFrame,
    targets: Targets,
    *,
    per_township: bool,
) -> dict[str, Any]:
    elderly = int(v.aged_60_plus.sum())
    beds = int(institutions.beds.fillna(0).sum())
    nursing = int(institutions.nursing_beds.fillna(0).sum())
    per_1000 = None if elderly == 0 else round(beds / elderly * 1000, 2)
    nursing_per_1000 = None if elderly == 0 else round(nursing / elderly * 1000, 2)
    need_beds = math.ceil(targets.beds_per_1000_elderly * elderly / 1000)
    need_nursing = math.ceil(targets.nursing_beds_per_1000_elderly * elderly / 1000)
    pro_centres = _ratio(float(centres.professionally_run.fillna(False).astype(bool).sum()), len(centres))
    pro_stations = _ratio(float(stations.professionally_run.fillna(False).astype(bool).sum()), len(stations))
    villages = len(v)
    with_day_care = int(v.day_care.sum())
    covered_burial = int(v.burial.sum())
    row: dict[str, Any] = {
        "code": code,
        "name": name,
        "aged_60_plus": elderly,
        "aged_80_plus": int(v.aged_80_plus.sum()),
        "beds": beds,
        "nursing_beds": nursing,
        "beds_per_1000": per_1000,
        "nursing_beds_per_1000": nursing_per_1000,
        "beds_shortfall": max(0, need_beds - beds),
        "nursing_beds_shortfall": max(0, need_nursing - nursing),
        "home_care_centres": len(centres),
        "home_care_professional_share": pro_centres,
        "day_care_stations": len(stations),
        "day_care_professional_share": pro_stations,
        "community_complexes": len(cx),
        "burial_sites": len(open_burial),
        "burial_sites_any_status": len(all_burial),
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
    if per_township and len(cx) < targets.community_complexes_per_township:
        unmet.append("community_complex")
    if per_township and len(open_burial) < targets.burial_sites_per_township:
        unmet.append("burial_site")
    if villages and covered_burial / villages < targets.villages_covered_by_burial_share:
        unmet.append("burial_coverage")
    if villages and with_day_care / villages < targets.villages_with_day_care_share:
        unmet.append("day_care_coverage")
    row["unmet"] = unmet
    return row
