"""Coordinates in Chinese practice: CGCS2000, Gauss-Krüger zones, GCJ-02 and BD-09.

- Storage is CGCS2000 geographic (EPSG:4490); WGS 84 and CGCS2000 agree within centimetres here.
- Metric work uses the CGCS2000 3-degree Gauss-Krüger zone of the data (EPSG:4534–4554); those CRSs
  declare northing first, so every transformer here is built with ``always_xy=True``.
- GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are obfuscations of WGS 84. The forward formulas are public;
  the inverses here are solved iteratively to well under a millimetre, not the one-step approximation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from mzgis.errors import BadInput

__all__ = [
    "BBOX_ANY_AXES_PATTERN",
    "BBOX_PATTERN",
    "CHINA_BOUNDS",
    "LONLAT_PATTERN",
    "SOURCE_SYSTEMS",
    "STORAGE_EPSG",
    "bd09_to_gcj02",
    "check_lonlat",
    "convert",
    "decimal_pattern",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geometry_transformer",
    "gk_zone_epsg",
    "lonlat_to_metric",
    "metric_xy",
    "parse_bbox",
    "parse_lonlat",
    "parse_system",
    "place",
    "point_xy",
    "to_metric",
    "transform_geometry",
    "web_positions",
    "wgs84_to_gcj02",
]

Array = NDArray[np.float64]

STORAGE_EPSG = 4490
# lon/lat box of China with a margin (mainland, Hainan, the South China Sea islands, Taiwan)
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
SOURCE_SYSTEMS = ("gcj02", "bd09", "wgs84", "cgcs2000")

# GCJ-02 parameters (Krasovsky 1940 ellipsoid, as in the published formula)
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_ITER_TOL_DEG = 1e-12  # about 0.1 µm
_MAX_ITER = 30


def _gcj_offsets(lon: Array, lat: Array) -> tuple[Array, Array]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320.0 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * math.pi)
    return dlon, dlat


def _arrays(lon: Array | float, lat: Array | float) -> tuple[Array, Array]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: Array | float, lat: Array | float) -> tuple[Array, Array]:
    """WGS 84 → GCJ-02 (the published forward formula)."""
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _gcj_offsets(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def _invert(
    forward: Callable[[Array, Array], tuple[Array, Array]], lon: Array, lat: Array, first: tuple[Array, Array]
) -> tuple[Array, Array]:
    """Solve forward(x) = (lon, lat) by fixed-point iteration from ``first``."""
    x_lon, x_lat = first
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(x_lon, x_lat)
        e_lon, e_lat = f_lon - lon, f_lat - lat
        x_lon, x_lat = x_lon - e_lon, x_lat - e_lat
        if np.all(np.abs(e_lon) < _ITER_TOL_DEG) and np.all(np.abs(e_lat) < _ITER_TOL_DEG):
            break
    return x_lon, x_lat


def gcj02_to_wgs84(lon: Array | float, lat: Array | float) -> tuple[Array, Array]:
    """GCJ-02 → WGS 84, the exact inverse (iterated until the forward image matches to 1e-12°)."""
    lon_a, lat_a = _arrays(lon, lat)
    dlon, dlat = _gcj_offsets(lon_a, lat_a)
    return _invert(wgs84_to_gcj02, lon_a, lat_a, (lon_a - dlon, lat_a - dlat))


def gcj02_to_bd09(lon: Array | float, lat: Array | float) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 (Baidu's published forward formula)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: Array | float, lat: Array | float) -> tuple[Array, Array]:
    """BD-09 → GCJ-02: the usual one-step formula, then refined to the exact inverse."""
    bx, by = _arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, bx, by, (z * np.cos(theta), z * np.sin(theta)))


def parse_system(name: str) -> str | CRS:
    """A source/target system: one of gcj02, bd09, wgs84, cgcs2000, or ``EPSG:N`` as a pyproj CRS."""
    key = name.strip().lower().replace("-", "").replace("_", "")
    aliases = {
        "gcj02": "gcj02",
        "gcj": "gcj02",
        "bd09": "bd09",
        "bd": "bd09",
        "baidu": "bd09",
        "amap": "gcj02",
    }
    aliases |= {"wgs84": "wgs84", "epsg4326": "wgs84", "cgcs2000": "cgcs2000", "epsg4490": "cgcs2000"}
    compact = key.replace(":", "")
    if compact in aliases:
        return aliases[compact]
    if key.startswith("epsg:"):
        try:
            return CRS.from_user_input(name.strip().upper())
        except CRSError:
            pass
    raise BadInput(
        f"不认识的坐标系“{name}”;可用:gcj02、bd09、wgs84、cgcs2000 或 EPSG:代码",
        f"unknown coordinate system {name!r}; use gcj02, bd09, wgs84, cgcs2000 or EPSG:N",
    )


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def _epsg_key(crs: CRS) -> str:
    return crs.to_string()


def check_lonlat(lon: Array | float, lat: Array | float, *, what: str = "坐标") -> None:
    """Reject non-finite, swapped (lat, lon) or out-of-China longitude/latitude with a clear message."""
    lon_a, lat_a = _arrays(lon, lat)
    if not (np.all(np.isfinite(lon_a)) and np.all(np.isfinite(lat_a))):
        raise BadInput(f"{what}含非有限数值(NaN 或无穷)", f"{what}: non-finite coordinate")
    w, s, e, n = CHINA_BOUNDS
    inside = (lon_a >= w) & (lon_a <= e) & (lat_a >= s) & (lat_a <= n)
    if np.all(inside):
        return
    swapped = (lat_a >= w) & (lat_a <= e) & (lon_a >= s) & (lon_a <= n)
    bad = int(np.argmin(inside))
    bad_lon, bad_lat = float(lon_a.flat[bad]), float(lat_a.flat[bad])
    if np.all(swapped | inside):
        raise BadInput(
            f"{what}({bad_lon:g}, {bad_lat:g})像是把纬度和经度写反了:应为 经度 纬度(LON LAT)",
            f"{what} ({bad_lon:g}, {bad_lat:g}) looks swapped: give longitude first, then latitude",
        )
    raise BadInput(
        f"{what}({bad_lon:g}, {bad_lat:g})不在中国范围内(经度 {w}–{e},纬度 {s}–{n})",
        f"{what} ({bad_lon:g}, {bad_lat:g}) is outside China",
    )


def convert(lon: Array | float, lat: Array | float, src: str, dst: str, *, check: bool = True) -> tuple[Array, Array]:
    """Convert coordinates between gcj02, bd09, wgs84, cgcs2000 and any EPSG CRS (x/y order always).

    Geographic input (and output, for projected input) is checked to lie in China.
    """
    s, d = parse_system(src), parse_system(dst)
    x, y = _arrays(lon, lat)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise BadInput("坐标含非有限数值(NaN 或无穷)", "non-finite coordinate")
    # 1. to WGS 84 / CGCS2000 lon/lat (treated as equal, within centimetres)
    if isinstance(s, CRS):
        lon_w, lat_w = _transformer(_epsg_key(s), "EPSG:4490").transform(x, y)
        lon_w, lat_w = np.asarray(lon_w, dtype=np.float64), np.asarray(lat_w, dtype=np.float64)
        if check:
            check_lonlat(lon_w, lat_w, what="换算后的坐标" if not s.is_geographic else "坐标")
    else:
        if check:
            check_lonlat(x, y)
        if s == "gcj02":
            lon_w, lat_w = gcj02_to_wgs84(x, y)
        elif s == "bd09":
            lon_w, lat_w = gcj02_to_wgs84(*bd09_to_gcj02(x, y))
        else:
            lon_w, lat_w = x, y
    # 2. from WGS 84 / CGCS2000 to the target
    if isinstance(d, CRS):
        out_x, out_y = _transformer("EPSG:4490", _epsg_key(d)).transform(lon_w, lat_w)
        return np.asarray(out_x, dtype=np.float64), np.asarray(out_y, dtype=np.float64)
    if d == "gcj02":
        return wgs84_to_gcj02(lon_w, lat_w)
    if d == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon_w, lat_w))
    return lon_w, lat_w


def transform_geometry(geom: BaseGeometry, src: str, dst: str = "cgcs2000") -> BaseGeometry:
    """The geometry with every coordinate converted from ``src`` to ``dst`` (2D)."""

    def _apply(coords: Array) -> Array:
        if len(coords) == 0:
            return coords
        x, y = convert(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([x, y])

    return shapely.transform(geom, _apply)


def geometry_transformer(src: Any, dst: Any) -> Callable[[BaseGeometry], BaseGeometry]:
    """A function converting geometries between two CRSs (EPSG codes or CRS objects), x/y order always.

    For CGCS2000/GK work; GCJ-02 and BD-09 go through :func:`transform_geometry`."""
    transformer = Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)

    def apply(geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))

    return apply


def point_xy(points: Any) -> Array:
    """Coordinates (n × 2) of point geometries, one row per point; NaN for a missing or empty one."""
    shapes = np.asarray(points, dtype=object).reshape(-1)
    xy = np.full((len(shapes), 2), np.nan)
    coords, at = shapely.get_coordinates(shapes, return_index=True)
    xy[at] = coords
    return xy


def metric_xy(points: Any, epsg: int) -> Array:
    """Coordinates (n × 2) of CGCS2000 lon/lat point geometries projected to the metric CRS ``epsg``
    (NaN for a missing or empty point)."""
    return lonlat_to_metric(point_xy(points), epsg)


def lonlat_to_metric(lonlat: Array, epsg: int) -> Array:
    """CGCS2000 lon/lat coordinates (n × 2) projected to the metric CRS ``epsg``."""
    if len(lonlat) == 0:
        return np.empty((0, 2))
    x, y = _transformer(f"EPSG:{STORAGE_EPSG}", f"EPSG:{epsg}").transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def gk_zone_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (CM 75°E … 135°E) containing ``lon``."""
    if not (math.isfinite(lon) and CHINA_BOUNDS[0] <= lon <= CHINA_BOUNDS[2]):
        raise BadInput(f"经度 {lon} 不在中国范围内,无法选择高斯-克吕格分带", f"longitude {lon} outside China")
    zone = min(max(round(lon / 3.0), 25), 45)
    return 4534 + zone - 25


