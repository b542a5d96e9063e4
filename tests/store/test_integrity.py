"""The store keeps its own rules: edits made with sqlite3 or GDAL (as QGIS makes them) on the GeoPackage,
and with psql on the PostGIS database, are versioned, audited and checked by the file or database itself; a
place name cannot be deleted; mzgis's own writes still leave exactly one audit row each."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from typing import Any

import geopandas as gpd
import psycopg
import pyogrio
import pytest
from shapely.geometry import Point

from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Backend, GeoPackageStore
from mzgis.store.tables import EXTERNAL_REASON
from tests.outside import REFUSED, outside


def _audit(store: Backend, layer: str, fid: int) -> list[tuple[str, int, str, str]]:
    return [(e.action, e.version, e.changed_by, e.reason) for e in store.audit(layer=layer, feature_id=fid)]


def test_an_update_outside_mzgis_is_versioned_and_in_the_history(demo_store: Backend) -> None:
    gaz = Gazetteer(demo_store)
    name = gaz.search("方林村")[0].record
    before = demo_store.get("place_names", name.id)
    assert gaz.search("方林新村") == []
    with outside(demo_store) as conn:  # a rename as QGIS commits it: the version left as it was
        conn.execute('UPDATE place_names SET name = ?, "specific" = ? WHERE id = ?', ("方林新村", "方林新", name.id))
    after = demo_store.get("place_names", name.id)
    assert (after.version, after.updated_by, after.properties["name"]) == (before.version + 1, "external", "方林新村")
    assert after.updated_at > before.updated_at
    history = gaz.history(name.id)
    assert [(e.action, e.version, e.changed_by, e.reason) for e in history][-1] == (
        "update",
        before.version + 1,
        "external",
        EXTERNAL_REASON,
    )
    assert (history[-1].before or {})["name"] == "方林村" and (history[-1].after or {})["name"] == "方林新村"
    assert [h.record.name for h in gaz.search("方林新村")] == ["方林新村"]  # the index follows at once


def test_an_update_that_names_its_author_and_raises_the_version_keeps_them(demo_store: Backend) -> None:
    f = demo_store.features("eldercare_facilities")[0]
    with outside(demo_store) as conn:
        conn.execute(
            "UPDATE eldercare_facilities SET beds = beds + 1, version = version + 1, updated_by = '张三(QGIS)' WHERE id = ?",
            (f.id,),
        )
    after = demo_store.get("eldercare_facilities", f.id)
    assert (after.version, after.updated_by) == (f.version + 1, "张三(QGIS)")
    assert after.properties["beds"] == f.properties["beds"] + 1
    assert _audit(demo_store, "eldercare_facilities", f.id)[-1] == (
        "update",
        f.version + 1,
        "张三(QGIS)",
        EXTERNAL_REASON,
    )


def test_a_place_name_added_outside_is_accepted_with_defaults_and_audited(demo_store: Backend) -> None:
    with outside(demo_store) as conn:  # only the fields a user types in QGIS's form
        fid = conn.execute(
            "INSERT INTO place_names (geom, name, category, admin_code) VALUES ({geom}, '金清大桥', 'transport_facility',"
            " '331004106')",
            (Point(121.40, 28.58),),
        )
    added = demo_store.get("place_names", fid)
    assert added.version == 1 and added.updated_by == "external" and added.updated_at.startswith("20")
    assert (added.properties["specific"], added.properties["generic"], added.properties["status"]) == (
        "金清大桥",
        None,
        "proposed",
    )
    assert _audit(demo_store, "place_names", fid) == [("insert", 1, "external", EXTERNAL_REASON)]  # one row
    assert demo_store.count("place_names", bbox=(121.399, 28.579, 121.401, 28.581)) >= 1  # the R-tree has it


def test_a_place_name_cannot_be_deleted_by_any_tool(demo_store: Backend) -> None:
    with outside(demo_store) as conn, pytest.raises(REFUSED, match="标准地名不能删除"):
        conn.execute("DELETE FROM place_names WHERE id = 1")
    assert demo_store.get("place_names", 1).id == 1


def test_deletes_of_other_layers_are_audited(demo_store: Backend) -> None:
    marker = demo_store.features("boundary_markers")[0]
    with outside(demo_store) as conn:
        conn.execute("DELETE FROM boundary_markers WHERE id = ?", (marker.id,))
    assert _audit(demo_store, "boundary_markers", marker.id)[-1] == (
        "delete",
        marker.version + 1,
        "external",
        EXTERNAL_REASON,
    )
    before = demo_store.audit(layer="boundary_markers", feature_id=marker.id)[-1].before or {}
    assert before["marker_id"] == marker.properties["marker_id"]


# on PostGIS the column types refuse what is not of their type (psql's own words), before any CHECK
TYPE_REFUSALS = {
    "应为日期 YYYY-MM-DD": "date/time field value out of range",
    "床位数(beds)应为整数": "invalid input syntax for type bigint",
    "应为 0 或 1": "is of type boolean but expression is of type integer",
}


@pytest.mark.parametrize(
    ("sql", "params", "refusal"),
    [
        ("UPDATE place_names SET status = 'deleted' WHERE id = 1", (), "状态(status)只能取 current、proposed、retired"),
        (
            "UPDATE place_names SET name = ?, specific = ?, generic = NULL WHERE id = 1",
            ("路" * 31, "路" * 31),
            "专名(specific)最多 30 个字符",
        ),
        ("UPDATE place_names SET name = ?, specific = ? WHERE id = 1", ("古\u200b岙村", "古\u200b岙村"), "不可见字符"),
        ("UPDATE place_names SET origin = ? WHERE id = 1", ("来历\x1b",), "来历含义(origin)不能含控制字符"),
        ("UPDATE place_names SET name = '别的名字' WHERE id = 1", (), "标准名称须为专名加通名;改名时请一并改专名"),
        ("UPDATE place_names SET admin_code = '33100A' WHERE id = 1", (), "应为 6、9 或 12 位数字"),
        ("UPDATE place_names SET approved_on = '2024-13-45' WHERE id = 1", (), "应为日期 YYYY-MM-DD"),
        ("UPDATE eldercare_facilities SET beds = -1 WHERE id = 1", (), "床位数(beds)不能小于 0"),
        ("UPDATE eldercare_facilities SET beds = 'many' WHERE id = 1", (), "床位数(beds)应为整数"),
        ("UPDATE eldercare_facilities SET beds = 1, nursing_beds = 5 WHERE id = 1", (), "护理型床位数不能多于床位数"),
        ("UPDATE eldercare_facilities SET professionally_run = 2 WHERE id = 1", (), "应为 0 或 1"),
        ("UPDATE boundary_lines SET name = '/tmp/x' WHERE id = 1", (), "不能含路径字符"),
        ("UPDATE boundary_lines SET name = '..' WHERE id = 1", (), "不能含路径字符或以“.”开头"),
        ("UPDATE boundary_lines SET county_b = county_a WHERE id = 1", (), "界线两侧不能是同一个区划"),
        (
            "UPDATE admin_units SET code = '331004' WHERE id = (SELECT min(id) FROM admin_units WHERE level = 'township')",
            (),
            "区划代码位数应与层级相符",
        ),
        ("UPDATE population SET aged_60_plus = total + 1 WHERE id = 1", (), "60岁以上人口不能多于总人口"),
        ("UPDATE population SET year = 1800 WHERE id = 1", (), "年份(year)不能小于 1949"),
        (
            "INSERT INTO place_names (name, category, admin_code, version) VALUES ('某村', 'self_governing_org', '331004001', 0)",
            (),
            "版本号应为正整数",
        ),
    ],
)
def test_every_rule_of_the_layer_model_is_a_check_in_the_file(
    demo_store: Backend, sql: str, params: tuple[str, ...], refusal: str
) -> None:
    if isinstance(demo_store, GeoPackageStore):
        expected: Any = sqlite3.IntegrityError
    else:
        expected = (psycopg.errors.IntegrityError, psycopg.errors.DataError, psycopg.errors.DatatypeMismatch)
        refusal = next((pg for rule, pg in TYPE_REFUSALS.items() if rule in refusal), refusal)
    with outside(demo_store) as conn, pytest.raises(expected, match=re.escape(refusal)):
        conn.execute(sql, params)


def test_mzgis_writes_leave_exactly_one_audit_row_each(demo_store: Backend) -> None:
    gaz = Gazetteer(demo_store)
    start = demo_store.audit(limit=1)[-1].id
    f = gaz.create(
        {"name": "金清大桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106"},
        Point(121.49, 28.525),
        user="地名科",
        reason="新建",
    )
    gaz.rename(f.id, "金清一桥", expected_version=1, user="地名科", reason="更名")
    gaz.retire(f.id, expected_version=2, user="地名科", reason="拆除")
    rows = [(e.action, e.changed_by, e.reason) for e in demo_store.audit() if e.id > start]
    if isinstance(demo_store, GeoPackageStore):
        with closing(sqlite3.connect(demo_store.path)) as conn:
            assert conn.execute("SELECT count(*) FROM mzgis_session").fetchone()[0] == 0  # never committed
    assert rows == [("insert", "地名科", "新建"), ("update", "地名科", "更名"), ("update", "地名科", "拆除")]


def test_gdal_appends_like_any_other_tool_and_reads_without_warnings(demo_gpkg: GeoPackageStore) -> None:
    demo_store = demo_gpkg
    import warnings

    frame = gpd.GeoDataFrame(
        [{"name": "测试敬老院", "kind": "institution", "admin_code": "331004002", "beds": 20}],
        geometry=[Point(121.40, 28.58)],
        crs=4490,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pyogrio.write_dataframe(frame, demo_store.path, layer="eldercare_facilities", append=True)
        stored = pyogrio.read_dataframe(demo_store.path, layer="eldercare_facilities", where="name = '测试敬老院'")
    assert list(stored["version"]) == [1] and list(stored["updated_by"]) == ["external"]
    added = demo_store.features("eldercare_facilities", where={"name": "测试敬老院"})[0]
    assert _audit(demo_store, "eldercare_facilities", added.id) == [("insert", 1, "external", EXTERNAL_REASON)]
    bad = frame.assign(kind="hotel")
    with pytest.raises(pyogrio.errors.FeatureError, match="类型"):  # GDAL's insert is refused by the file's CHECK
        pyogrio.write_dataframe(bad, demo_store.path, layer="eldercare_facilities", append=True)
    assert demo_store.count("eldercare_facilities") == len(demo_store.features("eldercare_facilities"))


def test_one_audit_row_per_outside_edit_even_with_recursive_triggers(demo_gpkg: GeoPackageStore) -> None:
    demo_store = demo_gpkg
    f = demo_store.features("eldercare_facilities")[0]
    with outside(demo_store) as conn:
        conn.execute("PRAGMA recursive_triggers = ON")  # GDAL turns it on for its connections
        conn.execute("UPDATE eldercare_facilities SET operator = 'x' WHERE id = ?", (f.id,))
    rows = _audit(demo_store, "eldercare_facilities", f.id)
    assert rows[-1] == ("update", f.version + 1, "external", EXTERNAL_REASON)
    assert [r for r in rows if r[3] == EXTERNAL_REASON] == [rows[-1]]
    assert demo_store.get("eldercare_facilities", f.id).version == f.version + 1


def test_a_name_added_outside_gets_its_scope_and_counts_as_a_duplicate(demo_store: Backend) -> None:
    from mzgis.errors import RuleViolation

    with outside(demo_store) as conn:
        conn.execute(
            "INSERT INTO place_names (geom, name, category, admin_code) VALUES ({geom}, '金清大桥', 'transport_facility',"
            " '331004106')",
            (Point(121.49, 28.525),),
        )
    gaz = Gazetteer(demo_store)
    props = {"name": "金清大桥", "category": "transport_facility", "admin_code": "331004106"}
    with pytest.raises(RuleViolation, match="同一范围内已有同名的“金清大桥”"):
        gaz.create(props, Point(121.49, 28.526), user="地名科")
    stored = demo_store.features("place_names", where={"name": "金清大桥"})
    assert [f.properties["scope_key"] for f in stored] == ["transport_facility|331004106"]  # filled, no new version
    assert [f.version for f in stored] == [1]


def test_an_outside_rename_clears_the_derived_fields_and_mzgis_works_them_out_again(
    demo_store: Backend,
) -> None:
    """A tool that renames a name (or writes a scope key or pinyin of its own) cannot leave stale derived
    fields: the file clears them, the gazetteer fills them before its next save; the history never shows them."""
    village = demo_store.features("place_names", where={"name": "方林村"})[0]
    scope = "admin|village|331004001"
    assert (village.properties["scope_key"], village.properties["pinyin"]) == (scope, "fang lin cun")
    with outside(demo_store) as conn:
        conn.execute(
            "UPDATE place_names SET name = '芳林村', specific = '芳林', pinyin = 'x', scope_key = 'x' WHERE id = ?",
            (village.id,),
        )
    renamed = demo_store.get("place_names", village.id)
    assert (renamed.properties["scope_key"], renamed.properties["pinyin"]) == (None, None)
    gaz = Gazetteer(demo_store)
    code = village.properties["admin_code"]
    found = gaz.check("方临村", "self_governing_org", code)  # fang lin cun: the renamed name's sound, not 'x'
    assert [(f.rule, [r["name"] for r in f.related]) for f in found.findings] == [("homophone", ["芳林村"])]
    gaz.create(
        {"name": "方临村", "category": "self_governing_org", "admin_code": code}, village.geometry, user="地名科"
    )
    filled = demo_store.get("place_names", village.id)
    assert (filled.properties["scope_key"], filled.properties["pinyin"], filled.version) == (
        scope,
        "fang lin cun",
        village.version + 1,  # the outside rename's version; filling is not an edit
    )
    histories = [e.after or {} for e in demo_store.audit(layer="place_names", feature_id=village.id)]
    assert histories and all("pinyin" not in a and "scope_key" not in a for a in histories)


def test_an_outside_edit_cannot_lower_the_version(demo_store: Backend) -> None:
    """The file refuses the statement (its CHECK runs first); the database's trigger raises the version
    over what the tool wrote. Either way no row goes back to an older version."""
    before = demo_store.get("place_names", 1)
    with outside(demo_store) as conn:
        if isinstance(demo_store, GeoPackageStore):
            with pytest.raises(sqlite3.IntegrityError, match="版本号应为正整数"):
                conn.execute("UPDATE place_names SET version = 0 WHERE id = 1")
        else:
            conn.execute("UPDATE place_names SET version = 0, origin = '改' WHERE id = 1")
    after = demo_store.get("place_names", 1)
    expected = before.version if isinstance(demo_store, GeoPackageStore) else before.version + 1
    assert after.version == expected


def test_a_rewritten_geometry_header_is_no_move(demo_gpkg: GeoPackageStore) -> None:
    """A tool that saves a point again with another header (no envelope: GDAL writes points so) and the same
    coordinates leaves an edit without a move in the history; a changed coordinate is a move."""
    import struct

    from mzgis.store.geopackage.binary import encode

    store = demo_gpkg
    name = store.features("place_names", where={"name": "方林村"})[0]
    assert isinstance(name.geometry, Point)
    x, y = name.geometry.x, name.geometry.y
    bare = struct.pack("<2sBBi", b"GP", 0, 0b0000_0001, 4490) + name.geometry.wkb  # no envelope, little endian
    with outside(store) as conn:
        conn.execute("UPDATE place_names SET geom = ?, origin = ? WHERE id = ?", (bare, "重存", name.id))
    history = Gazetteer(store).history(name.id)
    assert (history[-1].after or {}).get("origin") == "重存"
    assert "geometry" not in (history[-1].after or {})  # not moved: the same coordinates
    moved = encode(Point(x + 0.001, y), 4490)
    with outside(store) as conn:
        conn.execute("UPDATE place_names SET geom = ? WHERE id = ?", (moved, name.id))
    assert (Gazetteer(store).history(name.id)[-1].after or {}).get("geometry") == EXTERNAL_REASON


def test_an_outside_rename_keeps_the_former_name_and_is_spelt_again(demo_store: Backend) -> None:
    """As QGIS commits a rename (name and specific, the romanization left as it was): the file (trigger) puts the
    old name among the former names at once and clears the old spelling; mzgis spells the new name at its next
    look. A rename that brings its own romanization keeps it."""
    import json

    village = demo_store.features("place_names", where={"name": "方林村"})[0]
    assert village.properties["romanized"] == "Fanglin Cun"
    with outside(demo_store) as conn:
        conn.execute('UPDATE place_names SET name = ?, "specific" = ? WHERE id = ?', ("方林新村", "方林新", village.id))
    renamed = demo_store.get("place_names", village.id)
    former = json.loads(str(renamed.properties["former_names"]))
    assert [(f["name"], f["romanized"]) for f in former] == [("方林村", "Fanglin Cun")]
    assert len(former[0]["to"]) == 10 and renamed.properties["romanized"] is None
    Gazetteer(demo_store).fill_derived()  # what mzgis does before it next reads or saves
    assert demo_store.get("place_names", village.id).properties["romanized"] == "Fanglinxin Cun"
    with outside(demo_store) as conn:  # the romanization given with the rename is the officer's: kept
        conn.execute(
            'UPDATE place_names SET name = ?, "specific" = ?, romanized = ? WHERE id = ?',
            ("芳林村", "芳林", "Fanglin Cun", village.id),
        )
    Gazetteer(demo_store).fill_derived()
    again = demo_store.get("place_names", village.id)
    assert again.properties["romanized"] == "Fanglin Cun"
    assert [f["name"] for f in json.loads(str(again.properties["former_names"]))] == ["方林村", "方林新村"]


def test_a_spelling_typed_in_another_tool_is_a_finding_with_the_standard_one(demo_store: Backend) -> None:
    """QGIS changes only the romanization: it is kept (the officer's), and names check says it is
    not the standard spelling and gives it."""
    village = demo_store.features("place_names", where={"name": "方林村"})[0]
    with outside(demo_store) as conn:
        conn.execute("UPDATE place_names SET romanized = ? WHERE id = ?", ("Fang Lin Village", village.id))
    gaz = Gazetteer(demo_store)
    gaz.fill_derived()
    assert demo_store.get("place_names", village.id).properties["romanized"] == "Fang Lin Village"
    found = {f.id: findings for f, findings in gaz.check_all()}
    assert [(x.rule, x.severity, x.message) for x in found[village.id]] == [
        ("near_duplicate", "warning", "与同一范围内的“方林社区”专名相同"),  # as before the edit
        ("spelling_mismatch", "warning", "罗马字母拼写“Fang Lin Village”不是标准拼写,应为“Fanglin Cun”"),
    ]
