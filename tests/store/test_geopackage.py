from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely import wkt
from shapely.geometry import Point

from mzgis.clock import beijing_time
from mzgis.errors import Conflict, InvalidStore, NotFound, RuleViolation, StaleVersion
from mzgis.layers import LAYERS
from mzgis.store import Backend, GeoPackageStore, open_store
from mzgis.store.base import AnyOf
from mzgis.store.tables import AUDIT_TABLE, CHANGESET_TABLE

FACILITY = {
    "name": "路桥敬老院",
    "kind": "institution",
    "beds": 260,
    "nursing_beds": 120,
    "professionally_run": False,
    "admin_code": "331004002050",
}


def gdal_layers(path: Path) -> dict[str, str | None]:
    return {str(name): (None if gtype is None else str(gtype)) for name, gtype in pyogrio.list_layers(path)}


def test_new_file_is_a_geopackage_gdal_reads(empty_gpkg: GeoPackageStore) -> None:
    path = empty_gpkg.path
    layers = gdal_layers(path)
    assert layers == {
        "admin_units": "MultiPolygon",
        "population": None,
        "place_names": "Unknown",
        "eldercare_facilities": "Point",
        "community_complexes": "Point",
        "burial_sites": "Unknown",
        "boundary_lines": "LineString",
        "boundary_markers": "Point",
        "name_procedures": None,
        AUDIT_TABLE: None,
        CHANGESET_TABLE: None,
    }
    info = pyogrio.read_info(path, layer="eldercare_facilities")
    assert info["crs"] == "EPSG:4490"
    assert info["capabilities"]["fast_spatial_filter"] is True  # GDAL found the R-tree
    assert info["fid_column"] == "id"
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_gdal_reads_our_inserts_updates_and_deletes(empty_gpkg: GeoPackageStore) -> None:
    store, path = empty_gpkg, empty_gpkg.path
    a = store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    b = store.insert("eldercare_facilities", FACILITY | {"name": "蓬街敬老院"}, Point(121.50, 28.56), user="张三")
    frame = pyogrio.read_dataframe(path, layer="eldercare_facilities", fid_as_index=True)
    assert list(frame["name"]) == ["路桥敬老院", "蓬街敬老院"]
    assert list(frame.index) == [a.id, b.id]

    store.update(
        "eldercare_facilities",
        a.id,
        expected_version=1,
        user="李四",
        properties={"beds": 300},
        geometry=Point(121.45, 28.52),
    )
    moved = pyogrio.read_dataframe(path, layer="eldercare_facilities", bbox=(121.44, 28.51, 121.46, 28.53))
    assert list(moved["name"]) == ["路桥敬老院"] and list(moved["beds"]) == [300]
    old_spot = pyogrio.read_dataframe(path, layer="eldercare_facilities", bbox=(121.37, 28.57, 121.39, 28.59))
    assert len(old_spot) == 0  # the R-tree followed the move

    store.delete("eldercare_facilities", b.id, expected_version=1, user="李四", reason="撤并")
    assert pyogrio.read_info(path, layer="eldercare_facilities")["features"] == 1
    assert len(pyogrio.read_dataframe(path, layer="eldercare_facilities", bbox=(121.49, 28.55, 121.51, 28.57))) == 0
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rtree = conn.execute("SELECT id FROM rtree_eldercare_facilities_geom").fetchall()
        assert rtree == [(a.id,)]
        extent = conn.execute(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'eldercare_facilities'"
        ).fetchone()
        assert extent == pytest.approx((121.45, 28.52, 121.45, 28.52), abs=1e-4)


def test_version_and_audit_rows(empty_store: Backend) -> None:
    store = empty_store
    f = store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三", reason="新建")
    assert (f.version, f.updated_by, f.updated_at) == (
        1,
        "张三",
        "2026-03-01T08:00:01.000Z",
    )
    g = store.update(
        "eldercare_facilities", f.id, expected_version=1, user="李四", properties={"beds": 280}, reason="扩建"
    )
    assert (g.version, g.updated_by, g.properties["beds"]) == (2, "李四", 280)
    h = store.update("eldercare_facilities", f.id, expected_version=2, user="王五", geometry=Point(121.39, 28.58))
    assert h.version == 3

    audit = store.audit(layer="eldercare_facilities", feature_id=f.id)
    assert [(e.action, e.version, e.changed_by, e.reason) for e in audit] == [
        ("insert", 1, "张三", "新建"),
        ("update", 2, "李四", "扩建"),
        ("update", 3, "王五", ""),
    ]
    assert audit[0].before is None and audit[0].after is not None
    assert audit[0].after["name"] == "路桥敬老院"
    assert audit[0].after["geometry"] == {"type": "Point", "coordinates": [121.38, 28.58]}
    assert (audit[1].before, audit[1].after) == ({"beds": 260}, {"beds": 280})
    assert audit[2].before == {"geometry": {"type": "Point", "coordinates": [121.38, 28.58]}}
    assert audit[2].after == {"geometry": {"type": "Point", "coordinates": [121.39, 28.58]}}
    assert len({e.changeset_id for e in audit}) == 3