def _integers(lo: int, hi: int) -> str:
    """A regular expression for the whole numbers lo … hi-1 (no leading zeros), by tens: 73 … 135 is
    ``7[3-9]|8[0-9]|…|13[0-5]``. ASCII digits only (Python's and SQL's ``\\d`` differ on others)."""
    groups: list[tuple[str, int, int]] = []
    for n in range(lo, hi):
        head, last = str(n)[:-1], n % 10
        if groups and groups[-1][0] == head and groups[-1][2] == last - 1:
            groups[-1] = (head, groups[-1][1], last)
        else:
            groups.append((head, last, last))
    return "|".join(f"{h}{a}" if a == b else f"{h}[{a}-{b}]" for h, a, b in groups)


def decimal_pattern(lo: int, hi: int, *, signed: bool = False) -> str:
    """A regular expression (no anchors) for the decimal numbers from ``lo`` to ``hi`` (whole-number bounds,
    both included; ``signed``: from -hi to hi, lo being 0): what the API's schema states of a coordinate
    written as text, and what the server checks it with."""
    number = f"(?:(?:{_integers(lo, hi)})(?:\\.[0-9]+)?|{hi}(?:\\.0+)?)"
    return f"-?{number}" if signed else number


_SEP = r"\s*[,\uff0c]\s*"  # a comma, half- or full-width, with spaces around
_LON, _LAT = decimal_pattern(0, 180, signed=True), decimal_pattern(0, 90, signed=True)
# four numbers: west, south, east, north (a box given corner to corner in the other order is the same box);
# blank is no box
BBOX_PATTERN = f"^\\s*(?:{_LON}{_SEP}{_LAT}{_SEP}{_LON}{_SEP}{_LAT})?\\s*$"
# the same with both axes within ±180° (OGC API ``bbox-crs``, where the caller orders the axes)
BBOX_ANY_AXES_PATTERN = f"^\\s*(?:{_LON}{_SEP}{_LON}{_SEP}{_LON}{_SEP}{_LON})?\\s*$"
# a point in China as text, longitude first: ``121.38,28.58``
_W, _S, _E, _N = (int(v) for v in CHINA_BOUNDS)
LONLAT_PATTERN = f"^\\s*{decimal_pattern(_W, _E)}{_SEP}{decimal_pattern(_S, _N)}\\s*$"


