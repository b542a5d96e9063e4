"""A catalogue of tiny WKT cases (in metres, EPSG:4549) across the coverage and hierarchy checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from shapely import wkt

from mzgis.boundary.coverage import Tolerances, _edge_print, check_coverage, max_width

X, Y = 500000, 3165000  # near 120°E, 28.6°N


def box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"POLYGON (({X + x0} {Y + y0}, {X + x1} {Y + y0}, {X + x1} {Y + y1}, {X + x0} {Y + y1}, {X + x0} {Y + y0}))"


def frame(items: Sequence[tuple[str, str, str | None]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [c for c, _, _ in items], "parent": [p for _, _, p in items]},
        geometry=[wkt.loads(w) for _, w, _ in items],
        crs=4549,
    )


# case: units, expected (kind, ids, area_m2, width_m) of every finding
CATALOGUE: dict[str, tuple[list[tuple[str, str, str | None]], list[tuple[Any, ...]]]] = {
    "shared edge": ([("331004001", box(0, 0, 100, 100), None), ("331004002", box(100, 0, 200, 100), None)], []),
    "shared edge with mismatched vertices": (
        [
            ("331004001", box(0, 0, 100, 100), None),
            (
                "331004002",
                f"POLYGON (({X + 100} {Y}, {X + 200} {Y}, {X + 200} {Y + 100}, {X + 100} {Y + 100}, "
                f"{X + 100.4} {Y + 50}, {X + 100} {Y}))",
                None,
            ),
        ],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("invalid_edge", ["331004002"], None, None),
            ("gap", ["331004001", "331004002"], 20.0, 0.4),
        ],
    ),
    "sliver gap": (
        [("331004001", box(0, 0, 100, 100), None), ("331004002", box(100.2, 0, 200, 100), None)],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("invalid_edge", ["331004002"], None, None),
            ("gap", ["331004001", "331004002"], 20.0, 0.2),
        ],
    ),
    "open notch (not a gap without a parent)": (
        [
            ("331004001", box(0, 0, 100, 100), None),
            ("331004002", box(0, 110, 100, 200), None),
            ("331004003", box(100, 0, 200, 200), None),
        ],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("invalid_edge", ["331004002"], None, None),
            ("invalid_edge", ["331004003"], None, None),
        ],
    ),
    "overlap": (
        [("331004001", box(0, 0, 100, 100), None), ("331004002", box(97, 0, 200, 100), None)],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("invalid_edge", ["331004002"], None, None),
            ("overlap", ["331004001", "331004002"], 300.0, 3.0),
        ],
    ),
    "hole": (
        [
            (
                "331004001",
                f"POLYGON (({X} {Y}, {X + 300} {Y}, {X + 300} {Y + 300}, {X} {Y + 300}, {X} {Y}), "
                f"({X + 100} {Y + 100}, {X + 200} {Y + 100}, {X + 200} {Y + 200}, {X + 100} {Y + 200}, "
                f"{X + 100} {Y + 100}))",
                None,
            )
        ],
        [("gap", ["331004001"], 10000.0, 100.0)],
    ),
    "enclave drawn inside its neighbour without a hole": (
        [("331004001", box(0, 0, 1000, 1000), None), ("331004002", box(300, 300, 700, 700), None)],
        [
            ("invalid_edge", ["331004002"], None, None),
            ("overlap", ["331004001", "331004002"], 160000.0, 400.0),
        ],
    ),
    "enclave in its neighbour's hole": (
        [
            (
                "331004001",
                f"POLYGON (({X} {Y}, {X + 1000} {Y}, {X + 1000} {Y + 1000}, {X} {Y + 1000}, {X} {Y}), "
                f"({X + 300} {Y + 300}, {X + 700} {Y + 300}, {X + 700} {Y + 700}, {X + 300} {Y + 700}, "
                f"{X + 300} {Y + 300}))",
                None,
            ),
            ("331004002", box(300, 300, 700, 700), None),
        ],
        [],
    ),
    "one unit covering two others": (
        [
            ("331004001", box(0, 0, 100, 100), None),
            ("331004002", box(100, 0, 200, 100), None),
            ("331004003", box(0, 0, 200, 100), None),
        ],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("invalid_edge", ["331004002"], None, None),
            ("invalid_edge", ["331004003"], None, None),
            ("overlap", ["331004001", "331004003"], 10000.0, 100.0),
            ("overlap", ["331004002", "331004003"], 10000.0, 100.0),
        ],
    ),
    "duplicate polygon": (
        [
            ("331004001", box(0, 0, 100, 100), None),
            ("331004002", box(0, 0, 100, 100), None),
            ("331004003", box(100, 0, 200, 100), None),
        ],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("invalid_edge", ["331004002"], None, None),
            ("overlap", ["331004001", "331004002"], 10000.0, 100.0),
        ],
    ),
    "multipolygon part inside a neighbour": (
        [
            (
                "331004001",
                f"MULTIPOLYGON ((({X} {Y}, {X + 100} {Y}, {X + 100} {Y + 100}, {X} {Y + 100}, {X} {Y})), "
                f"(({X + 150} {Y + 40}, {X + 170} {Y + 40}, {X + 170} {Y + 60}, {X + 150} {Y + 60}, "
                f"{X + 150} {Y + 40})))",
                None,
            ),
            ("331004002", box(100, 0, 200, 100), None),
        ],
        [
            ("invalid_edge", ["331004001"], None, None),
            ("overlap", ["331004001", "331004002"], 400.0, 20.0),
        ],
    ),
    "invalid (bow tie)": (
        [("331004001", f"POLYGON (({X} {Y}, {X + 100} {Y + 100}, {X + 100} {Y}, {X} {Y + 100}, {X} {Y}))", None)],
        [("invalid", ["331004001"], None, None)],
    ),
}


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_catalogue(case: str) -> None:
    units, expected = CATALOGUE[case]
    report = check_coverage(frame(units), id_field="code")
    got = [(f["kind"], f["ids"], f["area_m2"], f["width_m"]) for f in report.as_dict()["findings"]]
    assert len(got) == len(expected)
    for (kind, ids, area, width), (e_kind, e_ids, e_area, e_width) in zip(got, expected, strict=True):
        assert (kind, ids) == (e_kind, e_ids)
        assert area == (None if e_area is None else pytest.approx(e_area, rel=1e-6, abs=1e-3))
        assert width == (None if e_width is None else pytest.approx(e_width, abs=0.02))


def test_summary_states_the_tolerances_and_totals() -> None:
    units, _ = CATALOGUE["overlap"]
    s = check_coverage(frame(units), id_field="code", tolerances=Tolerances(gap_width_m=5.0)).summary
    assert (s["polygons"], s["overlaps"], s["overlap_area_m2"], s["slivers"]) == (2, 1, 300.0, 1)
    assert (s["gap_width_m"], s["min_area_m2"], s["metric_crs"]) == (5.0, 0.01, "EPSG:4549")


PARENT = ("331004001", box(0, 0, 200, 100), None)


def test_unit_outside_parent_and_gap_inside_parent() -> None:
    children = frame(
        [("331004001001", box(0, 0, 100, 100), "331004001"), ("331004001002", box(100, 0, 210, 90), "331004001")]
    )
    report = check_coverage(
        children, id_field="code", parent_field="parent", parents=frame([PARENT]), parent_id_field="code"
    )
    got = {(f["kind"], tuple(f["ids"]), f["area_m2"]) for f in report.as_dict()["findings"]}
    assert ("gap", ("331004001001", "331004001002"), 1000.0) in got  # the strip y 90–100 nobody covers
    assert ("outside_parent", ("331004001002", "331004001"), 900.0) in got
    assert report.summary["hierarchy"] == 1


def ring(*points: tuple[float, float]) -> str:
    return "(" + ", ".join(f"{X + x} {Y + y}" for x, y in (*points, points[0])) + ")"


def test_edge_print_cancels_shared_segments_in_either_direction() -> None:
    cells = [wkt.loads(box(0, 0, 100, 100)), wkt.loads(box(100, 0, 200, 100))]
    whole = wkt.loads(f"POLYGON ({ring((0, 0), (100, 0), (200, 0), (200, 100), (100, 100), (0, 100))})")
    backwards = wkt.loads(f"POLYGON ({ring((0, 100), (100, 100), (200, 100), (200, 0), (100, 0), (0, 0))})")
    repeated = wkt.loads(f"POLYGON ({ring((0, 0), (100, 0), (100, 0), (200, 0), (200, 100), (100, 100), (0, 100))})")
    prints = {_edge_print(np.array(g, dtype=object)) for g in (cells, [whole], [backwards], [repeated])}
    assert len(prints) == 1
    assert _edge_print(np.array([wkt.loads(box(0, 0, 200, 100))])) not in prints  # no vertices at x = 100
    assert _edge_print(np.array(cells[:1])) not in prints


@pytest.mark.parametrize("with_vertices", [True, False], ids=["same vertices", "parent lacks the shared nodes"])
def test_children_tiling_their_parent_exactly(with_vertices: bool) -> None:
    children = frame(
        [("331004001001", box(0, 0, 100, 100), "331004001"), ("331004001002", box(100, 0, 200, 100), "331004001")]
    )
    parent = (
        f"POLYGON ({ring((0, 0), (100, 0), (200, 0), (200, 100), (100, 100), (0, 100))})"
        if with_vertices
        else box(0, 0, 200, 100)
    )
    report = check_coverage(
        children,
        id_field="code",
        parent_field="parent",
        parents=frame([("331004001", parent, None)]),
        parent_id_field="code",
    )
    assert report.findings.empty, report.findings.message.tolist()


def test_child_filling_its_parents_hole_is_outside_it() -> None:
    """A 3 × 3 grid whose outer ring is the parent's exterior, segment by segment; the parent has a hole
    where the middle cell stands (an enclave of another unit): the middle cell is outside its parent."""
    cells = [
        (f"33100400100{3 * j + i + 1}", box(100 * i, 100 * j, 100 * (i + 1), 100 * (j + 1)), "331004001")
        for j in range(3)
        for i in range(3)
    ]
    edge = [(0, 0), (100, 0), (200, 0), (300, 0), (300, 100), (300, 200), (300, 300), (200, 300), (100, 300)]
    outer = ring(*edge, (0, 300), (0, 200), (0, 100))
    hole = ring((100, 100), (200, 100), (200, 200), (100, 200))
    parents = frame([("331004001", f"POLYGON ({outer}, {hole})", None)])
    report = check_coverage(
        frame(cells), id_field="code", parent_field="parent", parents=parents, parent_id_field="code"
    )
    got = [(f["kind"], f["ids"], f["area_m2"]) for f in report.as_dict()["findings"]]
    assert got == [("outside_parent", ["331004001005", "331004001"], 10000.0)]
    ring_only = frame([c for c in cells if c[0] != "331004001005"])
    report = check_coverage(ring_only, id_field="code", parent_field="parent", parents=parents, parent_id_field="code")
    assert report.findings.empty, report.findings.message.tolist()


def test_enclave_inside_its_neighbour_within_their_township() -> None:
    """A 400 m × 400 m village drawn inside its neighbour, which was drawn without the hole: the two
    villages still tile their township (the union equals the parent), so only the pair overlay finds it."""
    children = frame(
        [
            ("331004001001", box(0, 0, 1000, 1000), "331004001"),
            ("331004001002", box(300, 300, 700, 700), "331004001"),
        ]
    )
    parents = frame([("331004001", box(0, 0, 1000, 1000), None)])
    report = check_coverage(children, id_field="code", parent_field="parent", parents=parents, parent_id_field="code")
    got = [(f["kind"], f["ids"], f["area_m2"]) for f in report.as_dict()["findings"]]
    assert got == [
        ("invalid_edge", ["331004001002"], None),
        ("overlap", ["331004001001", "331004001002"], 160000.0),
    ]
    s = report.summary
    assert (s["overlaps"], s["overlap_area_m2"], s["gaps"], s["hierarchy"]) == (1, 160000.0, 0, 0)


def test_six_digit_parent_codes_are_padded() -> None:
    """GB/T 2260 pads a prefecture's code to six digits: 331004 belongs to 331000, 330302 does not."""
    units = frame([("331004", box(0, 0, 100, 100), "331000"), ("330302", box(100, 0, 200, 100), "331000")])
    report = check_coverage(units, id_field="code", parent_field="parent")
    got = [(f["kind"], f["ids"], f["message"]) for f in report.as_dict()["findings"]]
    assert got == [("code_prefix", ["330302"], "330302 的代码不以上级代码 331000 开头")]


