"""The naming rules on tiny cases, one rule id at a time, and all findings at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mzgis.gazetteer.rules import RULE_IDS, NameRecord, check_name, load_rules, scope_of

EXISTING = [
    NameRecord("方林村", "self_governing_org", "331004001202", "village", id=1),
    NameRecord("方林社区", "self_governing_org", "331004001002", "community", id=2),
    NameRecord("石曲社区", "self_governing_org", "331004001005", "community", id=3),
    NameRecord("古岙村", "self_governing_org", "331004001209", "village", id=4, status="retired"),
    NameRecord("银安路", "transport_facility", "331004003", "road", id=5),
    NameRecord("银安路", "transport_facility", "331004002", "road", id=6),
]


def rules_of(
    name: str, category: str, admin: str, sub: str | None = None, fid: int | None = None
) -> list[tuple[str, str]]:
    return [(f.rule, f.severity) for f in check_name(NameRecord(name, category, admin, sub, id=fid), EXISTING)]


@pytest.mark.parametrize(
    ("name", "category", "admin", "sub", "expected"),
    [
        ("方林村", "self_governing_org", "331004001", None, [("duplicate", "error"), ("near_duplicate", "warning")]),
        ("方临村", "self_governing_org", "331004001", None, [("homophone", "warning")]),
        ("石曲村", "self_governing_org", "331004001", "village", [("near_duplicate", "warning")]),
        ("古岙村", "self_governing_org", "331004001", "village", []),  # the old one is retired
        ("方林村", "self_governing_org", "331004002", "village", []),  # another township: another scope
        ("银安路", "transport_facility", "331004003", "road", [("duplicate", "error")]),
        ("威尼斯花园", "settlement", "331004001", None, [("foreign", "error")]),
        ("中央华府苑", "settlement", "331004001", None, [("exaggeration", "error")]),
        ("星巴克广场", "memorial_scenic", "331004001", None, [("brand", "error")]),
        ("路桥3号路", "transport_facility", "331004002", "road", [("mixed_script", "error")]),
        ("B区路", "transport_facility", "331004002", "road", [("mixed_script", "error")]),
        ("堃宁村", "self_governing_org", "331004001", None, [("rare_char", "warning")]),
        ("银座大道街", "transport_facility", "331004002", "road", [("stacked_generic", "error"), ("foreign", "error")]),
        ("滨海村", "transport_facility", "331004002", "road", [("generic_mismatch", "error")]),
        ("金清", "settlement", "331004106", None, [("missing_generic", "error")]),
        ("第三路", "transport_facility", "331004002", "road", [("bare_ordinal", "warning")]),
        ("路桥区滨海新区金清十塘园区社区", "self_governing_org", "331004106", None, [("too_long", "warning")]),
        ("南官河", "land_water_body", "331004002", "river", []),
        ("十里长街", "transport_facility", "331004002", "street", []),
    ],
)
def test_rules(name: str, category: str, admin: str, sub: str | None, expected: list[tuple[str, str]]) -> None:
    assert rules_of(name, category, admin, sub) == expected


def test_every_finding_at_once_with_messages() -> None:
    findings = check_name(NameRecord("曼哈顿国际广场", "building", "331004003"), EXISTING)
    assert [(f.rule, f.message) for f in findings] == [
        ("foreign", "含外国人名、地名“曼哈顿”"),
        ("exaggeration", "含夸大用词“国际”"),
    ]
    assert findings[0].message_en


def test_a_name_is_not_its_own_duplicate() -> None:
    assert rules_of("方林村", "self_governing_org", "331004001202", "village", fid=1) == [("near_duplicate", "warning")]


def test_duplicate_lists_the_other_name() -> None:
    dup = check_name(NameRecord("方林村", "self_governing_org", "331004001"), EXISTING)[0]
    assert dup.related == ({"id": 1, "name": "方林村", "admin_code": "331004001202"},)


def test_scopes() -> None:
    assert scope_of(NameRecord("方林村", "self_governing_org", "331004001202")) == ("admin", "village", "331004001")
    assert scope_of(NameRecord("某村", "self_governing_org", "331004001")) == ("admin", "village", "331004001")
    assert scope_of(NameRecord("路南街道", "administrative_area", "331004001")) == ("admin", "township", "331004")
    assert scope_of(NameRecord("新街道", "administrative_area", "331004")) == ("admin", "township", "331004")
    assert scope_of(NameRecord("路桥区", "administrative_area", "331004")) == ("admin", "county", "3310")
    assert scope_of(NameRecord("银安路", "transport_facility", "331004003009")) == ("transport_facility", "331004003")


def test_the_lists_are_data_an_office_can_replace(tmp_path: Path) -> None:
    own = tmp_path / "rules.toml"
    own.write_text('[limits]\ntoo_long = 3\n[words]\nexaggeration = ["金"]\n', encoding="utf-8")
    rules = load_rules(own)
    found = check_name(NameRecord("金清大道", "transport_facility", "331004106", "road"), [], rules=rules)
    assert [f.rule for f in found] == ["exaggeration", "too_long"]


def test_rule_ids_named_by_the_issue_exist() -> None:
    required = {
        "duplicate",
        "homophone",
        "near_duplicate",
        "foreign",
        "exaggeration",
        "rare_char",
        "mixed_script",
        "missing_generic",
        "generic_mismatch",
        "stacked_generic",
        "too_long",
    }
    assert required <= set(RULE_IDS)


# ---------------------------------------------------------------- edges a mutation left untested


def test_a_name_of_exactly_the_length_limit_is_not_too_long() -> None:
    limit = load_rules().too_long
    assert limit == 12
    at_limit = "金" * (limit - 1) + "路"  # 12 characters
    over = "金" * limit + "路"  # 13
    assert ("too_long", "warning") not in rules_of(at_limit, "transport_facility", "331004001", "road")
    assert ("too_long", "warning") in rules_of(over, "transport_facility", "331004001", "road")


def test_an_ordinal_that_only_numbers_the_unit_is_no_exaggeration() -> None:
    """第一 before the generic numbers the unit (滨河小区第一社区); anywhere else it exaggerates (第一家园)."""
    assert rules_of("滨河第一社区", "self_governing_org", "331004001", "community") == []
    assert ("exaggeration", "error") in rules_of("第一名苑", "settlement", "331004001")
    assert ("exaggeration", "error") in rules_of("滨河第一花园小区", "settlement", "331004001")


def _structure_of(rec: NameRecord) -> list[tuple[str, str]]:
    """The findings about the name's specific and generic (银座 is also a foreign word: not asked here)."""
    generic_rules = ("missing_generic", "generic_mismatch", "stacked_generic")
    return [(f.rule, f.message) for f in check_name(rec, []) if f.rule in generic_rules]


