"""Boundary checks on the store: the thin layer between the pure checks and the CLI, API and exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import LineString, mapping
from shapely.geometry.base import BaseGeometry

from mzgis.admin import counties_ready, require_polygons, with_polygons
from mzgis.boundary.alignment import Segment, describe_alignment
from mzgis.boundary.coverage import CoverageReport, Tolerances, check_coverage
from mzgis.boundary.lines import LineComparison, compare_lines
from mzgis.boundary.markers import MarkerReport, check_markers, expected_tripoints
from mzgis.errors import BadInput, NotFound
from mzgis.store import Store

__all__ = ["BoundaryLine", "check_store_coverage", "line_names", "load_line", "map_findings"]

_PARENT_LEVEL = {"village": "township", "township": "county"}
_LEVEL_ZH = {"village": "村(社区)", "township": "乡镇(街道)"}


def check_store_coverage(
    store: Store, level: str, *, tolerances: Tolerances | None = None, unit: str | None = None
) -> CoverageReport:
    """Coverage and hierarchy of one level of the store's admin units (those under ``unit``, a county's or
    township's code, when given) against the level above."""
    if level not in _PARENT_LEVEL:
        raise BadInput(f"层级应为 township 或 village,不是“{level}”", "level must be township or village")
    units = store.read_frame("admin_units", scope=unit)
    mine = units[units.level == level]
    if mine.empty:
        where = f"区划 {unit} 下" if unit else ""
        raise NotFound(f"{where}没有{_LEVEL_ZH[level]}级的行政区划", f"no admin units of level {level}")
    needed = units[units.code.isin(set(mine.code) | set(mine.parent_code))]
    left_out: list[dict[str, Any]] = []
    if unit is None:  # a city-wide check: the counties whose polygons are all there, the others named
        needed, left_out = counties_ready(needed, needed, "区划拓扑检查")
        mine = mine[mine.code.isin(set(needed.code))]
    else:
        require_polygons(needed, "区划拓扑检查")
    parents = units[units.level == _PARENT_LEVEL[level]]
    parents = parents[parents.code.isin(set(mine.parent_code))]
    report = check_coverage(
        mine,
        id_field="code",
        parent_field="parent_code",
        parents=parents,
        parent_id_field="code",
        tolerances=tolerances or Tolerances(),
    )
    report.summary["left_out"] = left_out
    return report


def line_names(store: Store, *, unit: str | None = None) -> list[str]:
    """The names of the boundary lines (those with a county under ``unit``, a code prefix, on either side)."""
    if unit is None:
        return sorted({str(f.properties["name"]) for f in store.iter_features("boundary_lines")})
    return sorted({str(f.properties["name"]) for f in store.features("boundary_lines", scope=unit, geometry=False)})


@dataclass
class BoundaryLine:
    """One boundary line with both versions, its markers and the counties' outlines."""

    name: str
    county_a: str
    county_b: str
    ours: LineString
    theirs: LineString | None
    markers: gpd.GeoDataFrame
    outlines: dict[str, BaseGeometry]
    county_names: dict[str, str]

    def compare(self, *, tolerance_m: float = 5.0) -> LineComparison:
        if self.theirs is None:
            raise NotFound(f"{self.name} 没有对方版本", f"{self.name} has no neighbour version")
        return compare_lines(
            self.ours, self.theirs, tolerance_m=tolerance_m, our_county=self.outlines.get(self.county_a)
        )

    def check_markers(self, *, today: dt.date, tolerance_m: float = 5.0, overdue_years: int = 5) -> MarkerReport:
        tripoints = expected_tripoints(self.ours, self.outlines, self.county_a, self.county_b)
        return check_markers(
            self.ours,
            self.markers,
            line_name=self.name,
            today=today,
            tolerance_m=tolerance_m,
            overdue_years=overdue_years,
            tripoints=tripoints,
        )

    def alignment(self) -> list[Segment]:
        return describe_alignment(self.ours, [(str(r.marker_id), r.geometry) for r in self.markers.itertuples()])


