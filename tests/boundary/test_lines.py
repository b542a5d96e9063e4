from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

from mzgis.boundary.alignment import compass, describe_alignment, segments_csv, segments_text
from mzgis.boundary.lines import compare_lines
from mzgis.boundary.markers import check_markers
from mzgis.boundary.service import load_line
from mzgis.crs import web_positions
from mzgis.store import GeoPackageStore

TO_LL = Transformer.from_crs(4549, 4490, always_xy=True)
X, Y = 500000.0, 3165000.0  # on the central meridian of EPSG:4549


def ll(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [TO_LL.transform(X + x, Y + y) for x, y in coords]


def test_a_bulge_is_one_stretch_with_its_chainage_and_area() -> None:
    ours = LineString(ll([(0, 0), (1000, 0)]))
    theirs = LineString(ll([(0, 0), (400, 0), (500, 20), (600, 0), (1000, 0)]))
    county = Polygon(ll([(0, 0), (1000, 0), (1000, -500), (0, -500)]))  # our county lies south of the line
    r = compare_lines(ours, theirs, tolerance_m=5.0, step_m=1.0, our_county=county)
    s = r.summary
    assert s["length_m"] == pytest.approx(1000.0, abs=0.01)
    assert s["max_deviation_m"] == pytest.approx(19.612, abs=0.01)  # from our line to their sloped sides
    assert s["hausdorff_m"] == pytest.approx(20.0, abs=0.01)
    assert s["segments_over_tolerance"] == 1
    seg = r.segments[0]
    assert (seg["from_m"], seg["to_m"], seg["at_m"]) == pytest.approx((426.0, 574.0, 500.0), abs=1.0)
    assert {k: seg[k] for k in ("gcj02", "bd09")} == web_positions(seg["lon"], seg["lat"])  # for the web maps
    assert s["area_between_m2"] == pytest.approx(2000.0, rel=1e-3)  # a triangle 200 m wide, 20 m high
    assert (s["ours_would_gain_m2"], s["neighbour_would_gain_m2"]) == pytest.approx((2000.0, 0.0), rel=1e-3)
    assert r.areas[0]["side"] == "left"


def test_identical_lines_differ_by_nothing() -> None:
    line = LineString(ll([(0, 0), (300, 100), (900, 50)]))
    s = compare_lines(line, line).summary
    assert (s["max_deviation_m"], s["segments_over_tolerance"], s["area_between_m2"]) == (0.0, 0, 0.0)


def test_markers_findings() -> None:
    line = LineString(ll([(0, 0), (10000, 0)]))
    rows = [
        ("路黄01", 0, 0, "single", "intact", "2025-10-01"),
        ("路黄02", 1500, 0, "single", "damaged", "2025-10-01"),
        ("路黄04", 5000, 3, "single", "intact", "2019-01-01"),
        ("路黄04", 6500, 12, "single", "missing", None),
        ("路黄05", 8000, 0, "paired", "intact", "2025-10-01"),
    ]
    markers = gpd.GeoDataFrame(
        {
            "marker_id": [r[0] for r in rows],
            "kind": [r[3] for r in rows],
            "condition": [r[4] for r in rows],
            "last_inspected": [r[5] for r in rows],
        },
        geometry=[Point(ll([(r[1], r[2])])[0]) for r in rows],
        crs=4490,
    )
    tripoint = Point(ll([(10000, 0)])[0])
    r = check_markers(line, markers, line_name="路黄线", today=dt.date(2026, 11, 29), tripoints=[(tripoint, "331081")])
    kinds = [(f["kind"], f["marker_id"]) for f in r.findings]
    assert kinds == [
        ("off_line", "路黄04"),
        ("duplicate_id", "路黄04"),
        ("numbering_gap", "路黄03"),
        ("spacing", "路黄02"),
        ("tripoint_missing", None),
        ("condition", "路黄02"),
        ("condition", "路黄04"),
        ("overdue", "路黄04"),
        ("overdue", "路黄04"),
    ]
    # each finding where an officer goes to check it (the marker's own position, a gap's middle on the line),
    # also as 高德/腾讯 (GCJ-02) and 百度 (BD-09) take it; a number that is missing has no place
    back = Transformer.from_crs(4490, 4549, always_xy=True)
    placed = [
        (round(back.transform(f["lon"], f["lat"])[0] - X), round(back.transform(f["lon"], f["lat"])[1] - Y))
        if "lon" in f
        else None
        for f in r.findings
    ]
    assert placed == [(6500, 12), (5000, 3), None, (3250, 0), (10000, 0), (1500, 0), (6500, 12), (5000, 3), (6500, 12)]
    off = r.findings[0]
    assert (off["gcj02"], off["bd09"]) == (
        web_positions(off["lon"], off["lat"])["gcj02"],
        web_positions(off["lon"], off["lat"])["bd09"],
    )
    assert off["gcj02"][0] - off["lon"] > 0.003  # about 400 m east, as the web maps shift it here
    s = r.summary
    assert (s["spacing_min_m"], s["spacing_max_m"], s["damaged"], s["missing"]) == (1500.0, 3500.0, 1, 1)


@pytest.mark.parametrize(
    ("azimuth", "name"),
    [
        (0, "北"),
        (11.2, "北"),
        (11.3, "北东北"),
        (45, "东北"),
        (90, "东"),
        (135, "东南"),
        (180, "南"),
        (200, "南西南"),
        (270, "西"),
        (337.5, "北西北"),
        (348, "北西北"),
        (349, "北"),
    ],
)
def test_compass(azimuth: float, name: str) -> None:
    assert compass(azimuth) == name


def test_alignment_segments_and_turns() -> None:
    line = LineString(ll([(0, 0), (0, 1000), (1000, 1000), (1000, 2500)]))
    markers = [
        ("路黄01", Point(ll([(0, 0)])[0])),
        ("路黄02", Point(ll([(1000, 1000)])[0])),
        ("路黄03", Point(ll([(1000, 2500)])[0])),
    ]
    segs = describe_alignment(line, markers)
    assert [(s.from_marker, s.to_marker, s.length_m, s.turning_points) for s in segs] == [
        ("路黄01", "路黄02", 2000.0, 1),
        ("路黄02", "路黄03", 1500.0, 0),
    ]
    assert [(leg.direction, leg.length_m) for leg in segs[0].legs] == [("北", 1000.0), ("东", 1000.0)]
    assert segs[0].direction == "东北" and segs[1].direction == "北"
    text = segments_text("路黄线", segs)
    assert "第1段:界线自路黄01号界桩起,先向北方向行约1000米,转向东方向行约1000米,途经1个转折点,至路黄02号界桩" in text
    assert segments_csv(segs).splitlines()[0].startswith("段号,起点界桩,终点界桩")


def test_demo_lines_show_the_planted_discrepancies(demo_store: GeoPackageStore) -> None:
    for name in ("路黄线", "路椒线", "路温线"):
        r = load_line(demo_store, name).compare(tolerance_m=5.0)
        assert r.summary["segments_over_tolerance"] == 1  # one clear discrepancy per line
        assert 20.0 < r.summary["max_deviation_m"] < 40.0
        assert r.summary["mean_deviation_m"] < 1.0  # elsewhere only sub-metre survey noise
        seg = r.segments[0]
        assert 300.0 < seg["to_m"] - seg["from_m"] < 700.0


def test_demo_markers(demo_store: GeoPackageStore) -> None:
    reports = {
        n: load_line(demo_store, n).check_markers(today=dt.date(2026, 11, 29)) for n in ("路黄线", "路椒线", "路温线")
    }
    assert {n: r.summary["tripoints_missing"] for n, r in reports.items()} == {"路黄线": 0, "路椒线": 0, "路温线": 0}
    assert sum(r.summary["damaged"] for r in reports.values()) == 2
    assert sum(r.summary["missing"] for r in reports.values()) == 1
    assert sum(r.summary["overdue"] for r in reports.values()) == 3
    assert all(r.summary["off_line"] == 0 for r in reports.values())
