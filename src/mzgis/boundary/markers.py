"""Boundary markers (界桩) of one line: distance to the line, numbering, spacing, tripoints, condition and
inspection dates. Pure functions; distances in metres in the Gauss-Krüger zone."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from mzgis.crs import STORAGE_EPSG, geometry_transformer, place, to_metric

__all__ = ["MarkerReport", "check_markers", "expected_tripoints"]

_NUMBER = re.compile(r"^(.*?)(\d+)$")


@dataclass
class MarkerReport:
    """Summary, findings, and the markers in order along the line (with chainage and distance)."""

    summary: dict[str, Any]
    findings: list[dict[str, Any]]
    markers: gpd.GeoDataFrame

    def as_dict(self) -> dict[str, Any]:
        table = [
            {
                "marker_id": r.marker_id,
                "kind": r.kind,
                "condition": r.condition,
                "last_inspected": r.last_inspected,
                "chainage_m": round(float(r.chainage_m), 1),
                "distance_m": round(float(r.distance_m), 3),
            }
            for r in self.markers.itertuples()
        ]
        return {"summary": self.summary, "findings": self.findings, "markers": table}


def expected_tripoints(
    line: LineString, outlines: Mapping[str, BaseGeometry], county_a: str, county_b: str, *, tolerance_deg: float = 1e-6
) -> list[tuple[Point, str]]:
    """Ends of ``line`` where a third county meets the two: (point, the third county's code)."""
    out = []
    for end in (Point(line.coords[0]), Point(line.coords[-1])):
        for code, geom in outlines.items():
            if code not in (county_a, county_b) and geom.distance(end) <= tolerance_deg:
                out.append((end, code))
                break
    return out


def _finding(kind: str, marker: Any, message: str, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "marker_id": marker, "message": message, **extra}


def _numbering(marker_ids: list[Any]) -> list[dict[str, Any]]:
    """Numbers used twice, and the numbers missing from each series (J01, J02, J04: J03)."""
    out = [
        _finding("duplicate_id", marker_id, f"界桩编号 {marker_id} 重复 {n} 次")
        for marker_id, n in sorted(Counter(marker_ids).items())
        if n > 1
    ]
    numbers: dict[str, list[int]] = {}
    for marker_id in marker_ids:
        m = _NUMBER.match(str(marker_id))
        if m:
            numbers.setdefault(m.group(1), []).append(int(m.group(2)))
    for prefix, nums in numbers.items():
        width = max(len(str(n)) for n in nums)
        for n in sorted(set(range(1, max(nums) + 1)) - set(nums)):
            shown = f"{prefix}{n:0{max(width, 2)}d}"
            out.append(_finding("numbering_gap", shown, f"编号缺号:{shown}"))
    return out


def _upkeep(frame: pd.DataFrame, today: dt.date, overdue_years: int) -> list[dict[str, Any]]:
    """Markers damaged or lost, then markers not inspected for ``overdue_years`` (or never)."""
    lost = {"damaged": "损坏", "missing": "丢失"}
    out = [
        _finding(
            "condition", r.marker_id, f"界桩 {r.marker_id} {lost[str(r.condition)]}", condition=r.condition, **_at(r)
        )
        for r in frame.itertuples()
        if r.condition in lost
    ]
    cutoff = today.replace(year=today.year - overdue_years)
    for r in frame.itertuples():
        last = r.last_inspected
        never = not last or (isinstance(last, float) and np.isnan(last))
        if never or str(last)[:10] < cutoff.isoformat():
            when = "从未检查" if never else f"最近检查于 {str(last)[:10]}"
            message = f"界桩 {r.marker_id} {when},超过 {overdue_years} 年未检查"
            out.append(_finding("overdue", r.marker_id, message, **_at(r)))
    return out


def _at(row: Any) -> dict[str, float]:
    """A marker row's position (lon, lat)."""
    return {"lon": row.geometry.x, "lat": row.geometry.y}


def _placed(findings: list[dict[str, Any]], frame: gpd.GeoDataFrame) -> None:
    """Give each finding the place an officer goes to check it, in CGCS2000 and as the web maps take it
    (GCJ-02, BD-09): a finding about a number (used twice) at the first marker with it."""
    first: dict[Any, Any] = {}
    for marker_id, geom in zip(frame["marker_id"], frame.geometry, strict=True):
        first.setdefault(marker_id, geom)
    for f in findings:
        if "lon" not in f and f["marker_id"] in first:
            f["lon"], f["lat"] = first[f["marker_id"]].x, first[f["marker_id"]].y
        if "lon" in f:
            f.update(place(f["lon"], f["lat"]))


def _tripoints_missing(
    frame: gpd.GeoDataFrame, tripoints: list[tuple[Point, str]], to_m: Any, tolerance_m: float
) -> list[dict[str, Any]]:
    """A finding for each point where three counties meet with no tripoint marker within the tolerance."""
    out = []
    for point, third in tripoints:
        p_m = to_m(point)
        if not any(
            k == "tripoint" and p.distance(p_m) <= tolerance_m for k, p in zip(frame.kind, frame["_m"], strict=True)
        ):
            message = f"三县交界处(与 {third})没有三交点界桩"
            out.append(_finding("tripoint_missing", None, message, lon=point.x, lat=point.y))
    return out


def check_markers(
    line: LineString,
    markers: gpd.GeoDataFrame,
    *,
    line_name: str,
    today: dt.date,
    tolerance_m: float = 5.0,
    max_spacing_m: float = 3000.0,
    overdue_years: int = 5,
    tripoints: list[tuple[Point, str]] | None = None,
) -> MarkerReport:
    """Every finding about the markers of one line (lon/lat inputs, EPSG:4490)."""
    epsg = to_metric(line.bounds)
    to_m = geometry_transformer(STORAGE_EPSG, epsg)

    line_m = to_m(line)
    frame = markers.copy()
    frame["_m"] = [to_m(g) for g in frame.geometry]
    frame["chainage_m"] = [line_m.project(p) for p in frame["_m"]]
    frame["distance_m"] = [line_m.distance(p) for p in frame["_m"]]
    frame = frame.sort_values("chainage_m").reset_index(drop=True)
    findings: list[dict[str, Any]] = []
    to_ll = geometry_transformer(epsg, STORAGE_EPSG)

    def add(kind: str, marker: str | None, message: str, **extra: Any) -> None:
        findings.append(_finding(kind, marker, message, **extra))

    def _at_chainage(chainage_m: float) -> dict[str, float]:
        p: Any = to_ll(line_m.interpolate(chainage_m))  # a point
        return {"lon": p.x, "lat": p.y}

    for r in frame.itertuples():
        if r.distance_m > tolerance_m:
            add(
                "off_line",
                r.marker_id,
                f"界桩 {r.marker_id} 距界线 {r.distance_m:.2f} 米,超过 {tolerance_m:g} 米",
                distance_m=round(float(r.distance_m), 3),
                **_at(r),
            )
    findings += _numbering(list(frame["marker_id"]))
    spacing = np.diff(frame["chainage_m"].to_numpy()) if len(frame) > 1 else np.array([])
    for i, gap in enumerate(spacing):
        if gap > max_spacing_m:
            a, b = frame.iloc[i]["marker_id"], frame.iloc[i + 1]["marker_id"]
            add(
                "spacing",
                a,
                f"界桩 {a} 与 {b} 相距 {gap:.0f} 米,超过 {max_spacing_m:g} 米",
                spacing_m=round(float(gap), 1),
                **_at_chainage(float(frame.iloc[i]["chainage_m"]) + gap / 2),  # where a marker may be wanting
            )
    findings += _tripoints_missing(frame, tripoints or [], to_m, tolerance_m)
    findings += _upkeep(frame, today, overdue_years)
    _placed(findings, frame)
    kinds = Counter(f["kind"] for f in findings)
    summary = {
        "line": line_name,
        "markers": len(frame),
        "line_length_m": round(line_m.length, 1),
        "spacing_min_m": round(float(spacing.min()), 1) if len(spacing) else None,
        "spacing_max_m": round(float(spacing.max()), 1) if len(spacing) else None,
        "spacing_mean_m": round(float(spacing.mean()), 1) if len(spacing) else None,
        "off_line": kinds["off_line"],
        "duplicates": kinds["duplicate_id"],
        "numbering_gaps": kinds["numbering_gap"],
        "tripoints_expected": len(tripoints or []),
        "tripoints_missing": kinds["tripoint_missing"],
        "damaged": int((frame.condition == "damaged").sum()),
        "missing": int((frame.condition == "missing").sum()),
        "overdue": kinds["overdue"],
        "tolerance_m": tolerance_m,
        "overdue_years": overdue_years,
        "metric_crs": f"EPSG:{epsg}",
    }
    return MarkerReport(summary, findings, frame.drop(columns="_m"))
