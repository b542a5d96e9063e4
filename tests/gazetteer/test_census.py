"""GB/T 18521 class codes (地名类别代码) and mzgis's categories, both ways."""

from __future__ import annotations

import pytest

from mzgis.errors import BadInput
from mzgis.gazetteer.census import class_code, class_named, classes, read_class_code
from mzgis.gazetteer.rules import load_rules
from mzgis.layers import PLACE_NAME_CATEGORIES


def test_every_category_has_its_middle_class() -> None:
    assert {c: class_code(c) for c in PLACE_NAME_CATEGORIES} == {
        "administrative_area": "21000",
        "self_governing_org": "21600",
        "non_administrative_area": "21700",
        "settlement": "22000",
        "transport_facility": "23000",
        "utility_facility": "24000",
        "memorial_scenic": "25000",
        "building": "26000",
        "institution": "27000",
        "land_water_body": "12000",
        "land_terrain": "13000",
        "sea_area": "11000",
    }


@pytest.mark.parametrize(
    ("category", "subcategory", "code"),
    [
        ("administrative_area", "county", "21400"),
        ("administrative_area", "district", "21400"),
        ("administrative_area", "subdistrict", "21500"),
        ("administrative_area", "town", "21500"),
        ("self_governing_org", "community", "21620"),
        ("self_governing_org", "village", "21600"),  # 村民委员会's own code is not listed: the middle class
        ("non_administrative_area", "development_zone", "21730"),
        ("settlement", "residential", "22100"),
        ("settlement", "natural_village", "22200"),
        ("transport_facility", "road", "23510"),
        ("transport_facility", "bridge", "23610"),
        ("land_water_body", "river", "12100"),
        ("land_terrain", "mountain", "13400"),
        ("building", "river", "26000"),  # a subcategory of another category does not move the name's class
    ],
)
def test_a_subcategory_gives_its_finer_class(category: str, subcategory: str, code: str) -> None:
    assert class_code(category, subcategory) == code


@pytest.mark.parametrize(
    ("code", "category", "subcategory", "class_name"),
    [
        ("21620", "self_governing_org", "community", "社区"),
        ("2162", "self_governing_org", "community", "社区"),  # unpadded, as the standard writes it
        (21620.0, "self_governing_org", "community", "社区"),  # a spreadsheet's number
        ("21600", "self_governing_org", None, "群众自治组织"),
        ("21630", "self_governing_org", None, "村民小组"),
        ("21400", "administrative_area", "county", "县级行政区域"),  # county, district, city: the first
        ("23510", "transport_facility", "road", "道路、街巷"),
        ("22200", "settlement", "natural_village", "农村居民点"),
        ("23213", "transport_facility", None, "交通运输设施"),  # 县道: an unlisted class under its middle class
        ("12100", "land_water_body", "river", "河流"),
        ("27400", "institution", None, "单位"),
    ],
)
def test_a_code_is_read_by_its_longest_listed_prefix(
    code: object, category: str, subcategory: str | None, class_name: str
) -> None:
    klass, sub = read_class_code(code)
    assert (klass.category, sub, klass.name) == (category, subcategory, class_name)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("10000", "地名类别代码“10000”不在 GB/T 18521 的已知类别中(如 22100 城镇居民点、21620 社区)"),
        ("31000", "地名类别代码“31000”不在 GB/T 18521 的已知类别中(如 22100 城镇居民点、21620 社区)"),
        ("221000", "地名类别代码“221000”应为不超过 5 位的数字"),
        ("22a00", "地名类别代码“22a00”应为不超过 5 位的数字"),
        ("居民点", "地名类别代码“居民点”应为不超过 5 位的数字"),
    ],
)
def test_a_code_under_no_listed_class_is_refused_in_chinese(code: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        read_class_code(code)
    assert caught.value.message_zh == message


def test_every_subcategory_comes_back_under_its_category() -> None:
    """Export then import: the code of every category with each of the rules' subcategories (or none) reads
    back as the same category with a subcategory of the same code, so exporting again writes the same code."""
    for category in PLACE_NAME_CATEGORIES:
        for subcategory in [None, *load_rules().subcategory_labels]:
            code = class_code(category, subcategory)
            klass, sub = read_class_code(code)
            assert (klass.category, class_code(category, sub)) == (category, code), (category, subcategory)
    assert {k.padded for k in classes().values() if len(k.subcategories) == 1} == {
        "21620", "21730", "22200", "23610", "12100", "12200", "13400",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "name", "subcategory"),
    [
        ("21500", "峰江街道", "subdistrict"),
        ("21500", "新桥镇", "town"),
        ("21500", "金清", "subdistrict"),  # no generic that fits: the first
        ("22100", "中央帝景苑", "residential"),
        ("21620", "三新村", "community"),  # the class stands for one subcategory: that one
    ],
)
def test_of_several_subcategories_the_one_whose_generic_ends_the_name(code: str, name: str, subcategory: str) -> None:
    assert read_class_code(code, name)[1] == subcategory


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("农村居民点", "上周家", ("22200", "settlement", "natural_village")),
        ("城镇居民点", "中央帝景苑", ("22100", "settlement", "residential")),
        (" 社区 ", "三新社区", ("21620", "self_governing_org", "community")),
        ("陆地水系", "南官河", ("12000", "land_water_body", None)),  # a middle class: mzgis's category label
        ("居民区", "中央帝景苑", None),  # a subcategory's label, not a class of the standard
        ("鸟类", "鸟岛", None),
    ],
)
def test_a_class_is_found_by_its_chinese_name(
    text: str, name: str, expected: tuple[str, str, str | None] | None
) -> None:
    found = class_named(text, name)
    assert (None if found is None else (found[0].padded, found[0].category, found[1])) == expected
