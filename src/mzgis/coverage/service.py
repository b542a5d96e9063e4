"""Coverage analysis on the store: reads the layers and hands them to the pure analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from mzgis.admin import counties_ready, require_polygons
from mzgis.coverage.analysis import CoverageResult, analyze, latest_population
from mzgis.coverage.geometry import population_centres
from mzgis.coverage.siting import Pick, build_model, exact, greedy
from mzgis.coverage.targets import Targets, load_targets
from mzgis.crs import STORAGE_EPSG, lonlat_to_metric, place, to_metric
from mzgis.errors import BadInput, NotFound, RuleViolation
from mzgis.store import Store

__all__ = ["PROPOSED_KINDS", "analyze_store", "proposed_frame", "suggest", "what_if"]


_ELDERCARE_KINDS = ("institution", "home_care_centre", "day_care_station")
_BURIAL_KINDS = ("tree", "flower", "lawn", "columbarium", "cemetery")
# what a proposed facility may be (its kind decides the layer it is counted in)
PROPOSED_KINDS = (*_ELDERCARE_KINDS, "urban", "rural", *_BURIAL_KINDS)


def proposed_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Proposed facilities (EPSG:4490) with their target ``layer`` from ``kind``, and a name for each."""
    frame = frame.copy()
    if "kind" not in frame.columns:
        raise BadInput("拟建设施需要 kind(如 institution、urban、cemetery)", "proposed facilities need kind")
    layers = []
    for i, kind in enumerate(frame["kind"]):
        if "layer" in frame.columns and isinstance(frame["layer"].iloc[i], str):
            layers.append(frame["layer"].iloc[i])
        elif kind in _ELDERCARE_KINDS:
            layers.append("eldercare_facilities")
        elif kind in ("urban", "rural"):
            layers.append("community_complexes")
        elif kind in _BURIAL_KINDS:
            layers.append("burial_sites")
        else:
            raise BadInput(
                f"第 {i + 1} 个拟建设施的 kind“{kind}”不是已知的设施类型", f"row {i + 1}: unknown kind {kind!r}"
            )
    frame["layer"] = layers
    if "name" not in frame.columns:
        frame["name"] = [f"拟建{i + 1}" for i in range(len(frame))]
    return frame


_FACILITY_LAYERS = ("eldercare_facilities", "community_complexes", "burial_sites")


@dataclass
class _Inputs:
    """What the analysis reads from the store, read once."""

    townships: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    population: pd.DataFrame
    facilities: dict[str, gpd.GeoDataFrame]
    left_out: list[dict[str, Any]] = field(default_factory=list)  # counties not ready (a city-wide run)


def _inputs(store: Store, unit: str | None = None) -> _Inputs:
    """The admin units, population and facilities of the store, or of the county or township ``unit`` (an
    admin code: a store of several counties is analysed one county at a time)."""
    units = store.read_frame("admin_units", scope=unit)
    if units[units.level == "township"].empty:
        where = f"区划 {unit} 下" if unit else "数据库中"
        raise NotFound(f"{where}没有乡镇级区划,无法做覆盖分析", "no townships to analyse")
    left_out: list[dict[str, Any]] = []
    # the townships' polygons are needed; villages without theirs leave out only what needs them (not_run)
    if unit is None:  # a city-wide run: the counties whose township polygons are all there, the others named
        units, left_out = counties_ready(units, units[units.level == "township"], "覆盖分析")
    else:
        require_polygons(units[units.level == "township"], "覆盖分析")
    facilities = {layer: _of(store.read_frame(layer, scope=unit), left_out) for layer in _FACILITY_LAYERS}
    population = _of(store.read_frame("population", scope=unit), left_out)
    townships, villages = units[units.level == "township"], units[units.level == "village"]
    return _Inputs(townships, villages, population, facilities, left_out)


