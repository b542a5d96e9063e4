from __future__ import annotations

import re

import pytest
from shapely import wkt

from mzgis.errors import NotFound
from mzgis.layers import LAYERS, check_geometry, check_record, get_layer, promote_geometry
from tests.conftest import shape

CONTRACT = {
    "admin_units": ("MULTIPOLYGON", {"code", "name", "level", "parent_code"}),
    "population": (None, {"code", "year", "total", "aged_60_plus", "aged_80_plus"}),
    "place_names": (
        "GEOMETRY",
        {
            "name",
            "specific",
            "generic",
            "romanized",
            "category",
            "admin_code",
            "status",
            "origin",
            "approval_ref",
            "approved_on",
        },
    ),
    "eldercare_facilities": (
        "POINT",
        {"name", "kind", "beds", "nursing_beds", "operator", "professionally_run", "demonstration", "admin_code"},
    ),
    "community_complexes": ("POINT", {"name", "kind", "admin_code", "opened"}),
    "burial_sites": ("GEOMETRY", {"name", "kind", "status", "capacity", "admin_code"}),
    "boundary_lines": ("LINESTRING", {"name", "county_a", "county_b", "side"}),
    "boundary_markers": ("POINT", {"marker_id", "line_name", "kind", "condition", "last_inspected"}),
}


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_contract_layers_and_fields(name: str) -> None:
    geometry, fields = CONTRACT[name]
    layer = LAYERS[name]
    assert layer.geometry == geometry
    assert fields <= set(layer.field_names)
    assert layer.label_zh  # every layer has a Chinese label


def test_enums_of_the_contract() -> None:
    assert LAYERS["admin_units"].field("level").choices == ("county", "township", "village")
    assert LAYERS["place_names"].field("status").choices == ("current", "proposed", "retired")
    assert LAYERS["eldercare_facilities"].field("kind").choices == (
        "institution",
        "home_care_centre",
        "day_care_station",
    )
    assert LAYERS["burial_sites"].field("kind").choices == ("tree", "flower", "lawn", "columbarium", "cemetery")
    assert LAYERS["burial_sites"].field("status").choices == ("planned", "under_construction", "open")
    assert LAYERS["boundary_markers"].field("condition").choices == ("intact", "damaged", "missing")
    assert LAYERS["boundary_markers"].field("kind").choices == ("single", "paired", "tripoint")


def test_unknown_layer_names_the_known_ones() -> None:
    with pytest.raises(NotFound) as err:
        get_layer("roads")
    assert "admin_units" in err.value.message_zh


def test_check_record_reports_every_problem_at_once() -> None:
    clean, problems = check_record(
        LAYERS["admin_units"], {"code": "33100400", "name": "", "level": "town", "parent_code": "331004"}
    )
    assert clean["code"] == "33100400"
    assert problems == [
        "区划代码(code)“33100400”格式不对(应为 6、9 或 12 位数字)",
        "缺少必填字段 名称(name)",
        "层级(level)的值“town”不在允许范围内:county(区县)、township(乡镇街道)、village(村社区)",
    ]


def test_admin_code_must_match_level_and_parent() -> None:
    _, problems = check_record(
        LAYERS["admin_units"], {"code": "331005001", "name": "某街道", "level": "township", "parent_code": "331004"}
    )
    assert problems == ["区划代码 331005001 不以上级代码 331004 开头"]
    _, problems = check_record(
        LAYERS["admin_units"], {"code": "331004001", "name": "某村", "level": "village", "parent_code": "331004"}
    )
    assert problems == ["层级 village 的区划代码应为 12 位,实为 9 位"]


def test_coercion_of_office_spreadsheet_values() -> None:
    clean, problems = check_record(
        LAYERS["eldercare_facilities"],
        {
            "name": " 路桥敬老院 ",
            "kind": "institution",
            "beds": "260",
            "nursing_beds": 120.0,
            "professionally_run": "是",
            "demonstration": "否",
            "admin_code": 331004002050,
        },
    )
    assert problems == []
    assert clean["name"] == "路桥敬老院"
    assert clean["beds"] == 260 and clean["nursing_beds"] == 120
    assert clean["professionally_run"] is True and clean["demonstration"] is False
    assert clean["admin_code"] == "331004002050"


def test_cross_field_constraints() -> None:
    _, problems = check_record(
        LAYERS["eldercare_facilities"],
        {"name": "甲", "kind": "institution", "beds": 10, "nursing_beds": 11, "admin_code": "331004002"},
    )
    assert problems == ["护理型床位数不能多于床位数"]
    _, problems = check_record(
        LAYERS["population"],
        {"code": "331004001002", "year": 2020, "total": 10, "aged_60_plus": 11, "aged_80_plus": 12},
    )
    assert problems == ["60岁以上人口不能多于总人口", "80岁以上人口不能多于60岁以上人口"]