def test_a_provinces_code_is_padded_by_two_pairs() -> None:
    """A province pads its two digits with two pairs of zeros (330000): its prefectures 331000 and 330300
    belong to it, 320100 does not."""
    units = frame(
        [
            ("331000", box(0, 0, 100, 100), "330000"),
            ("330300", box(100, 0, 200, 100), "330000"),
            ("320100", box(200, 0, 300, 100), "330000"),
        ]
    )
    report = check_coverage(units, id_field="code", parent_field="parent")
    got = [(f["kind"], f["ids"], f["message"]) for f in report.as_dict()["findings"]]
    assert got == [("code_prefix", ["320100"], "320100 的代码不以上级代码 330000 开头")]


def test_wide_gap_inside_the_parent() -> None:
    children = frame(
        [
            ("331004001001", box(0, 0, 100, 100), "331004001"),
            ("331004001002", box(0, 110, 100, 200), "331004001"),
            ("331004001003", box(100, 0, 200, 200), "331004001"),
        ]
    )
    parent = frame([("331004001", box(0, 0, 200, 200), None)])
    report = check_coverage(children, id_field="code", parent_field="parent", parents=parent, parent_id_field="code")
    gaps = [(f["ids"], f["area_m2"], f["width_m"]) for f in report.as_dict()["findings"] if f["kind"] == "gap"]
    assert len(gaps) == 1
    assert gaps[0][0] == ["331004001001", "331004001002", "331004001003"]
    assert gaps[0][1] == pytest.approx(1000.0) and gaps[0][2] == pytest.approx(10.0, abs=0.02)
    assert report.summary["slivers"] == 0


