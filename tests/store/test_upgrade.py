"""Upgrading a GeoPackage made by an older layer model: layers and fields added, data kept, all or nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.errors import InvalidStore, RuleViolation
from mzgis.store import GeoPackageStore, open_store
from mzgis.store.geopackage import binary as gpkg_binary
from mzgis.store.geopackage.upgrade import upgrade_geopackage


def _age(path: Path) -> None:
    """Make the demo copy look like a file of the first schema: no retire_reason on place names, no markers
    layer, no CHECKs beyond the allowed values, no integrity triggers, GeoPackage 1.4 stamped."""
    with closing(sqlite3.connect(path)) as conn:
        gpkg_binary.register_functions(conn)
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'mzgis_%'"
            " OR tbl_name IN ('place_names', 'boundary_markers'))"
        ).fetchall()
        for (trigger,) in triggers:
            conn.execute(f'DROP TRIGGER "{trigger}"')
        dropped = ("retire_reason", "pinyin")  # a field of the first layer model and one of schema 3
        cols = [r[1] for r in conn.execute("PRAGMA table_info(place_names)") if r[1] not in dropped]
        conn.execute(f"CREATE TABLE old_names AS SELECT {', '.join(cols)} FROM place_names")
        conn.execute("DROP TABLE place_names")
        conn.execute("ALTER TABLE old_names RENAME TO place_names")
        conn.execute("DROP TABLE mzgis_session")
        conn.execute("DROP TABLE rtree_boundary_markers_geom")
        conn.execute("DROP TABLE boundary_markers")
        for table in ("gpkg_geometry_columns", "gpkg_extensions", "gpkg_contents"):
            conn.execute(f"DELETE FROM {table} WHERE table_name = 'boundary_markers'")
        conn.execute("DELETE FROM mzgis_meta WHERE key = 'pinyin_readings'")
        conn.execute("PRAGMA user_version = 10400")
        conn.commit()


def test_an_older_file_is_refused_with_a_hint_then_upgraded(demo_path: Path) -> None:
    names_before = GeoPackageStore(demo_path).count("place_names")
    _age(demo_path)
    with pytest.raises(InvalidStore, match="mzgis upgrade"):
        open_store(demo_path)
    planned = upgrade_geopackage(demo_path, dry_run=True)
    rebuilt = "重建图层 {}:图层模型的全部约束、系统字段默认值与完整性触发器"
    assert planned.changes == [
        "新建表 mzgis_session",
        rebuilt.format("admin_units(行政区划)"),
        rebuilt.format("population(人口)"),
        rebuilt.format("place_names(标准地名)") + ";增加字段 retire_reason(废止原因)、pinyin(拼音)",
        rebuilt.format("eldercare_facilities(养老服务设施)"),
        rebuilt.format("community_complexes(社区服务综合体)"),
        rebuilt.format("burial_sites(节地生态安葬点)"),
        rebuilt.format("boundary_lines(行政区域界线)"),
        "新建图层 boundary_markers(界桩)",
        rebuilt.format("name_procedures(地名审批)"),
        "GeoPackage 版本标记改为 1.2(GDAL 3.6 / QGIS 3.22 起完整支持)",
    ]
    assert planned.backup is None
    with pytest.raises(InvalidStore):  # a dry run changes nothing
        open_store(demo_path)
    done = upgrade_geopackage(demo_path, clock=lambda: "2026-11-29T10:00:00.000Z")
    assert done.changes == planned.changes
    assert done.backup is not None and done.backup.name == "demo.before-upgrade-2026-11-29T100000.gpkg"
    with pytest.raises(InvalidStore):  # the copy is the file as it was
        open_store(done.backup)
    store = open_store(demo_path)
    assert store.count("place_names") == names_before and store.count("boundary_markers") == 0
    assert upgrade_geopackage(demo_path).changes == []  # nothing left to do
    # the new layer works with its R-tree, and GDAL reads both
    from shapely.geometry import Point

    store.insert(
        "boundary_markers",
        {"marker_id": "测试01", "line_name": "路黄线", "kind": "single", "condition": "intact"},
        Point(121.3, 28.6),
        user="测试",
    )
    assert store.count("boundary_markers", bbox=(121.29, 28.59, 121.31, 28.61)) == 1
    assert len(pyogrio.read_dataframe(demo_path, layer="boundary_markers")) == 1
    names = pyogrio.read_dataframe(demo_path, layer="place_names")
    assert "retire_reason" in names.columns and len(names) == names_before
    assert store.count("place_names", bbox=(121.0, 28.0, 122.0, 29.0)) == names_before  # the R-tree kept up
    with closing(sqlite3.connect(demo_path)) as conn:  # the file now keeps its own rules
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10200
        with pytest.raises(sqlite3.IntegrityError, match="标准地名不能删除"):
            conn.execute("DELETE FROM place_names WHERE id = 1")


def test_a_missing_required_field_is_refused_and_nothing_changes(demo_path: Path) -> None:
    with closing(sqlite3.connect(demo_path)) as conn:
        conn.execute("CREATE TABLE old AS SELECT id, geom, name, kind, status, capacity FROM burial_sites")
        for (trigger,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'burial_sites' AND type = 'trigger'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{trigger}"')
        conn.execute("DROP TABLE burial_sites")
        conn.execute("ALTER TABLE old RENAME TO burial_sites")
        conn.commit()
    before = demo_path.read_bytes()
    with pytest.raises(RuleViolation, match="burial_sites 缺少必填字段 admin_code"):
        upgrade_geopackage(demo_path)
    assert demo_path.read_bytes() == before
    assert not list(demo_path.parent.glob("*.before-upgrade-*"))


def test_upgrade_command(demo_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["upgrade", "--db", str(demo_path)])
    assert ok.exit_code == 0 and "已是当前结构" in ok.output
    _age(demo_path)
    dry = runner.invoke(app, ["upgrade", "--dry-run", "--db", str(demo_path)])
    assert dry.exit_code == 0 and "将要做的修改" in dry.output and "新建图层 boundary_markers" in dry.output
    done = runner.invoke(app, ["upgrade", "--db", str(demo_path)])
    assert done.exit_code == 0 and "已升级" in done.output and "原文件副本" in done.output
    names = GeoPackageStore(demo_path).count("place_names")
    assert f"为 {names} 条地名写入命名范围(scope_key)和拼音(pinyin)" in done.output
    village = GeoPackageStore(demo_path).features("place_names", where={"name": "方林村"})[0]
    assert village.properties["pinyin"] == "fang lin cun"
    text = tmp_path / "notes.txt"
    text.write_text("不是数据库", encoding="utf-8")
    bad = runner.invoke(app, ["upgrade", "--db", str(text)])
    assert bad.exit_code == 6 and "不是 GeoPackage" in bad.output


def test_upgrade_brings_the_pinyin_to_newer_readings_when_the_structure_is_current(demo_path: Path) -> None:
    """A newer version's readings (the file's note says the pinyin follows others): upgrade rewrites the
    stored pinyin, so no officer's first save has to, and the note follows."""
    with closing(sqlite3.connect(demo_path)) as conn:
        conn.execute("UPDATE mzgis_meta SET value = 'older-readings' WHERE key = 'pinyin_readings'")
        conn.commit()
    runner = CliRunner()
    done = runner.invoke(app, ["upgrade", "--db", str(demo_path)])
    names = GeoPackageStore(demo_path).count("place_names")
    assert done.exit_code == 0, done.output
    assert f"已是当前结构;按当前读音为 {names} 条地名重写命名范围(scope_key)和拼音(pinyin)" in done.output
    from mzgis.gazetteer.rules import load_rules

    assert GeoPackageStore(demo_path).meta("pinyin_readings") == load_rules().readings.digest
    again = runner.invoke(app, ["upgrade", "--db", str(demo_path)])
    assert again.output.strip().endswith("已是当前结构,无需升级")