def _numbers(text: str) -> list[float]:
    return [float(p) for p in text.replace("\uff0c", ",").split(",")]


def parse_bbox(text: str | None, *, lonlat: bool = True) -> tuple[float, float, float, float] | None:
    """``西,南,东,北`` (minx,miny,maxx,maxy) in degrees of longitude/latitude → a tuple, None for no text;
    text that is not four numbers within ±180° and ±90° (:data:`BBOX_PATTERN`) is a :class:`BadInput`. Two
    corners given in the other order are the same box. ``lonlat=False``: the axes are the caller's to
    order (OGC API ``bbox-crs``), only ±180° is checked."""
    if text is None or text.strip() == "":
        return None
    if not re.fullmatch(BBOX_PATTERN if lonlat else BBOX_ANY_AXES_PATTERN, text):
        raise BadInput(
            f"bbox “{text}”格式不对:应为 最小经度,最小纬度,最大经度,最大纬度(西,南,东,北)",
            "bbox must be minx,miny,maxx,maxy in degrees",
        )
    x0, y0, x1, y1 = _numbers(text)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def parse_lonlat(text: str, *, what: str = "位置") -> tuple[float, float]:
    """``经度,纬度`` in China (:data:`LONLAT_PATTERN`) → (lon, lat); else a :class:`BadInput` that names a
    swapped pair."""
    try:
        lon, lat = _numbers(text)
    except ValueError:
        raise BadInput(f"{what}应为 经度,纬度(如 121.38,28.58)", f"{what} must be lon,lat") from None
    check_lonlat(lon, lat, what=what)  # names a swapped pair or a point outside China
    if not re.fullmatch(LONLAT_PATTERN, text):
        raise BadInput(f"{what}应为 经度,纬度(如 121.38,28.58)", f"{what} must be lon,lat")
    return lon, lat