def _of(frame: pd.DataFrame, left_out: list[dict[str, Any]]) -> pd.DataFrame:
    """The rows of ``frame`` outside the counties left out (by the admin code's first six digits)."""
    if not left_out or frame.empty:
        return frame
    column = "admin_code" if "admin_code" in frame.columns else "code"
    return frame[~frame[column].astype(str).str[:6].isin({str(c["code"]) for c in left_out})]


def _with_proposed(inputs: _Inputs, proposed: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The facility layers with the proposed facilities added (admin code from where they stand). One that
    stands in no township of the county is refused by name: it would count in no township, and counting it
    in the district's totals would claim beds the county does not get."""
    frames = dict(inputs.facilities)
    located = gpd.sjoin(proposed, inputs.townships[["code", "geometry"]], predicate="within", how="left")
    located = located[~located.index.duplicated()]
    outside = located[located["code"].isna()]
    if not outside.empty:
        where = "、".join(
            f"“{name}”({point.x:.5f}, {point.y:.5f})"
            for name, point in zip(outside["name"], outside.geometry.representative_point(), strict=True)
        )
        raise RuleViolation(
            f"拟建设施{where}不在本区县任何乡镇(街道)范围内,未计入分析;请放在区县范围内",
            f"{len(outside)} proposed facilities lie outside every township",
        )
    extra = proposed.assign(admin_code=located["code"].fillna("").values)
    defaults: dict[str, dict[str, Any]] = {
        "eldercare_facilities": {"beds": 0, "nursing_beds": 0, "professionally_run": True},
        "burial_sites": {"status": "open"},
    }
    for layer, frame in frames.items():
        rows = extra[extra.layer == layer].drop(columns="layer")
        for column, value in defaults.get(layer, {}).items():
            rows[column] = rows[column].fillna(value) if column in rows else value
        if not rows.empty:
            frames[layer] = gpd.GeoDataFrame(pd.concat([frame, rows], ignore_index=True), crs=frame.crs)
    return frames


def _analyze(inputs: _Inputs, facilities: dict[str, gpd.GeoDataFrame], targets: Targets) -> CoverageResult:
    result = analyze(
        inputs.townships,
        inputs.villages,
        inputs.population,
        facilities["eldercare_facilities"],
        facilities["community_complexes"],
        facilities["burial_sites"],
        targets=targets,
    )
    result.left_out = inputs.left_out
    return result


def analyze_store(
    store: Store,
    *,
    targets: Targets | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    unit: str | None = None,
) -> CoverageResult:
    """The per-township analysis of the store's county (or of the county or township ``unit``), optionally
    with proposed facilities added."""
    inputs = _inputs(store, unit)
    facilities = inputs.facilities if proposed is None or proposed.empty else _with_proposed(inputs, proposed)
    return _analyze(inputs, facilities, targets or load_targets())


def what_if(
    store: Store, proposed: gpd.GeoDataFrame, *, targets: Targets | None = None, unit: str | None = None
) -> tuple[CoverageResult, CoverageResult]:
    """The analysis as it stands and with ``proposed`` facilities added, from one read of the store (of the
    county or township ``unit`` when given)."""
    inputs = _inputs(store, unit)
    goal = targets or load_targets()
    after = inputs.facilities if proposed.empty else _with_proposed(inputs, proposed)
    return _analyze(inputs, inputs.facilities, goal), _analyze(inputs, after, goal)


# the layer (and kind) of the sites of each facility type the suggestions place
# per facility type of the siting suggestions: its layer, the kind that counts (None: any), and the kind a
# suggestion is proposed as when a planner adds it to the what-if
_TYPE_SITES: dict[str, tuple[str, str | None, str]] = {
    "day_care": ("eldercare_facilities", "day_care_station", "day_care_station"),
    "eldercare": ("eldercare_facilities", "institution", "institution"),
    "burial_site": ("burial_sites", None, "columbarium"),
    "community_complex": ("community_complexes", None, "urban"),
}


def _existing(store: Store, facility_type: str, proposed: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The sites of ``facility_type`` that count as built: open ones in the store, and proposed ones."""
    layer, kind, _ = _TYPE_SITES[facility_type]
    frame = store.read_frame(layer)
    if kind is not None:
        frame = frame[frame.kind == kind]
    if layer == "burial_sites":
        frame = frame[frame.status == "open"]
    sites = frame[["geometry"]]
    if proposed is not None and not proposed.empty:
        mine = proposed[proposed.layer == layer]
        if kind is not None:
            mine = mine[mine.kind == kind]
        sites = gpd.GeoDataFrame(pd.concat([sites, mine[["geometry"]]], ignore_index=True), crs=frame.crs)
    return sites


def _candidates(frame: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, names: dict[str, str]) -> gpd.GeoDataFrame:
    """Candidate sites given as points (EPSG:4490), named, with the township each lies in."""
    label = next((c for c in ("name", "名称") if c in frame.columns), None)
    cands = gpd.GeoDataFrame(
        {"name": frame[label].astype(str).values if label else [f"候选{i + 1}" for i in range(len(frame))]},
        geometry=list(frame.geometry),
        crs=4490,
    )
    located = gpd.sjoin(cands, towns[["code", "geometry"]], predicate="within", how="left")
    located = located[~located.index.duplicated()]
    cands["township"] = located["code"].map(names).fillna("县外").values
    return cands


def suggest(
    store: Store,
    facility_type: str,
    *,
    count: int = 3,
    candidates: gpd.GeoDataFrame | None = None,
    with_exact: bool = False,
    targets: Targets | None = None,
    proposed: gpd.GeoDataFrame | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """Ranked candidate sites for one facility type: greedy maximal covering, and the exact optimum.
    Existing open sites, and ``proposed`` ones of the same type (what-if), are taken as built (also those
    across the border of ``unit``, the county or township whose villages are to be covered, when given:
    they serve its villages all the same)."""
    if count < 1 or count > 100:
        raise BadInput("建议数量应在 1–100 之间", "count must be 1..100")
    targets = targets or load_targets()
    rule = targets.rule(facility_type)
    units = store.read_frame("admin_units", scope=unit)
    require_polygons(units[units.level != "county"], "选址建议")
    villages = units[units.level == "village"].reset_index()
    if villages.empty:
        raise NotFound(f"区划 {unit} 下没有村级区划,无法做选址建议", "no villages to cover")
    towns = units[units.level == "township"]
    names = dict(zip(towns.code, towns.name, strict=True))
    aged = latest_population(store.read_frame("population", scope=unit), villages.code, ("aged_60_plus",))
    villages["aged_60_plus"] = aged["aged_60_plus"]
    epsg = to_metric(tuple(villages.total_bounds))
    villages_m = villages.to_crs(epsg)
    centres = population_centres(villages.to_crs(STORAGE_EPSG).geometry.array)
    if candidates is None:  # the villages' population centres
        cands = gpd.GeoDataFrame(
            {"name": villages.name.values, "township": villages.parent_code.map(names).values},
            geometry=shapely.points(centres),
            crs=STORAGE_EPSG,
        )
    else:
        cands = _candidates(candidates, towns, names)
    model = build_model(
        villages_m,
        lonlat_to_metric(centres, epsg),
        _existing(store, facility_type, proposed).to_crs(epsg),
        cands.to_crs(epsg),
        rule=rule,
    )

    def rows(picks: list[Pick]) -> list[dict[str, Any]]:
        return [p.__dict__ | place(p.lon, p.lat) for p in picks]

    greedy_picks = greedy(model, count)
    result: dict[str, Any] = {
        "type": facility_type,
        "rule": rule.describe(),
        "proposed_kind": _TYPE_SITES[facility_type][2],  # what a pick is added to the what-if as
        "count": count,
        "uncovered_elderly_before": int(model.weights[~model.already].sum()),
        "greedy": rows(greedy_picks),
        "greedy_gain": int(sum(p.gain_elderly for p in greedy_picks)),
    }
    if with_exact:
        exact_picks = exact(model, count)
        result["exact"] = rows(exact_picks)
        result["exact_gain"] = int(sum(p.gain_elderly for p in exact_picks))
    return result