ROADS = "路、街、巷、弄、大道、大街、小街、马路、环路、公路、道、条、胡同、桥、大桥、隧道、港、码头、站、高速、线"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        # the generic as given: at the end of the name, with a specific before it (mutation survivors of _structure)
        (
            NameRecord("大道银座", "transport_facility", "331004001", generic="大"),
            [("missing_generic", "通名“大”不在名称“大道银座”的末尾,或没有专名")],
        ),
        (
            NameRecord("大道", "transport_facility", "331004001", generic="大道"),
            [("missing_generic", "通名“大道”不在名称“大道”的末尾,或没有专名")],
        ),
        (
            NameRecord("大道银座", "transport_facility", "331004001", generic="座"),
            [("generic_mismatch", f"通名“座”不适合该类别,可用:{ROADS}")],
        ),
        # the generic given is named (道街), not the reader's 大街 of the same length
        (
            NameRecord("银座大道街", "transport_facility", "331004001", generic="道街"),
            [("generic_mismatch", f"通名“道街”不适合该类别,可用:{ROADS}")],
        ),
        # the first six fitting generics are offered
        (
            NameRecord("大道银座", "transport_facility", "331004001"),
            [("missing_generic", "“大道银座”缺少通名(如 路、街、巷、弄、大道、大街)")],
        ),
        # a name that is only a generic names nothing, found by the subcategory's generics (a road's 大道)
        (
            NameRecord("大道", "transport_facility", "331004001", "road"),
            [("missing_generic", "“大道”只有通名,没有专名")],
        ),
        (
            NameRecord("新村", "settlement", "331004001", "residential"),
            [("missing_generic", "“新村”只有通名,没有专名")],
        ),
        (NameRecord("新村", "settlement", "331004001", "natural_village"), []),  # 新 + 村: a natural village's name
    ],
)
def test_the_generic_given_or_found(rec: NameRecord, expected: list[tuple[str, str]]) -> None:
    assert _structure_of(rec) == expected


@pytest.mark.parametrize(
    ("name", "hinted"),
    [
        ("李书福村", True),  # a surname and two given-name characters
        ("雷锋村", True),  # a known person
        ("王伟路", True),
        ("张家村", False),  # 家: a place word
        ("高峰村", False),  # 峰: a peak
        ("黎明村", False),  # 黎 is not taken as a surname: 黎明 is dawn
        ("毛泽东路", False),  # a leader's name: the leader_name error, not this hint
    ],
)
def test_names_after_persons_are_hinted(name: str, hinted: bool) -> None:
    findings = check_name(NameRecord(name, "transport_facility", "331004001"), [])
    person = [(f.severity, f.message) for f in findings if f.rule == "person_name"]
    specific = name[:-1]
    assert person == ([("warning", f"专名“{specific}”像是人名;地名一般不以人名命名")] if hinted else [])


def test_the_person_name_hint_on_real_village_names() -> None:
    """At most 1 % of real names may be hinted: on the 620,573 bundled village-level names, 139 (0.022 %)."""
    from mzgis.divisions import division_names
    from mzgis.gazetteer.names import split_name
    from mzgis.gazetteer.rules import _person_name

    rules = load_rules()
    villages = [n for c, n in division_names().items() if len(c) == 12]
    hinted = [n for n in villages if _person_name(split_name(n, "self_governing_org")[0], rules)]
    assert (len(villages), len(hinted)) == (620_573, 139)
    assert "雷锋社区" in hinted and len(hinted) / len(villages) < 0.01