def test_an_update_that_changes_nothing_writes_nothing(empty_store: Backend) -> None:
    f = empty_store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    same = empty_store.update("eldercare_facilities", f.id, expected_version=1, user="李四", properties={"beds": 260})
    assert same.version == 1
    assert len(empty_store.audit()) == 1


def test_stale_version_is_a_conflict_and_changes_nothing(empty_store: Backend) -> None:
    store = empty_store
    f = store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    store.update("eldercare_facilities", f.id, expected_version=1, user="李四", properties={"beds": 280})
    with pytest.raises(StaleVersion) as err:
        store.update("eldercare_facilities", f.id, expected_version=1, user="王五", properties={"beds": 1})
    assert "已被 李四 修改(当前版本 2,你的版本 1)" in err.value.message_zh  # the store says who, not when
    said = err.value.in_time(beijing_time).message_zh  # the edges say when, in Beijing time
    assert "已被 李四 于 2026-03-01 16:00:02 修改" in said
    assert err.value.details == {
        "current_version": 2,
        "updated_by": "李四",
        "updated_at": "2026-03-01T08:00:02.000Z",
        "current": FACILITY | {"beds": 280, "operator": None, "demonstration": None, "facility_code": None},
    }
    assert err.value.message_zh.startswith("养老服务设施“路桥敬老院”(#1)已被 李四")
    assert "李四" in err.value.message_zh
    assert store.get("eldercare_facilities", f.id).properties["beds"] == 280
    with pytest.raises(Conflict):
        store.delete("eldercare_facilities", f.id, expected_version=1, user="王五")
    assert store.count("eldercare_facilities") == 1
    assert len(store.audit()) == 2


def test_invalid_records_are_refused_with_all_reasons(empty_store: Backend) -> None:
    with pytest.raises(RuleViolation) as err:
        empty_store.insert(
            "eldercare_facilities",
            FACILITY | {"kind": "hospital", "beds": -1, "colour": "red"},
            wkt.loads("LINESTRING (121 28, 122 29)"),
            user="张三",
        )
    assert err.value.details["problems"] == [
        "类型(kind)的值“hospital”不在允许范围内:institution(养老机构)、home_care_centre(居家养老服务中心)、"
        "day_care_station(居家养老服务照料中心)",
        "床位数(beds)不能小于 0",
        "护理型床位数不能多于床位数",
        "未知字段:colour",
        "几何类型 LineString 不符合图层要求(Point)",
    ]
    assert empty_store.count("eldercare_facilities") == 0
    assert empty_store.audit() == []


def test_unique_codes_are_a_conflict(empty_store: Backend) -> None:
    unit = {"code": "331004", "name": "路桥区", "level": "county"}
    square = wkt.loads("POLYGON ((121 28, 122 28, 122 29, 121 28))")
    empty_store.insert("admin_units", unit, square, user="张三")
    with pytest.raises(Conflict, match="code=331004"):
        empty_store.insert("admin_units", unit, square, user="张三")


def test_a_transaction_is_all_or_nothing(empty_store: Backend) -> None:
    with pytest.raises(RuleViolation), empty_store.transaction(user="张三", reason="批量") as tx:
        tx.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58))
        tx.insert("eldercare_facilities", FACILITY | {"kind": "?"}, Point(121.38, 28.58))
    assert empty_store.count("eldercare_facilities") == 0
    assert empty_store.audit() == []
    assert empty_store.system_rows("changesets") == []  # no changeset either


def test_readers_are_not_blocked_by_a_writer(empty_gpkg: GeoPackageStore) -> None:
    writer = empty_gpkg
    reader = GeoPackageStore(empty_gpkg.path)
    writer.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    seen: list[int] = []
    with writer.transaction(user="李四") as tx:
        tx.insert("eldercare_facilities", FACILITY | {"name": "新院"}, Point(121.4, 28.6))
        # a reader in another thread gets the committed state at once, while the write is open
        t = threading.Thread(target=lambda: seen.append(reader.count("eldercare_facilities")))
        t.start()
        t.join(timeout=5)
        assert not t.is_alive()
        assert pyogrio.read_info(empty_gpkg.path, layer="eldercare_facilities")["features"] == 1
    assert seen == [1]
    assert reader.count("eldercare_facilities") == 2


