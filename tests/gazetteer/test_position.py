"""位置描述 in words: a point by its unit, a line end to end by the names it meets, an area with its size."""

from __future__ import annotations

from shapely.geometry import LineString, MultiLineString, Point, box

from mzgis.gazetteer.position import describe_position, length_zh, names_near

UNITS = {(121.48, 28.525): "金清镇大浦村", (121.50, 28.525): "金清镇汝泉村"}


def unit_at(p: Point) -> str:
    return UNITS.get((round(p.x, 3), round(p.y, 3)), "金清镇友谊村")


def test_a_line_runs_from_its_eastern_end_to_its_western_by_the_names_it_meets() -> None:
    road = LineString([(121.48, 28.525), (121.50, 28.525)])  # drawn west to east: still told east first
    named = {(121.50, 28.525): "东环路"}
    text = describe_position(road, unit_at=unit_at, name_at=lambda p: named.get((round(p.x, 3), round(p.y, 3))))
    assert text == "东起东环路,西至金清镇大浦村,长约 1,960 米"


def test_a_line_running_north_and_south_is_told_from_its_northern_end() -> None:
    road = LineString([(121.49, 28.520), (121.4901, 28.530)])
    text = describe_position(
        road, unit_at=lambda p: "金清镇友谊村", name_at=lambda p: "金清大道" if p.y > 28.525 else None
    )
    assert text == "北起金清大道,南至金清镇友谊村,长约 1,110 米"


def test_a_line_of_two_parts_runs_between_the_ends_farthest_apart() -> None:
    road = MultiLineString([[(121.48, 28.525), (121.485, 28.525)], [(121.49, 28.525), (121.50, 28.525)]])
    assert describe_position(road, unit_at=unit_at, name_at=lambda p: None).startswith(
        "东起金清镇汝泉村,西至金清镇大浦村"
    )


def test_a_point_and_an_area_are_placed_in_their_unit() -> None:
    assert describe_position(Point(121.49, 28.525), unit_at=unit_at, name_at=lambda p: None) == "位于金清镇友谊村"
    square = box(121.489, 28.524, 121.491, 28.526)  # about 196 m by 222 m
    assert describe_position(square, unit_at=unit_at, name_at=lambda p: None) == "位于金清镇友谊村,面积约 4.3 公顷"
    assert describe_position(None, unit_at=unit_at, name_at=lambda p: None) == ""


def test_lengths_are_rounded_as_documents_write_them() -> None:
    assert [length_zh(m) for m in (7.4, 384.0, 1954.6, 12_480.0)] == [
        "约 7 米",
        "约 380 米",
        "约 1,950 米",
        "约 12.5 千米",
    ]


def test_the_name_met_is_the_nearest_within_reach() -> None:
    end = Point(121.50, 28.525)
    near = [("东环路", LineString([(121.5002, 28.52), (121.5002, 28.53)])),  # about 20 m east
            ("汝泉路", LineString([(121.5001, 28.52), (121.5001, 28.53)]))]  # about 10 m east  # fmt: skip
    assert names_near(near, end) == "汝泉路"
    assert names_near([("远处路", LineString([(121.501, 28.52), (121.501, 28.53)]))], end) is None  # about 98 m