def test_wrong_code_prefix_and_division_list() -> None:
    units = frame(
        [("331004001001", box(0, 0, 100, 100), "331004001"), ("331005001002", box(100, 0, 200, 100), "331004001")]
    )
    units["name"] = ["甲村", "乙村"]
    report = check_coverage(
        units, id_field="code", parent_field="parent", division_list={"331004001001": "甲村", "331004001003": "丙村"}
    )
    got = [(f["kind"], f["ids"]) for f in report.as_dict()["findings"]]
    assert ("code_prefix", ["331005001002"]) in got
    assert ("missing_unit", ["331004001003"]) in got
    assert ("unknown_code", ["331005001002"]) in got


def test_max_width() -> None:
    assert max_width(wkt.loads("POLYGON ((0 0, 10 0, 10 2, 0 2, 0 0))")) == pytest.approx(2.0, abs=0.01)


def test_demo_county_is_a_clean_coverage() -> None:
    from mzgis.settings import default_demo_path

    units = gpd.read_file(default_demo_path(), layer="admin_units")
    for level, parent in (("village", "township"), ("township", "county")):
        report = check_coverage(
            units[units.level == level],
            id_field="code",
            parent_field="parent_code",
            parents=units[units.level == parent],
            parent_id_field="code",
        )
        assert report.findings.empty, report.findings.message.tolist()


