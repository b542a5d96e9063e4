"""GeoJSON geometries sent to the API, checked before GEOS sees them: every problem is named (not a
count, not "outside the county" for a swapped or NaN coordinate), nothing is repaired silently.

Refused with a Chinese message: unknown types and collections, malformed nesting, non-numeric, NaN or
infinite coordinates, a third coordinate (heights are not stored; the CLI import drops them only when
told to with ``--drop-z``), swapped or out-of-China longitude/latitude, lines of one position and rings
that are not closed or have fewer than four positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.crs import check_lonlat
from mzgis.errors import BadInput, RuleViolation

__all__ = ["parse_geometry"]

# type → nesting depth of "coordinates" (0: a position)
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _fail(zh: str, en: str) -> BadInput:
    return BadInput(f"几何不是有效的 GeoJSON:{zh}", f"invalid GeoJSON geometry: {en}")


def _broken(zh: str, en: str) -> RuleViolation:
    """A geometry well formed as JSON that breaks a rule of GeoJSON a schema cannot state (a ring closed)."""
    return RuleViolation(f"几何不是有效的 GeoJSON:{zh}", f"invalid GeoJSON geometry: {en}")


def _positions(value: Any, depth: int, out: list[tuple[float, float]]) -> None:
    if not isinstance(value, list):
        raise _fail("coordinates 的嵌套层数不对", "wrong nesting of coordinates")
    if depth == 0:
        if len(value) == 3:
            raise BadInput(
                "几何带 Z 坐标(高程);只接受二维坐标,请去掉高程后再提交", "3-D coordinates; send 2-D positions"
            )
        if len(value) != 2:
            raise _fail("每个坐标应为 [经度, 纬度]", "a position must be [lon, lat]")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            raise _fail("坐标应为数值", "coordinates must be numbers")
        out.append((float(value[0]), float(value[1])))
        return
    for part in value:
        _positions(part, depth - 1, out)


def _ring_problems(kind: str, coords: Any) -> None:
    """Lines need two positions; rings four, the last equal to the first."""
    if kind in ("LineString", "MultiLineString"):
        lines = [coords] if kind == "LineString" else coords
        if any(len(line) < 2 for line in lines):
            raise _fail("线至少需要两个坐标", "a line needs two positions")
    if kind in ("Polygon", "MultiPolygon"):
        polygons = [coords] if kind == "Polygon" else coords
        for polygon in polygons:
            if not polygon:
                raise _fail("面至少需要一个环", "a polygon needs a ring")
            for ring in polygon:
                if len(ring) < 4:
                    raise _fail("面的环至少需要四个坐标(首尾相同)", "a ring needs four positions")
                if ring[0] != ring[-1]:
                    raise _broken(
                        "面的环未闭合:最后一个坐标应与第一个相同(不会替你闭合)", "a ring is not closed (first != last)"
                    )


def parse_geometry(data: Any, *, what: str = "几何的坐标") -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry object, or :class:`BadInput` naming the first problem."""
    if not isinstance(data, dict):
        raise _fail("应为对象", "a geometry must be an object")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in _DEPTH:  # (a list or an object is no type, nor hashable)
        raise _fail(
            f"不支持的类型“{kind}”(可用 {'、'.join(_DEPTH)})"
            if isinstance(kind, str)
            else "缺少 type"
            if kind is None
            else "type 应为类型名称,如 Point",
            f"unsupported type {kind!r}",
        )
    coords = data.get("coordinates")
    positions: list[tuple[float, float]] = []
    _positions(coords, _DEPTH[kind], positions)
    if not positions:
        raise BadInput("几何为空", "empty geometry")
    xy = np.array(positions)
    check_lonlat(xy[:, 0], xy[:, 1], what=what)  # NaN/∞, swapped and outside China, each named
    _ring_problems(kind, coords)
    try:
        geom = shapely.geometry.shape(data)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise _broken(str(exc), "GEOS refused it") from None
    if geom.is_empty:
        raise BadInput("几何为空", "empty geometry")
    return geom