def test_full_width_space_and_bad_dates_are_refused() -> None:
    _, problems = check_record(
        LAYERS["community_complexes"],
        {"name": "和兴\u3000综合体", "kind": "urban", "admin_code": "331004003009", "opened": "2020-13-01"},
    )
    assert problems == ["名称(name)含全角空格", "建成日期(opened)“2020-13-01”不是日期(应为 YYYY-MM-DD)"]


@pytest.mark.parametrize(
    ("layer", "geometry", "expected"),
    [
        ("eldercare_facilities", "POINT (121.4 28.6)", []),
        ("eldercare_facilities", "LINESTRING (121.4 28.6, 121.5 28.6)", ["几何类型 LineString 不符合图层要求(Point)"]),
        ("eldercare_facilities", "POINT EMPTY", ["缺少几何"]),
        ("admin_units", "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))", ["几何无效:Self-intersection[0.5 0.5]"]),
        ("burial_sites", "POLYGON ((0 0, 1 0, 1 1, 0 0))", []),
        (
            "boundary_lines",
            "POINT Z (121.4 28.6 5)",
            ["几何类型 Point 不符合图层要求(LineString)", "几何带 Z 坐标;只接受二维坐标"],
        ),
    ],
)
def test_check_geometry(layer: str, geometry: str, expected: list[str]) -> None:
    assert check_geometry(LAYERS[layer], wkt.loads(geometry)) == expected


def test_attribute_tables_take_no_geometry() -> None:
    assert check_geometry(LAYERS["population"], None) == []
    assert check_geometry(LAYERS["population"], wkt.loads("POINT (1 1)")) == ["该图层是属性表,不能带几何"]


def test_polygons_are_promoted_for_multipolygon_layers() -> None:
    poly = wkt.loads("POLYGON ((0 0, 1 0, 1 1, 0 0))")
    assert shape(promote_geometry(LAYERS["admin_units"], poly)).geom_type == "MultiPolygon"
    assert shape(promote_geometry(LAYERS["burial_sites"], poly)).geom_type == "Polygon"


def test_colours_name_each_allowed_value_once() -> None:
    coloured = {
        (layer.name, f.name): dict(zip(f.choices, f.choice_colours, strict=True))
        for layer in LAYERS.values()
        for f in layer.fields
        if f.choice_colours
    }
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for colours in coloured.values() for c in colours.values())
    assert sorted(coloured) == [
        ("admin_units", "level"),
        ("boundary_lines", "side"),
        ("boundary_markers", "condition"),
        ("burial_sites", "kind"),
        ("community_complexes", "kind"),
        ("eldercare_facilities", "kind"),
    ]
    assert coloured[("boundary_markers", "condition")] == {
        "intact": "#277da1",
        "damaged": "#e9c46a",
        "missing": "#d62828",
    }
    # every value of the point layers the page draws has a colour of its own: the legend tells them apart
    drawn = [
        ("eldercare_facilities", "kind"),
        ("community_complexes", "kind"),
        ("burial_sites", "kind"),
        ("boundary_markers", "condition"),
    ]
    colours = [c for key in drawn for c in coloured[key].values()]
    assert len(set(colours)) == len(colours)


def test_an_allowed_value_may_be_given_by_its_chinese_name() -> None:
    clean, problems = check_record(
        LAYERS["eldercare_facilities"], {"name": "甲院", "kind": "养老机构", "admin_code": "331004001"}
    )
    assert (clean["kind"], problems) == ("institution", [])
    clean, _ = check_record(
        LAYERS["place_names"],
        {
            "name": "金清大桥",
            "specific": "金清大",
            "category": "交通运输设施",
            "admin_code": "331004106",
            "status": "现行",
        },
    )
    assert (clean["category"], clean["status"]) == ("transport_facility", "current")
    # the everyday words of value_words.toml, only for the field whose values they name
    clean, _ = check_record(
        LAYERS["eldercare_facilities"], {"name": "甲院", "kind": "敬老院", "admin_code": "331004001"}
    )
    assert clean["kind"] == "institution"
    clean, _ = check_record(
        LAYERS["burial_sites"], {"name": "甲", "kind": "骨灰堂", "status": "已建", "admin_code": "1"}
    )
    assert (clean["kind"], clean["status"]) == ("columbarium", "open")
    _, problems = check_record(LAYERS["burial_sites"], {"name": "甲", "kind": "敬老院", "admin_code": "331004001"})
    assert problems[0].startswith("类型(kind)的值“敬老院”不在允许范围内:tree(树葬)")
    _, problems = check_record(
        LAYERS["eldercare_facilities"], {"name": "甲院", "kind": "托儿所", "admin_code": "331004001"}
    )
    assert problems == [
        "类型(kind)的值“托儿所”不在允许范围内:institution(养老机构)、home_care_centre(居家养老服务中心)、"
        "day_care_station(居家养老服务照料中心)"
    ]
