"""The alignment description (界线走向说明) of a boundary line, from its markers: segment by segment from
marker to marker, with the direction in the 16-point compass of these descriptions, the length along the
line and the turning points in between. Directions are geodetic azimuths (CGCS2000 ellipsoid)."""

from __future__ import annotations

import csv
import io
import itertools
from dataclasses import dataclass

import numpy as np
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point
from shapely.ops import substring

from mzgis.crs import STORAGE_EPSG, geometry_transformer, to_metric
from mzgis.text import safe_cell

__all__ = ["COMPASS_16", "Leg", "Segment", "compass", "describe_alignment", "segments_csv", "segments_text"]

COMPASS_16 = (
    "北", "北东北", "东北", "东东北", "东", "东东南", "东南", "南东南",
    "南", "南西南", "西南", "西西南", "西", "西西北", "西北", "北西北",
)  # fmt: skip
_GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS 80 only in the 9th digit of 1/f


def compass(azimuth_deg: float) -> str:
    """The 16-point compass direction of an azimuth (degrees clockwise from north)."""
    return COMPASS_16[int(((azimuth_deg % 360.0) + 11.25) // 22.5) % 16]


@dataclass(frozen=True)
class Leg:
    """A straight-ish stretch between turning points."""

    direction: str
    azimuth_deg: float
    length_m: float


@dataclass(frozen=True)
class Segment:
    """The stretch of the line from one marker to the next."""

    number: int
    from_marker: str
    to_marker: str
    from_m: float
    to_m: float
    direction: str  # from the start marker straight to the end marker
    azimuth_deg: float
    length_m: float  # along the line
    turning_points: int
    legs: tuple[Leg, ...]


def describe_alignment(
    line: LineString,
    markers: list[tuple[str, Point]],
    *,
    generalize_m: float = 25.0,
    min_turn_deg: float = 20.0,
) -> list[Segment]:
    """Segments from marker to marker along ``line`` (lon/lat). Turning points are the vertices of the line
    generalized to ``generalize_m`` where the direction changes by at least ``min_turn_deg``."""
    epsg = to_metric(line.bounds)
    back = Transformer.from_crs(epsg, STORAGE_EPSG, always_xy=True)
    to_m = geometry_transformer(STORAGE_EPSG, epsg)

    line_m = to_m(line)
    assert isinstance(line_m, LineString)
    chain = [float(line_m.project(Point(to_m(p).coords[0]))) for _, p in markers]
    placed = sorted(zip(chain, (mid for mid, _ in markers), strict=True), key=lambda t: t[0])
    out: list[Segment] = []
    for n, ((a_m, a_id), (b_m, b_id)) in enumerate(itertools.pairwise(placed), start=1):
        piece = substring(line_m, a_m, b_m)
        if not isinstance(piece, LineString) or piece.length == 0:
            continue
        simple = piece.simplify(generalize_m, preserve_topology=False)
        pts_m = np.asarray(simple.coords)
        lon, lat = back.transform(pts_m[:, 0], pts_m[:, 1])
        legs: list[Leg] = []
        for i in range(len(lon) - 1):
            az, _, _ = _GEOD.inv(lon[i], lat[i], lon[i + 1], lat[i + 1])
            leg_len = float(np.hypot(*(pts_m[i + 1] - pts_m[i])))
            if legs and abs(((az - legs[-1].azimuth_deg + 180.0) % 360.0) - 180.0) < min_turn_deg:
                prev = legs.pop()  # no real turn: one leg, direction of the longer part
                az = prev.azimuth_deg if prev.length_m >= leg_len else az % 360.0
                leg_len += prev.length_m
            legs.append(Leg(compass(az), round(az % 360.0, 1), round(leg_len, 1)))
        az_total, _, _ = _GEOD.inv(lon[0], lat[0], lon[-1], lat[-1])
        out.append(
            Segment(
                n,
                a_id,
                b_id,
                round(a_m, 1),
                round(b_m, 1),
                compass(az_total),
                round(az_total % 360.0, 1),
                round(piece.length, 1),
                len(legs) - 1,
                tuple(legs),
            )
        )
    return out


def segments_text(line_name: str, segments: list[Segment]) -> str:
    """The description in Chinese, one paragraph per segment."""
    lines = [f"{line_name}界线走向说明", ""]
    for s in segments:
        steps = ",".join(
            f"{'先' if i == 0 else '转'}向{leg.direction}方向行约{leg.length_m:.0f}米" for i, leg in enumerate(s.legs)
        )
        turns = f",途经{s.turning_points}个转折点" if s.turning_points else ""
        lines.append(
            f"第{s.number}段:界线自{s.from_marker}号界桩起,{steps}{turns},至{s.to_marker}号界桩;"
            f"该段总体走向{s.direction},沿界线长约{s.length_m:.0f}米。"
        )
    return "\n".join(lines) + "\n"


def segments_csv(segments: list[Segment]) -> str:
    """The segments as CSV (UTF-8), one row per segment, Chinese headers."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "段号",
            "起点界桩",
            "终点界桩",
            "起点里程(米)",
            "终点里程(米)",
            "总体走向",
            "方位角(度)",
            "长度(米)",
            "转折点数",
            "分段走向",
        ]
    )
    for s in segments:
        legs = ";".join(f"{leg.direction} {leg.length_m:.0f}米" for leg in s.legs)
        writer.writerow(
            [
                s.number,
                safe_cell(s.from_marker),
                safe_cell(s.to_marker),
                s.from_m,
                s.to_m,
                s.direction,
                s.azimuth_deg,
                s.length_m,
                s.turning_points,
                legs,
            ]
        )
    return buf.getvalue()
