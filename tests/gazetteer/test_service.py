"""Edits that never lose anything: versions, history, conflicts, overrides, changesets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point

from mzgis.errors import BadInput, Conflict, NotFound, RuleViolation
from mzgis.gazetteer.edits import Edit
from mzgis.gazetteer.scopes import Scopes
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Backend, GeoPackageStore
from tests.conftest import shape

BRIDGE = {"name": "金清大桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106"}
SPOT = Point(121.49, 28.525)  # in 金清镇


@pytest.fixture
def gaz(demo_store: GeoPackageStore) -> Gazetteer:
    return Gazetteer(demo_store, today=lambda: dt.date(2026, 3, 1))


def test_create_fills_parts_and_romanization(gaz: Gazetteer) -> None:
    f = gaz.create(BRIDGE, SPOT, user="地名科", reason="新建桥梁")
    p = f.properties
    assert (p["specific"], p["generic"], p["romanized"], p["status"], f.version) == (
        "金清",
        "大桥",
        "Jinqing Daqiao",
        "current",
        1,
    )
    assert gaz.history(f.id)[0].reason == "新建桥梁"


def test_rename_keeps_the_old_name(gaz: Gazetteer) -> None:
    f = gaz.create(BRIDGE | {"approved_on": "2010-05-01"}, SPOT, user="甲")
    g = gaz.rename(f.id, "金清桥", expected_version=1, user="乙", reason="简化名称")
    assert g.version == 2 and g.properties["romanized"] == "Jinqing Qiao"
    assert json.loads(g.properties["former_names"]) == [
        {"name": "金清大桥", "romanized": "Jinqing Daqiao", "from": "2010-05-01", "to": "2026-03-01"}
    ]
    history = gaz.history(f.id)
    assert [(e.version, e.changed_by, e.reason) for e in history] == [(1, "甲", ""), (2, "乙", "简化名称")]
    assert history[1].before is not None and history[1].before["name"] == "金清大桥"
    assert history[1].after is not None and history[1].after["name"] == "金清桥"


def test_retire_and_restore_never_delete(gaz: Gazetteer, demo_store: GeoPackageStore) -> None:
    f = gaz.create(BRIDGE, SPOT, user="甲")
    count = demo_store.count("place_names")
    r = gaz.retire(f.id, expected_version=1, user="乙", reason="桥梁拆除", on="2026-02-01")
    assert (r.properties["status"], r.properties["retired_on"], r.properties["retire_reason"]) == (
        "retired",
        "2026-02-01",
        "桥梁拆除",
    )
    assert demo_store.count("place_names") == count
    with pytest.raises(Conflict, match="已经废止"):
        gaz.retire(f.id, expected_version=2, user="乙", reason="再次")
    s = gaz.restore(f.id, expected_version=2, user="丙", reason="原址重建")
    assert (s.properties["status"], s.properties["retired_on"], s.version) == ("current", None, 3)
    with pytest.raises(BadInput, match="必须说明原因"):
        gaz.retire(f.id, expected_version=3, user="乙", reason=" ")


def test_stale_version_is_refused_with_who_changed_it(gaz: Gazetteer) -> None:
    f = gaz.create(BRIDGE, SPOT, user="甲")
    gaz.update(f.id, {"origin": "因金清镇得名"}, expected_version=1, user="乙")
    with pytest.raises(Conflict) as err:
        gaz.update(f.id, {"origin": "另一种说法"}, expected_version=1, user="丙")
    assert err.value.details["current_version"] == 2 and err.value.details["updated_by"] == "乙"
    assert err.value.details["current"]["origin"] == "因金清镇得名"
    assert gaz.get(f.id).properties["origin"] == "因金清镇得名"
    assert len(gaz.history(f.id)) == 2


def test_rule_errors_block_unless_overridden_with_a_reason(gaz: Gazetteer, demo_store: GeoPackageStore) -> None:
    before = demo_store.count("place_names")
    venice = {"name": "威尼斯水城", "category": "settlement", "admin_code": "331004001"}
    with pytest.raises(RuleViolation) as err:
        gaz.create(venice, Point(121.37, 28.555), user="甲")
    assert [f["rule"] for f in err.value.details["findings"]] == ["foreign"]
    assert demo_store.count("place_names") == before
    f = gaz.create(venice, Point(121.37, 28.555), user="甲", reason="登记现状", override_reason="开发商已申请更名")
    assert gaz.history(f.id)[0].reason == "登记现状;规则覆盖(使用外国人名地名):开发商已申请更名"


def test_warnings_do_not_block(gaz: Gazetteer) -> None:
    f = gaz.create(
        {"name": "方临村", "category": "self_governing_org", "subcategory": "village", "admin_code": "331004001"},
        Point(121.37, 28.555),
        user="甲",
    )
    assert f.properties["name"] == "方临村"


def _reads_of(gaz: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names each scope lookup of ``gaz`` reads from the store, from now on."""
    read: list[str] = []
    make = gaz.scopes

    def spying(*args: Any, **kwargs: Any) -> Scopes:
        scopes = make(*args, **kwargs)
        inner = scopes._read

        def counted(where: Any, any_of: Any) -> list[Any]:
            found = inner(where, any_of)
            read.extend(str(f.properties["name"]) for f in found)
            return found

        scopes._read = counted
        return scopes

    monkeypatch.setattr(gaz, "scopes", spying)
    return read