def test_read_frame_and_bbox(empty_store: Backend) -> None:
    empty_store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    empty_store.insert("eldercare_facilities", FACILITY | {"name": "乙"}, Point(121.50, 28.56), user="张三")
    frame = empty_store.read_frame("eldercare_facilities", bbox=(121.45, 28.5, 121.55, 28.6))
    assert isinstance(frame, gpd.GeoDataFrame)
    assert frame.crs.to_epsg() == 4490
    assert list(frame["name"]) == ["乙"]
    assert frame["professionally_run"].tolist() == [False]
    assert empty_store.features("eldercare_facilities", where={"name": "路桥敬老院"})[0].id == 1
    with pytest.raises(NotFound):
        empty_store.features("eldercare_facilities", where={"colour": "red"})


def test_any_of_finds_rows_meeting_any_part(empty_store: Backend) -> None:
    """Equal, starts with (characters, not bytes), equal without spaces; inside a transaction too."""
    names = ["方林村", "方林社区", "芳林村", "林方村", "方"]
    for i, name in enumerate(names):
        row = FACILITY | {"name": name, "operator": f"路 {i} 号"}
        empty_store.insert("eldercare_facilities", row, Point(121.4, 28.5), user="张三")

    def found(cond: AnyOf, where: dict[str, str] | None = None) -> list[str]:
        return [
            str(f.properties["name"]) for f in empty_store.features("eldercare_facilities", where=where, any_of=cond)
        ]

    assert found(AnyOf(equal=(("name", "方林村"),))) == ["方林村"]
    assert found(AnyOf(starts=(("name", "方林"),))) == ["方林村", "方林社区"]
    assert found(AnyOf(starts=(("name", ""),))) == []  # an empty start is no part
    assert found(AnyOf(unspaced=(("operator", "路2号"),))) == ["芳林村"]
    assert found(AnyOf(equal=(("name", "方"),), starts=(("name", "林"),))) == ["林方村", "方"]
    assert found(AnyOf()) == []
    assert found(AnyOf(starts=(("name", "方林"),)), where={"name": "方林社区"}) == ["方林社区"]
    with empty_store.transaction(user="张三") as tx:
        tx.insert("eldercare_facilities", FACILITY | {"name": "方林新村"}, Point(121.4, 28.5))
        inside = tx.features("eldercare_facilities", any_of=AnyOf(starts=(("name", "方林"),)), geometry=False)
        assert [f.properties["name"] for f in inside] == ["方林村", "方林社区", "方林新村"]
    with pytest.raises(NotFound):
        found(AnyOf(equal=(("colour", "red"),)))


def test_not_found(empty_store: Backend) -> None:
    with pytest.raises(NotFound, match="没有编号为 99 的要素"):
        empty_store.get("eldercare_facilities", 99)


def test_opening_a_text_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.gpkg"
    bad.write_text("这不是数据库", encoding="utf-8")
    with pytest.raises(InvalidStore, match="不是 GeoPackage 文件"):
        GeoPackageStore(bad)


def test_opening_a_plain_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "plain.sqlite"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(InvalidStore, match="缺少 gpkg_contents"):
        GeoPackageStore(db)


def test_opening_a_geopackage_without_our_layers_names_them(tmp_path: Path) -> None:
    path = tmp_path / "other.gpkg"
    gdf = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[Point(121.3, 28.5)], crs="EPSG:4490")
    pyogrio.write_dataframe(gdf, path, layer="admin_units", driver="GPKG")
    with pytest.raises(InvalidStore) as err:
        GeoPackageStore(path)
    assert err.value.details["missing"] == [name for name in LAYERS if name != "admin_units"]
    assert "缺少图层" in err.value.message_zh


def test_opening_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="找不到数据文件"):
        GeoPackageStore(tmp_path / "nope.gpkg")


def test_a_file_made_again_under_a_running_store_gets_its_account_tables(tmp_path: Path) -> None:
    """As after `mzgis init --force` by another process while a server runs: the account tables, made once
    per store, are made again in the new file."""
    from mzgis.users import Users

    path = tmp_path / "county.gpkg"
    running = GeoPackageStore.create(path)
    assert running.accounts() == []
    path.unlink()
    GeoPackageStore.create(path)
    Users(running).add("amy", "viewer", "Correct-horse-1", by="test")
    assert Users(running).get("amy").role == "viewer"
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT name FROM mzgis_users").fetchall() == [("amy",)]


