"""Coordinates: published test vectors (sources in tests/data/README.md), exact inverses, GK zones."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mzgis.crs import (
    LONLAT_PATTERN,
    bd09_to_gcj02,
    check_lonlat,
    convert,
    decimal_pattern,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gk_zone_epsg,
    parse_lonlat,
    parse_system,
    transform_geometry,
    wgs84_to_gcj02,
)
from mzgis.errors import BadInput

# (wgs lon, wgs lat, gcj lon, gcj lat): eviltransform's tests (Shanghai, Shenzhen, Beijing) and coordtransform's
WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
]
# (gcj lon, gcj lat, bd lon, bd lat): coordtransform's test vector
GCJ_BD = [(116.404, 39.915, 116.41036949371029, 39.92133699351021)]

M_PER_DEG = 111_320.0


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_wgs84_to_gcj02_matches_published_vectors(wlon: float, wlat: float, glon: float, glat: float) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), WGS_GCJ)
def test_gcj02_to_wgs84_is_the_exact_inverse(wlon: float, wlat: float, glon: float, glat: float) -> None:
    lon, lat = gcj02_to_wgs84(glon, glat)
    # the published pairs are forward pairs, so the exact inverse recovers the WGS 84 point to ~0.1 mm
    assert abs(float(lon) - wlon) * M_PER_DEG * math.cos(math.radians(wlat)) < 1e-4
    assert abs(float(lat) - wlat) * M_PER_DEG < 1e-4


def test_one_step_approximation_would_not_pass() -> None:
    """The common one-step inverse is off by metres; ours is not (guards against a regression to it)."""
    glon, glat = 116.41024449916938, 39.91640428150164
    lon, lat = wgs84_to_gcj02(glon, glat)
    one_step = (2 * glon - float(lon), 2 * glat - float(lat))
    exact = gcj02_to_wgs84(glon, glat)
    err_one_step = math.hypot(one_step[0] - 116.404, one_step[1] - 39.915) * M_PER_DEG
    err_exact = math.hypot(float(exact[0]) - 116.404, float(exact[1]) - 39.915) * M_PER_DEG
    assert err_one_step > 0.01 and err_exact < 1e-4


@pytest.mark.parametrize(("glon", "glat", "blon", "blat"), GCJ_BD)
def test_gcj02_to_bd09_matches_published_vector(glon: float, glat: float, blon: float, blat: float) -> None:
    lon, lat = gcj02_to_bd09(glon, glat)
    assert (float(lon), float(lat)) == pytest.approx((blon, blat), abs=1e-9)
    back = bd09_to_gcj02(blon, blat)
    assert (float(back[0]), float(back[1])) == pytest.approx((glon, glat), abs=1e-9)


def test_round_trips_across_china_well_under_a_centimetre() -> None:
    grid_lon, grid_lat = np.meshgrid(np.linspace(74.0, 134.0, 25), np.linspace(18.5, 53.0, 25))
    lon, lat = grid_lon.ravel(), grid_lat.ravel()
    g = wgs84_to_gcj02(lon, lat)
    w = gcj02_to_wgs84(*g)
    assert np.max(np.hypot(w[0] - lon, w[1] - lat)) * M_PER_DEG < 1e-4
    b = gcj02_to_bd09(lon, lat)
    g2 = bd09_to_gcj02(*b)
    assert np.max(np.hypot(g2[0] - lon, g2[1] - lat)) * M_PER_DEG < 1e-4
    w2 = convert(*convert(lon, lat, "wgs84", "bd09"), "bd09", "cgcs2000")
    assert np.max(np.hypot(w2[0] - lon, w2[1] - lat)) * M_PER_DEG < 1e-4


@pytest.mark.parametrize(
    ("lon", "epsg"), [(75.0, 4534), (76.4, 4534), (118.4, 4548), (120.0, 4549), (121.4, 4549), (135.0, 4554)]
)
def test_gauss_kruger_zone(lon: float, epsg: int) -> None:
    assert gk_zone_epsg(lon) == epsg


def test_projected_output_is_easting_northing() -> None:
    x, y = convert(120.0, 30.0, "cgcs2000", "EPSG:4549")
    assert float(x) == pytest.approx(500_000.0, abs=1e-6)  # on the central meridian, x/y order kept
    # meridian arc to 30°N on GRS 80 (k0 = 1): the UTM northing 3,318,785.353 m divided by 0.9996
    assert float(y) == pytest.approx(3_318_785.353 / 0.9996, abs=0.01)
    lon, lat = convert(x, y, "EPSG:4549", "cgcs2000")
    assert (float(lon), float(lat)) == pytest.approx((120.0, 30.0), abs=1e-9)


def test_epsg_geographic_and_aliases() -> None:
    assert parse_system("GCJ-02") == "gcj02"
    assert parse_system("EPSG:4490") == "cgcs2000"
    lon, lat = convert(121.4, 28.6, "EPSG:4326", "cgcs2000")
    assert (float(lon), float(lat)) == pytest.approx((121.4, 28.6), abs=1e-9)


@pytest.mark.parametrize(
    ("lon", "lat", "message"),
    [
        (28.6, 121.4, "写反"),
        (2.35, 48.85, "不在中国范围内"),
        (float("nan"), 28.6, "非有限"),
        (121.4, float("inf"), "非有限"),
    ],
)
def test_bad_coordinates_are_refused(lon: float, lat: float, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        convert(lon, lat, "gcj02", "cgcs2000")


def test_projected_input_outside_china_is_refused() -> None:
    with pytest.raises(BadInput, match="换算后的坐标"):
        convert(500_000.0, 9_000_000.0, "EPSG:4549", "cgcs2000")


def test_unknown_system() -> None:
    with pytest.raises(BadInput, match="不认识的坐标系"):
        parse_system("mars")
    with pytest.raises(BadInput):
        parse_system("EPSG:999999")


def test_check_lonlat_accepts_china() -> None:
    check_lonlat(np.array([121.4, 87.6]), np.array([28.6, 43.8]))


def test_transform_geometry_converts_every_vertex() -> None:
    from shapely.geometry import LineString

    line = LineString([(121.40, 28.60), (121.41, 28.61)])
    out = transform_geometry(line, "gcj02")
    expected = [tuple(float(v) for v in gcj02_to_wgs84(x, y)) for x, y in line.coords]
    assert [c for xy in out.coords for c in xy] == pytest.approx([c for xy in expected for c in xy], abs=1e-12)


def test_point_xy_keeps_one_row_per_point() -> None:
    import numpy as np
    import shapely

    from mzgis.crs import point_xy

    xy = point_xy(np.array([shapely.Point(1, 2), None, shapely.Point(), shapely.Point(3, 4)], dtype=object))
    assert xy[[0, 3]].tolist() == [[1.0, 2.0], [3.0, 4.0]] and np.isnan(xy[1:3]).all()


def test_web_positions_are_what_amap_and_baidu_take() -> None:
    from mzgis.crs import bd09_to_gcj02, gcj02_to_wgs84, web_positions

    at = web_positions(121.365851, 28.553796)
    assert at == {"gcj02": [121.37025, 28.550775], "bd09": [121.376816, 28.556455]}
    back = gcj02_to_wgs84(*bd09_to_gcj02(*at["bd09"]))  # and back to within a metre
    assert abs(float(back[0]) - 121.365851) < 1e-5 and abs(float(back[1]) - 28.553796) < 1e-5


@pytest.mark.parametrize(
    ("text", "inside"),
    [("73", True), ("136", True), ("136.000", True), ("135.99999", True), ("121.38", True), ("100", True),
     ("136.1", False), ("72.9", False), ("073", False), ("1e2", False), ("-100", False), ("١٢١", False), ("", False)],
)  # fmt: skip
def test_a_decimal_pattern_holds_exactly_the_numbers_in_its_range(text: str, inside: bool) -> None:
    assert bool(re.fullmatch(decimal_pattern(73, 136), text)) is inside


def test_a_point_as_text_is_in_china_and_named_when_swapped() -> None:
    assert parse_lonlat("121.38,28.58") == (121.38, 28.58)
    assert parse_lonlat(" 121.38 ， 28.58 ") == (121.38, 28.58)  # a full-width comma, spaces around
    with pytest.raises(BadInput, match="像是把纬度和经度写反了"):
        parse_lonlat("28.58,121.38")
    with pytest.raises(BadInput, match="不在中国范围内"):
        parse_lonlat("0,0")
    for bad in ("121.38", "1.2138e2,28.58", "121.38;28.58", "a,b"):
        with pytest.raises(BadInput, match=r"应为 经度,纬度\(如 121.38,28.58\)"):
            parse_lonlat(bad)
    assert re.fullmatch(LONLAT_PATTERN, "121.38,28.58") and not re.fullmatch(LONLAT_PATTERN, "28.58,121.38")