def test_one_name_is_checked_against_its_rivals_only(gaz: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> None:
    """331004001's villages are 19 names; a check or a save reads those sharing the name, the sound or the
    start of the name (the specific), and finds what the whole scope would give."""
    read = _reads_of(gaz, monkeypatch)
    found = gaz.check("芳林村", "self_governing_org", "331004001").findings
    assert [(f.rule, [r["name"] for r in f.related]) for f in found if f.related] == [("homophone", ["方林村"])]
    assert read == ["方林村"]
    read.clear()
    with pytest.raises(RuleViolation, match="同一范围内已有同名的“方林社区”"):
        gaz.create(
            {"name": "方林社区", "category": "self_governing_org", "admin_code": "331004001"},
            Point(121.37, 28.555),
            user="甲",
        )
    assert sorted(read) == ["方林村", "方林社区"]  # the same name; the same specific 方林


@pytest.mark.parametrize(
    ("props", "geometry", "error", "message"),
    [  # a name that is no name is bad input; a well-formed one that breaks a rule of the register, a rule
        (BRIDGE | {"name": ""}, SPOT, BadInput, "名称不能为空"),
        (BRIDGE | {"name": "金清\u3000大桥"}, SPOT, BadInput, "全角空格"),
        (BRIDGE | {"name": "金清 大桥"}, SPOT, BadInput, "不能含空格"),
        (BRIDGE | {"name": "桥" * 41}, SPOT, BadInput, "名称过长"),
        (BRIDGE | {"admin_code": "331004999"}, SPOT, RuleViolation, "所在区划代码 331004999 不存在"),
        (BRIDGE | {"category": "castle"}, SPOT, RuleViolation, "的值“castle”不在允许范围内"),
        (BRIDGE, Point(120.15, 30.27), RuleViolation, "不在路桥区（331004）范围内"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(
    gaz: Gazetteer,
    demo_store: GeoPackageStore,
    props: dict[str, str],
    geometry: Point,
    error: type[Exception],
    message: str,
) -> None:
    before = demo_store.count("place_names")
    with pytest.raises(error, match=message):
        gaz.create(props, geometry, user="甲")
    assert demo_store.count("place_names") == before


def test_a_location_outside_the_named_unit_is_a_warning(gaz: Gazetteer) -> None:
    result = gaz.check(
        "金清大桥", "transport_facility", "331004106", subcategory="bridge", geometry=Point(121.37, 28.555)
    )
    assert [(f.rule, f.severity) for f in result.findings] == [("admin_mismatch", "warning")]


def test_changeset_is_all_or_nothing(gaz: Gazetteer, demo_store: GeoPackageStore) -> None:
    before = demo_store.count("place_names")
    audit_before = len(demo_store.audit())
    good = Edit("create", properties=BRIDGE, geometry=SPOT)
    bad = Edit("create", properties=BRIDGE | {"name": "环球大桥"}, geometry=SPOT)
    with pytest.raises(RuleViolation):
        gaz.apply([good, bad], user="甲", comment="两座桥")
    assert demo_store.count("place_names") == before and len(demo_store.audit()) == audit_before
    created = gaz.apply(
        [good, Edit("create", properties=BRIDGE | {"name": "金清二桥"}, geometry=SPOT)], user="甲", comment="两座桥"
    )
    assert [f.properties["name"] for f in created] == ["金清大桥", "金清二桥"]
    entries = demo_store.audit()[-2:]
    assert entries[0].changeset_id == entries[1].changeset_id
    assert {e.reason for e in entries} == {"两座桥"}


def test_a_changeset_sees_its_own_earlier_edits(gaz: Gazetteer) -> None:
    with pytest.raises(RuleViolation, match="同名"):
        gaz.apply([Edit("create", properties=BRIDGE, geometry=SPOT)] * 2, user="甲", comment="重复")


def test_move_and_update_geometry(gaz: Gazetteer) -> None:
    f = gaz.create(BRIDGE, SPOT, user="甲")
    g = gaz.move(f.id, Point(121.491, 28.526), expected_version=1, user="乙", reason="测量修正")
    assert g.version == 2 and shape(g.geometry).equals(Point(121.491, 28.526))
    assert gaz.history(f.id)[1].after == {"geometry": {"type": "Point", "coordinates": [121.491, 28.526]}}


def test_search_sees_new_names_at_once(gaz: Gazetteer) -> None:
    assert [h.record.name for h in gaz.search("jqdq")] == []
    gaz.create(BRIDGE, SPOT, user="甲")
    assert [h.record.name for h in gaz.search("jqdq")] == ["金清大桥"]


def test_unknown_id(gaz: Gazetteer) -> None:
    with pytest.raises(NotFound):
        gaz.history(99999)


def test_clean_up_report_of_the_demo(gaz: Gazetteer) -> None:
    found = {f.properties["name"]: [x.rule for x in fs] for f, fs in gaz.check_all()}
    assert found == {
        "滨海工业城": ["near_duplicate"],
        "滨海新区": ["near_duplicate"],
        "方林社区": ["near_duplicate"],
        "方林村": ["near_duplicate"],
        "威尼斯花园": ["foreign"],
        "曼哈顿国际广场": ["foreign", "exaggeration"],
        "中央帝景苑": ["exaggeration"],
        "环球天下城": ["exaggeration"],
        "路桥3号路": ["mixed_script"],
        "银座大道街": ["stacked_generic", "foreign"],  # 银座 (Ginza): a foreign place name
    }


def test_stored_pinyin_follows_the_readings(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    """An office's own readings change how names sound: pinyin stored under other readings is not
    trusted, and the next fill works out every name's pinyin again."""
    from mzgis.gazetteer.rules import load_rules

    extra = tmp_path / "readings.txt"
    extra.write_text("方林 pang1 lin2\n", encoding="utf-8")  # a (made-up) local reading
    local = Gazetteer(demo_store, rules=load_rules(readings_path=extra))
    village = demo_store.features("place_names", where={"name": "方林村"})[0]
    found = local.check("胖林村", "self_governing_org", village.properties["admin_code"])
    assert [(f.rule, [r["name"] for r in f.related]) for f in found.findings] == [("homophone", ["方林村"])]
    assert Gazetteer(demo_store).check("胖林村", "self_governing_org", village.properties["admin_code"]).findings == []
    assert local.fill_derived() == demo_store.count("place_names")  # every name, once
    assert demo_store.get("place_names", village.id).properties["pinyin"] == "pang lin cun"
    assert local.fill_derived() == 0  # nothing left to do (and no transaction)


def test_a_category_given_by_its_chinese_name_is_stored_as_its_code(gaz: Gazetteer) -> None:
    f = gaz.create(BRIDGE | {"category": "交通运输设施"}, SPOT, user="甲")
    assert (f.properties["category"], f.properties["scope_key"]) == (
        "transport_facility",
        "transport_facility|331004106",
    )


def test_revert_makes_an_earlier_version_the_newest_and_keeps_the_history(gaz: Gazetteer) -> None:
    f = gaz.create(BRIDGE, SPOT, user="甲")
    gaz.rename(f.id, "金清桥", expected_version=1, user="乙", reason="简化")
    gaz.move(f.id, Point(121.491, 28.526), expected_version=2, user="乙", reason="测量")
    back = gaz.revert(f.id, 1, expected_version=3, user="丙", reason="更名未获批准")
    assert (back.version, back.properties["name"], back.properties["romanized"]) == (4, "金清大桥", "Jinqing Daqiao")
    assert shape(back.geometry).equals(SPOT)
    assert [n["name"] for n in json.loads(back.properties["former_names"])] == ["金清大桥", "金清桥"]
    last = gaz.history(f.id)[-1]
    assert (last.version, last.changed_by, last.reason) == (4, "丙", "恢复到版本 1:更名未获批准")
    with pytest.raises(NotFound, match="没有可恢复的版本 4:版本应在 1–3 之间"):
        gaz.revert(f.id, 4, expected_version=4, user="丙", reason="再来")
    with pytest.raises(Conflict, match="版本 1 与当前内容相同"):
        gaz.revert(f.id, 1, expected_version=4, user="丙", reason="再来")
    with pytest.raises(BadInput, match="恢复到旧版本必须说明原因"):
        gaz.revert(f.id, 2, expected_version=4, user="丙", reason=" ")
    with pytest.raises(Conflict):  # stale like any edit
        gaz.revert(f.id, 2, expected_version=3, user="丙", reason="过期")


def test_each_name_is_placed_in_its_own_county_in_a_store_of_several(demo_store: Backend) -> None:
    """The demo holds 路桥区 and its neighbours' outlines: a name of 椒江区 (331002) stands in 椒江区, one of
    路桥区 in 路桥区; nothing takes 路桥区 for the only county."""
    gaz = Gazetteer(demo_store)
    jiaojiang = demo_store.features("admin_units", where={"code": "331002"})[0]
    luqiao = demo_store.features("admin_units", where={"code": "331004"})[0]
    in_jj = shape(jiaojiang.geometry).representative_point()
    in_lq = shape(luqiao.geometry).representative_point()
    bridge = {"name": "椒北大桥", "category": "transport_facility", "subcategory": "bridge"}
    made = gaz.create(bridge | {"admin_code": "331002"}, in_jj, user="市局", reason="椒江区地名")
    assert made.properties["admin_code"] == "331002"
    with pytest.raises(RuleViolation, match=r"位置不在椒江区（331002）范围内"):
        gaz.create(bridge | {"name": "椒南大桥", "admin_code": "331002"}, in_lq, user="市局")
    with pytest.raises(RuleViolation, match=r"位置不在路桥区（331004）范围内"):
        gaz.create(bridge | {"name": "路北大桥", "admin_code": "331004003"}, in_jj, user="市局")
