"""Comparing two sides' versions of one boundary line, in metres in the Gauss-Krüger zone.

Stretches where the versions differ by more than a tolerance (with chainage from the start of our line
and their maximum deviation), overall maximum and mean deviation, Hausdorff distance, and the areas
between the two versions split by which side of our line they lie on (with the county polygon: which
county would gain the area if the neighbour's version were adopted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from mzgis.crs import STORAGE_EPSG, geometry_transformer, place, to_metric

__all__ = ["LineComparison", "compare_lines"]


@dataclass
class LineComparison:
    """The comparison of our line with theirs."""

    summary: dict[str, Any]
    segments: list[dict[str, Any]]  # each with its place: lon, lat, gcj02, bd09
    areas: list[dict[str, Any]] = field(default_factory=list)  # each with geometry (lon/lat)

    def areas_along(self, segment: dict[str, float]) -> list[BaseGeometry]:
        """The areas between the versions whose chainage overlaps ``segment`` (a stretch over tolerance)."""
        return [a["geometry"] for a in self.areas if a["to_m"] >= segment["from_m"] and a["from_m"] <= segment["to_m"]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "segments": self.segments,
            "areas": [{k: v for k, v in a.items() if k != "geometry"} for a in self.areas],
        }


def _line(geom: BaseGeometry) -> LineString:
    merged = shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom
    if not isinstance(merged, LineString):
        raise ValueError("a boundary line must be one continuous line")
    return merged


def compare_lines(
    ours: BaseGeometry,
    theirs: BaseGeometry,
    *,
    tolerance_m: float = 5.0,
    step_m: float = 5.0,
    our_county: BaseGeometry | None = None,
    min_area_m2: float = 1.0,
) -> LineComparison:
    """Compare two versions of one line, both given in EPSG:4490 lon/lat.

    Deviations are measured from points every ``step_m`` along our line (and at its vertices) to their
    line. ``our_county`` (lon/lat) tells which county each area between the lines belongs to now.
    """
    a_ll, b_ll = _line(ours), _line(theirs)
    epsg = to_metric(shapely.union_all([a_ll, b_ll]).bounds)
    to_m = geometry_transformer(STORAGE_EPSG, epsg)
    to_ll = geometry_transformer(epsg, STORAGE_EPSG)

    a, b = _line(to_m(a_ll)), _line(to_m(b_ll))
    length = a.length
    chain, pts = _samples(a, step_m)
    dev = shapely.distance(pts, b)
    _, b_pts = _samples(b, step_m)
    back_dev = shapely.distance(b_pts, a)  # the other direction, for the Hausdorff distance

    segments: list[dict[str, Any]] = []
    over = dev > tolerance_m
    i = 0
    while i < len(chain):
        if not over[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(chain) and over[j + 1]:
            j += 1
        k = i + int(np.argmax(dev[i : j + 1]))
        at = to_ll(pts[k])
        assert isinstance(at, shapely.Point)
        segments.append(
            {
                "from_m": round(float(chain[i]), 1),
                "to_m": round(float(chain[j]), 1),
                "max_deviation_m": round(float(dev[k]), 3),
                "at_m": round(float(chain[k]), 1),
                **place(at.x, at.y),  # also as officers find it on 高德/腾讯 (GCJ-02) and 百度 (BD-09)
            }
        )
        i = j + 1
    # mean deviation weighted by the length each sample stands for
    weights = np.gradient(chain) if len(chain) > 1 else np.ones(1)
    summary = {
        "length_m": round(length, 1),
        "their_length_m": round(b.length, 1),
        "max_deviation_m": round(float(dev.max()), 3),
        "mean_deviation_m": round(float(np.average(dev, weights=weights)), 3),
        "hausdorff_m": round(float(max(dev.max(), back_dev.max())), 3),
        "segments_over_tolerance": len(segments),
        "tolerance_m": tolerance_m,
        "metric_crs": f"EPSG:{epsg}",
    }
    areas = _areas_between(
        a, b, to_ll, our_county=None if our_county is None else to_m(our_county), min_area_m2=min_area_m2
    )
    summary["area_between_m2"] = round(sum(x["area_m2"] for x in areas), 1)
    if our_county is not None:
        summary["ours_would_gain_m2"] = round(sum(x["area_m2"] for x in areas if x["gain"] == "ours"), 1)
        summary["neighbour_would_gain_m2"] = round(sum(x["area_m2"] for x in areas if x["gain"] == "neighbour"), 1)
    return LineComparison(summary, segments, areas)


def _samples(line: LineString, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Chainages every ``step_m`` and at every vertex, with the points there."""
    vertex_chain = shapely.line_locate_point(line, shapely.points(np.asarray(line.coords)))
    chain = np.unique(np.concatenate([np.arange(0.0, line.length, step_m), vertex_chain, [line.length]]))
    return chain, shapely.line_interpolate_point(line, chain)


def _areas_between(
    a: LineString, b: LineString, to_ll: Any, *, our_county: BaseGeometry | None, min_area_m2: float
) -> list[dict[str, Any]]:
    """Faces enclosed by the two lines, each with its area and the side of our line it lies on."""
    noded = shapely.union_all([a, b])
    faces = shapely.polygonize(list(getattr(noded, "geoms", [noded])))
    county = None if our_county is None else prep(our_county)
    out = []
    for face in getattr(faces, "geoms", []):
        if face.area < min_area_m2:
            continue
        rp = face.representative_point()
        # side of our line: sign of the cross product with the nearest segment's direction
        d = a.project(rp)
        p0 = a.interpolate(max(d - 0.5, 0.0))
        p1 = a.interpolate(min(d + 0.5, a.length))
        cross = (p1.x - p0.x) * (rp.y - p0.y) - (p1.y - p0.y) * (rp.x - p0.x)
        side = "left" if cross > 0 else "right"
        along = shapely.line_locate_point(a, shapely.points(np.asarray(face.exterior.coords)))
        item: dict[str, Any] = {
            "area_m2": round(face.area, 1),
            "side": side,
            "from_m": round(float(along.min()), 1),
            "to_m": round(float(along.max()), 1),
            "geometry": to_ll(face),
        }
        if county is not None:
            # inside our county now: the neighbour would gain it under their line, and vice versa
            item["gain"] = "neighbour" if county.contains(rp) else "ours"
        out.append(item)
    return sorted(out, key=lambda x: -x["area_m2"])
