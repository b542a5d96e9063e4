"""Where a name is, in words, as an announcement states it (位置描述, 《地名备案公告管理办法(试行)》): a point
"位于金清镇下梁村"; a line from end to end along its main direction, each end by the name it meets or else
the unit it lies in, "东起金清大道,西至下梁村,长约 1,250 米"; an area "位于…,面积约 3.2 公顷".

Pure functions of the geometry (EPSG:4490) and two lookups the caller gives: the unit holding a point and the
name met at a point. Lengths and areas in the Gauss-Krüger zone of the geometry.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from mzgis.crs import STORAGE_EPSG, geometry_transformer, to_metric

__all__ = ["describe_position", "length_zh", "names_near"]


def length_zh(metres: float) -> str:
    """A length as an announcement writes it: 约 380 米, 约 1,250 米, 约 12.5 千米."""
    if metres >= 10_000:
        return f"约 {metres / 1000:.1f} 千米"
    step = 10 if metres >= 100 else 1
    return f"约 {round(metres / step) * step:,.0f} 米"


def _area_zh(m2: float) -> str:
    if m2 >= 1_000_000:
        return f"约 {m2 / 1_000_000:.2f} 平方千米"
    if m2 >= 10_000:
        return f"约 {m2 / 10_000:.1f} 公顷"
    return f"约 {m2:,.0f} 平方米"


def _ends(line: BaseGeometry) -> tuple[Point, Point]:
    """The two ends of a line (of a multi-line, the two points farthest apart among its parts' ends)."""
    parts = list(getattr(line, "geoms", [line]))
    points = [Point(p.coords[i]) for p in parts for i in (0, -1)]
    if len(parts) == 1:
        return points[0], points[1]
    pairs = [(a, b) for i, a in enumerate(points) for b in points[i + 1 :]]
    return max(pairs, key=lambda ab: ab[0].distance(ab[1]))


def describe_position(
    geom: BaseGeometry | None,
    *,
    unit_at: Callable[[Point], str],
    name_at: Callable[[Point], str | None],
) -> str:
    """The position of ``geom`` in words; ``unit_at``: the unit holding a point (金清镇下梁村, "" outside
    every unit); ``name_at``: the name met at a point (a road a line ends on), None where none is."""
    if geom is None or geom.is_empty:
        return ""
    metric = geometry_transformer(STORAGE_EPSG, to_metric(geom.bounds))
    if geom.geom_type in ("Point", "MultiPoint"):
        where = unit_at(geom.representative_point())
        return f"位于{where}" if where else ""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        where = unit_at(geom.representative_point())
        return (f"位于{where}," if where else "") + f"面积{_area_zh(metric(geom).area)}"
    a, b = _ends(geom)
    lat = math.radians((a.y + b.y) / 2)
    east_west = abs(b.x - a.x) * math.cos(lat) >= abs(b.y - a.y)
    if east_west:
        first, last, words = (a, b, ("东", "西")) if a.x >= b.x else (b, a, ("东", "西"))
    else:
        first, last, words = (a, b, ("北", "南")) if a.y >= b.y else (b, a, ("北", "南"))
    ends = [name_at(p) or unit_at(p) for p in (first, last)]
    length = length_zh(metric(geom).length)
    if not all(ends):
        return f"长{length}"
    return f"{words[0]}起{ends[0]},{words[1]}至{ends[1]},长{length}"


def names_near(
    candidates: Sequence[tuple[str, BaseGeometry | None]], point: Point, *, within_m: float = 30.0
) -> str | None:
    """The name whose geometry passes nearest ``point``, within ``within_m`` metres (lon/lat, near enough:
    a degree of latitude is 110.85 km, of longitude that times the cosine)."""
    best: tuple[float, str] | None = None
    scale = math.cos(math.radians(point.y))
    for name, g in candidates:
        if g is None or g.is_empty:
            continue
        near = nearest_points(g, point)[0]
        d = math.hypot((near.x - point.x) * scale * 111_320.0, (near.y - point.y) * 110_850.0)
        if d <= within_m and (best is None or d < best[0]):
            best = (d, name)
    return None if best is None else best[1]
