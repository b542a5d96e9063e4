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
from mzgis.store.upgrade import upgrade_geopackage


def _age(path: Path) -> None:
    """Make the demo copy look like an older version: no retire_reason on place names, no markers layer."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute('ALTER TABLE place_names DROP COLUMN "retire_reason"')
        for trigger in [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'boundary_markers'"
            )
        ]:
            conn.execute(f'DROP TRIGGER "{trigger}"')
        conn.execute("DROP TABLE rtree_boundary_markers_geom")
        conn.execute("DROP TABLE boundary_markers")
        for table in ("gpkg_geometry_columns", "gpkg_extensions", "gpkg_contents"):
            conn.execute(f"DELETE FROM {table} WHERE table_name = 'boundary_markers'")
        conn.commit()


def test_an_older_file_is_refused_with_a_hint_then_upgraded(demo_path: Path) -> None:
    names_before = GeoPackageStore(demo_path).count("place_names")
    _age(demo_path)
    with pytest.raises(InvalidStore, match="mzgis upgrade"):
        open_store(demo_path)
    planned = upgrade_geopackage(demo_path, dry_run=True)
    assert planned.changes == ["图层 place_names 增加字段 retire_reason(废止原因)", "新建图层 boundary_markers(界桩)"]
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
    assert "retire_reason" in pyogrio.read_dataframe(demo_path, layer="place_names", max_features=1).columns


def test_a_missing_required_field_is_refused_and_nothing_changes(demo_path: Path) -> None:
    with closing(sqlite3.connect(demo_path)) as conn:
        conn.execute('ALTER TABLE burial_sites DROP COLUMN "admin_code"')
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
    text = tmp_path / "notes.txt"
    text.write_text("不是数据库", encoding="utf-8")
    bad = runner.invoke(app, ["upgrade", "--db", str(text)])
    assert bad.exit_code == 6 and "不是 GeoPackage" in bad.output