# Edges mutation testing found untested (scripts/mutants.py; README 变异测试)


def test_a_frame_without_crs_is_refused() -> None:
    units = frame([PARENT])
    with pytest.raises(ValueError, match="need a CRS"):
        check_coverage(units.set_crs(None, allow_override=True), id_field="code")
    with pytest.raises(ValueError, match="need a CRS"):
        check_coverage(
            units, id_field="code", parent_field="parent", parents=frame([PARENT]).set_crs(None, allow_override=True)
        )


def _lonlat(x: float, y: float) -> tuple[float, float]:
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(4549, 4490, always_xy=True).transform(X + x, Y + y)
    return round(lon, 7), round(lat, 7)


def test_findings_are_located_where_they_are() -> None:
    """A bow tie at its self-intersection; an overlap and a gap at a point of their own piece."""
    bow = check_coverage(frame(CATALOGUE["invalid (bow tie)"][0]), id_field="code").as_dict()["findings"][0]
    assert tuple(bow["location"]) == _lonlat(50, 50)
    overlap = next(
        f for f in check_coverage(frame(CATALOGUE["overlap"][0]), id_field="code").as_dict()["findings"]
        if f["kind"] == "overlap"
    )  # fmt: skip
    x0, _ = _lonlat(97, 0)
    x1, _ = _lonlat(100, 0)
    assert x0 < overlap["location"][0] < x1  # inside the strip x 97–100 both cover


def test_gap_message_names_its_neighbours_and_totals_are_exact() -> None:
    """A sliver gap 0.123456 m wide: its area to the millimetre² in the total (four decimals would show a
    rounding change), the neighbours named in the message, the invalid edges counted."""
    units = frame([("331004001", box(0, 0, 100, 100), None), ("331004002", box(100.123456, 0, 200, 100), None)])
    report = check_coverage(units, id_field="code")
    (gap,) = [f for f in report.as_dict()["findings"] if f["kind"] == "gap"]
    assert gap["message"] == "缝隙 12.35 平方米(最宽 0.12 米),细长碎片,相邻:331004001、331004002"
    s = report.summary
    assert (s["gaps"], s["gap_area_m2"], s["invalid_edges"], s["overlaps"], s["overlap_area_m2"]) == (
        1,
        12.346,
        2,
        0,
        0.0,
    )