def test_a_query_keeps_to_the_admin_unit_it_is_scoped_to(demo_store: Backend) -> None:
    """``scope``: a county's or township's code; features whose code (or, for lines, either county's code)
    starts with it — what a store of many counties serves each county from."""
    from mzgis.errors import BadInput

    town = demo_store.features("admin_units", scope="331004001")
    assert [f.properties["name"] for f in town][:3] == ["路南街道", "方林社区", "迎宾社区"]
    assert {f.properties["code"][:9] for f in town} == {"331004001"} and len(town) == 20
    names = demo_store.features("place_names", scope="331004001")
    every = demo_store.features("place_names")
    assert [f.id for f in names] == [f.id for f in every if f.properties["admin_code"].startswith("331004001")]
    assert demo_store.count("place_names", scope="331004001") == len(names) == 21
    assert list(demo_store.read_frame("place_names", scope="331004001").index) == [f.id for f in names]
    huangyan = demo_store.features("boundary_lines", scope="331003")  # the neighbour's side of each line
    assert sorted({(f.properties["name"], f.properties["side"]) for f in huangyan}) == [
        ("路黄线", "neighbour"),
        ("路黄线", "ours"),
    ]
    with pytest.raises(BadInput, match="界桩不按区划存放,不能按区划查询"):
        demo_store.features("boundary_markers", scope="331004")
    with pytest.raises(BadInput, match="区划范围“33100'4”应为 2–12 位数字"):
        demo_store.features("place_names", scope="33100'4")


def test_many_rows_are_written_together_each_with_its_reason(empty_store: Backend) -> None:
    first = empty_store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    rows = [(FACILITY | {"name": f"敬老院{i}"}, Point(121.30 + i / 100, 28.50)) for i in range(3)]
    with empty_store.transaction(user="李四", reason="导入") as tx:
        ids = tx.insert_many("eldercare_facilities", rows, reasons=["导入", "导入;规则覆盖:历史名称", "导入"])
    assert ids == [first.id + 1, first.id + 2, first.id + 3]  # the ids that follow, never reused
    got = [(f.id, f.properties["name"], f.version, f.updated_by) for f in empty_store.features("eldercare_facilities")]
    assert got[1:] == [(i, f"敬老院{n}", 1, "李四") for n, i in enumerate(ids)]
    audit = [(e.feature_id, e.action, e.reason) for e in empty_store.audit(layer="eldercare_facilities")]
    assert audit[1:] == [
        (ids[0], "insert", "导入"),
        (ids[1], "insert", "导入;规则覆盖:历史名称"),
        (ids[2], "insert", "导入"),
    ]
    assert empty_store.count("eldercare_facilities", bbox=(121.29, 28.49, 121.33, 28.51)) == 3  # the R-tree kept up
    if isinstance(empty_store, GeoPackageStore):  # the extent QGIS zooms to grew with them
        with closing(sqlite3.connect(empty_store.path)) as conn:
            extent = conn.execute(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'eldercare_facilities'"
            ).fetchone()
    else:
        (info,) = [i for i in empty_store.layer_infos() if i.name == "eldercare_facilities"]
        extent = info.extent
    assert extent == (121.3, 28.5, 121.38, 28.58)


def test_a_row_the_file_refuses_is_named_and_none_of_many_is_written(empty_store: Backend) -> None:
    coded = FACILITY | {"facility_code": "MZ-001"}
    empty_store.insert("eldercare_facilities", coded, Point(121.38, 28.58), user="张三")
    rows = [(FACILITY | {"name": "甲"}, Point(121.3, 28.5)), (coded | {"name": "乙"}, Point(121.31, 28.5))]
    with pytest.raises(Conflict, match="facility_code=MZ-001"), empty_store.transaction(user="李四") as tx:
        tx.insert_many("eldercare_facilities", rows)
    assert [f.properties["name"] for f in empty_store.features("eldercare_facilities")] == ["路桥敬老院"]


def test_a_snapshot_reads_the_store_as_it_was_when_it_began(empty_store: Backend) -> None:
    first = empty_store.insert("eldercare_facilities", FACILITY, Point(121.38, 28.58), user="张三")
    other = open_store(empty_store.location)  # another process's connection, as it were
    with empty_store.snapshot():
        second = other.insert(
            "eldercare_facilities", FACILITY | {"name": "新敬老院"}, Point(121.39, 28.58), user="李四"
        )
        assert [f.id for f in empty_store.features("eldercare_facilities")] == [first.id]
        assert [e.feature_id for e in empty_store.audit(layer="eldercare_facilities")] == [first.id]
        assert empty_store.system_rows("changesets")[-1]["created_by"] == "张三"
    assert [f.id for f in empty_store.features("eldercare_facilities")] == [first.id, second.id]
    other.close()