def test_upgrade_of_a_database_replaces_trigger_functions_of_an_earlier_version(demo_pg_url: str) -> None:
    """A database made before an outside rename kept its former name has the older mzgis_row_edit: `mzgis
    upgrade` replaces it (the dry run says so and changes nothing), then the rename keeps its former name."""
    import psycopg
    from typer.testing import CliRunner

    from mzgis.cli import app
    from mzgis.store.postgis.schema import outdated_functions

    with psycopg.connect(demo_pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT prosrc FROM pg_proc WHERE proname = 'mzgis_row_edit'").fetchone()
        assert row is not None
        body = str(row[0])
        older = body.replace("IF TG_TABLE_NAME = 'place_names' THEN  -- a rename", "IF false THEN  -- a rename")
        assert older != body
        conn.execute(f"CREATE OR REPLACE FUNCTION mzgis_row_edit() RETURNS trigger LANGUAGE plpgsql AS $${older}$$")
        assert outdated_functions(conn) == ["mzgis_row_edit"]
    dry = CliRunner().invoke(app, ["upgrade", "--dry-run", "--db", demo_pg_url])
    assert dry.exit_code == 0 and "需更新触发函数 mzgis_row_edit" in dry.output, dry.output
    done = CliRunner().invoke(app, ["upgrade", "--db", demo_pg_url])
    assert done.exit_code == 0 and "已更新触发函数 mzgis_row_edit" in done.output, done.output
    with psycopg.connect(demo_pg_url, autocommit=True) as conn:
        assert outdated_functions(conn) == []