def test_parents_in_their_own_crs_and_id_column() -> None:
    """The county's township file in lon/lat with its codes under XZQDM; the villages in metres."""
    children = frame(
        [("331004001001", box(0, 0, 100, 100), "331004001"), ("331004001002", box(100, 0, 210, 90), "331004001")]
    )
    parents = frame([PARENT]).rename(columns={"code": "XZQDM"}).to_crs(4490)
    report = check_coverage(children, id_field="code", parent_field="parent", parents=parents, parent_id_field="XZQDM")
    found = report.as_dict()["findings"]
    got = {(f["kind"], tuple(f["ids"]), round(f["area_m2"])) for f in found if f["kind"] != "invalid_edge"}
    assert got == {
        ("gap", ("331004001001", "331004001002"), 1000),
        ("outside_parent", ("331004001002", "331004001"), 900),
    }


def test_hierarchy_counts_every_kind_and_names_are_compared() -> None:
    units = frame(
        [
            ("331004001001", box(0, 0, 100, 100), "331004001"),
            ("331004001002", box(100, 0, 200, 100), "331004001"),
            ("331005001003", box(200, 0, 300, 100), "331004001"),
        ]
    )
    units["name"] = ["甲村", "乙村", "丙村"]
    listed = {"331004001001": "甲村", "331004001002": "乙社区", "331004001009": "丁村"}
    report = check_coverage(units, id_field="code", parent_field="parent", division_list=listed)
    got = [(f["kind"], f["ids"], f["message"]) for f in report.as_dict()["findings"]]
    assert got == [
        ("code_prefix", ["331005001003"], "331005001003 的代码不以上级代码 331004001 开头"),
        ("missing_unit", ["331004001009"], "区划名录中的 331004001009 丁村 没有图形"),
        ("name_mismatch", ["331004001002"], "331004001002 名称“乙村”与名录“乙社区”不一致"),
        ("unknown_code", ["331005001003"], "331005001003 不在区划名录中"),
    ]
    assert report.summary["hierarchy"] == 4


def test_max_width_of_small_and_unit_squares() -> None:
    """Width by the largest inscribed circle, also of a piece under a square metre and of one of exactly one."""
    assert max_width(wkt.loads("POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))")) == pytest.approx(1.0, abs=0.01)
    assert max_width(wkt.loads("POLYGON ((0 0, 0.5 0, 0.5 1, 0 1, 0 0))")) == pytest.approx(0.5, abs=0.005)


def test_overlap_total_to_the_millimetre() -> None:
    units = frame([("331004001", box(0, 0, 100, 100), None), ("331004002", box(99.876544, 0, 200, 100), None)])
    s = check_coverage(units, id_field="code").summary
    assert (s["overlaps"], s["overlap_area_m2"]) == (1, 12.346)


def test_the_gap_width_in_lon_lat_follows_the_latitude() -> None:
    """In lon/lat a metre of longitude is shorter than one of latitude (cos 28.6° = 0.878): a strip 1.9 m wide
    between two units is closed by the 1 m gap width (a gap, 190 m²), one 2.1 m wide is not. A scale taken at
    the equator would leave the 1.9 m strip open."""

    def gaps(x: float) -> list[tuple[str, float, float]]:
        units = frame([("331004001", box(0, 0, 100, 100), None), ("331004002", box(x, 0, 200, 100), None)])
        found = check_coverage(units.to_crs(4490), id_field="code").as_dict()["findings"]
        return [(f["kind"], f["area_m2"], f["width_m"]) for f in found]

    assert gaps(101.9) == [("gap", 190.0, 1.9)]
    assert gaps(102.1) == []


def test_a_gap_between_units_is_found_with_parent_codes_but_no_parent_polygons() -> None:
    """Villages with their township's code but no township polygons (a county whose townships are not drawn
    yet): the gaps between them are still looked for, as without parents at all."""
    township = "331004001"
    units = frame(
        [
            ("331004001001", box(0, 0, 100, 300), township),
            ("331004001002", box(200, 0, 300, 300), township),
            ("331004001003", box(100, 0, 200, 100), township),
            ("331004001004", box(100, 110, 200, 300), township),  # a strip 10 m wide left between 003 and 004
        ]
    )
    for parent_field in (None, "parent"):
        report = check_coverage(units, id_field="code", parent_field=parent_field)
        gaps = [f["area_m2"] for f in report.as_dict()["findings"] if f["kind"] == "gap"]
        assert gaps == [pytest.approx(1000.0, rel=1e-6)], parent_field