def load_line(store: Store, name: str, *, end_tolerance_deg: float = 5e-5) -> BoundaryLine:
    """A line by name: our version, the neighbour's, the markers on it (its own, and tripoint markers
    of other lines standing at its ends, about 5 m) and the county outlines."""
    lines = store.read_frame("boundary_lines")
    mine = lines[lines.name == name]
    if mine.empty:
        raise NotFound(f"没有界线“{name}”;已有:{'、'.join(line_names(store)) or '无'}", f"no boundary line {name!r}")
    ours_rows = mine[mine.side == "ours"]
    if ours_rows.empty:
        raise NotFound(f"{name} 没有本方版本", f"{name} has no 'ours' version")
    ours = ours_rows.geometry.iloc[0]
    theirs_rows = mine[mine.side == "neighbour"]
    theirs = None if theirs_rows.empty else theirs_rows.geometry.iloc[0]
    markers = store.read_frame("boundary_markers")
    ends = shapely.MultiPoint([ours.coords[0], ours.coords[-1]])
    # lon/lat distance as a small tolerance only: "the same spot", not a measurement
    at_end = (markers.kind == "tripoint") & (shapely.distance(markers.geometry.values, ends) <= end_tolerance_deg)
    markers = markers[(markers.line_name == name) | at_end].reset_index()
    units = with_polygons(store.read_frame("admin_units"))
    counties = units[units.level == "county"]
    return BoundaryLine(
        name,
        str(ours_rows.county_a.iloc[0]),
        str(ours_rows.county_b.iloc[0]),
        ours,
        theirs,
        markers,
        dict(zip(counties.code, counties.geometry, strict=True)),
        dict(zip(counties.code, counties.name, strict=True)),
    )


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}


def map_findings(
    store: Store,
    *,
    level: str = "village",
    tolerance_m: float = 5.0,
    today: dt.date,
    overdue_years: int = 5,
    unit: str | None = None,
) -> dict[str, Any]:
    """Every boundary finding of the store (under ``unit``, a county's or township's code, when given) for the
    map: the admin units' coverage and hierarchy at ``level``, each line's stretches over tolerance (with
    the areas between the versions there) and each line's marker findings (the lines with a county of the
    unit on either side). Each finding has its source, kind, Chinese message, line and a GeoJSON geometry to
    zoom to and highlight; the summaries come along."""
    findings: list[dict[str, Any]] = []

    def add(source: str, kind: str, message: str, line: str | None, shape: dict[str, Any]) -> None:
        findings.append({"source": source, "kind": kind, "message": message, "line": line, "geometry": shape})

    coverage = check_store_coverage(store, level, unit=unit)
    for row, geom in zip(coverage.as_dict()["findings"], coverage.findings.geometry, strict=True):
        shape = mapping(geom) if geom is not None and not geom.is_empty else _point(*row["location"])
        add("coverage", row["kind"], row["message"], None, shape)
    lines: dict[str, Any] = {}
    for name in line_names(store, unit=unit):
        line = load_line(store, name)
        summary: dict[str, Any] = {}
        if line.theirs is not None:
            comparison = line.compare(tolerance_m=tolerance_m)
            summary["comparison"] = comparison.summary
            for seg in comparison.segments:
                near = comparison.areas_along(seg)
                shape = mapping(shapely.union_all(near)) if near else _point(seg["lon"], seg["lat"])
                message = (
                    f"{name} 里程 {seg['from_m']:.0f}–{seg['to_m']:.0f} 米两方界线相差最多"
                    f" {seg['max_deviation_m']:.1f} 米(允许 {tolerance_m:g} 米)"
                )
                add("line", "deviation", message, name, shape)
        report = line.check_markers(today=today, tolerance_m=tolerance_m, overdue_years=overdue_years)
        summary["markers"] = report.summary
        where = {str(r.marker_id): r.geometry for r in line.markers.itertuples()}
        for f in report.findings:
            geom = where.get(str(f.get("marker_id")))
            add("markers", f["kind"], f["message"], name, mapping(geom if geom is not None else line.ours))
        lines[name] = summary
    return {"coverage": coverage.summary, "lines": lines, "findings": findings}