def to_metric(bounds: tuple[float, float, float, float]) -> int:
    """The Gauss-Krüger zone EPSG for a lon/lat extent (by its centre longitude)."""
    west, _, east, _ = bounds
    return gk_zone_epsg((west + east) / 2.0)


def place(lon: float, lat: float, *, digits: int = 7) -> dict[str, Any]:
    """A CGCS2000 position as mzgis reports it: ``lon`` and ``lat`` to ``digits`` decimals (7: about 1 cm), and
    from those the same place as the web maps take it (:func:`web_positions`), so anyone can recompute them."""
    lon, lat = round(float(lon), digits), round(float(lat), digits)
    return {"lon": lon, "lat": lat, **web_positions(lon, lat)}


def web_positions(lon: float, lat: float) -> dict[str, list[float]]:
    """A CGCS2000 position as officers paste it into the web maps they use: GCJ-02 for 高德 (AMap) and 腾讯,
    BD-09 for 百度 (CGCS2000 taken as WGS 84: they agree within centimetres); six decimals, about 0.1 m."""
    glon, glat = wgs84_to_gcj02(lon, lat)
    blon, blat = gcj02_to_bd09(glon, glat)
    return {
        "gcj02": [round(float(glon), 6), round(float(glat), 6)],
        "bd09": [round(float(blon), 6), round(float(blat), 6)],
    }
