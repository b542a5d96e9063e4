"""Exchange with the national place-name database in the census registration form's fields: export, correct,
import by place-name code; and a whole gazetteer into a new county's file and back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.names import CENSUS_COLUMNS, export_census, import_names
from mzgis.store import GeoPackageStore

runner = CliRunner()


@pytest.fixture
def gaz(demo_store: GeoPackageStore) -> Gazetteer:
    g = Gazetteer(demo_store, today=lambda: dt.date(2026, 11, 30))
    for name, code, history in (
        ("方林村", "331004001202000001", "1956 年建方林乡"),
        ("南官河", "331004000000000042", None),
    ):
        (f,) = demo_store.features("place_names", where={"name": name})
        changes = {"census_code": code, "description": f"{name}的地理实体描述"} | (
            {"history": history} if history else {}
        )
        g.update(f.id, changes, expected_version=f.version, user="地名科", reason="普查成果")
    return g


def test_export_has_the_forms_columns_and_values(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "普查.csv"
    n = export_census(gaz, path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(table.columns) == [*CENSUS_COLUMNS, "东经", "北纬", "坐标系"]
    assert (
        len(table)
        == n
        == len([f for f in gaz.store.iter_features("place_names") if f.properties["status"] != "retired"])
    )
    row = table[table["标准名称"] == "方林村"].iloc[0]
    assert (row["地名代码"], row["类别名称"], row["罗马字母拼写"], row["历史沿革"]) == (
        "331004001202000001", "群众自治组织", "Fanglin Cun", "1956 年建方林乡",
    )  # fmt: skip
    assert 121.3 < float(row["东经"]) < 121.5 and row["坐标系"] == "CGCS2000"


def test_a_corrected_census_file_updates_by_place_name_code(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "普查.xlsx"
    export_census(gaz, path)
    unchanged = import_names(gaz, path, user="地名科", update=True, dry_run=True)
    assert [r.action for r in unchanged.rows if r.action == "update"] == []  # nothing differs
    table = pd.read_excel(path, dtype=str, keep_default_na=False)
    table.loc[table["标准名称"] == "南官河", "历史沿革"] = "明代开挖,为路桥主要河道"
    table.to_excel(path, index=False)
    report = import_names(gaz, path, user="地名科", update=True)
    updated = [r.name for r in report.rows if r.action == "update"]
    assert updated == ["南官河"] and report.written == 1
    (river,) = gaz.store.features("place_names", where={"name": "南官河"})
    assert river.properties["history"] == "明代开挖,为路桥主要河道" and river.version == 3


def test_a_whole_gazetteer_goes_to_a_new_county_file_and_comes_back_the_same(
    gaz: Gazetteer, tmp_path: Path, demo_path: Path
) -> None:
    path = tmp_path / "普查.csv"
    export_census(gaz, path)
    target = tmp_path / "new.gpkg"
    assert runner.invoke(app, ["init", str(target), "--county", "331004"]).exit_code == 0
    polygons = GeoPackageStore(demo_path).read_frame("admin_units")
    source = tmp_path / "polygons.geojson"
    source.write_text(
        polygons[polygons.code.str.startswith("331004")][["code", "geometry"]].to_json(), encoding="utf-8"
    )
    assert runner.invoke(app, ["import", "admin_units", str(source), "--update", "--db", str(target)]).exit_code == 0
    done = runner.invoke(
        app, ["names", "import", str(path), "--override-reason", "普查成果整体导入", "--db", str(target)]
    )
    assert done.exit_code == 0, done.output[-500:]
    back = tmp_path / "back.csv"
    assert runner.invoke(app, ["names", "export", str(back), "--census", "--db", str(target)]).exit_code == 0
    before = pd.read_csv(path, dtype=str, keep_default_na=False).sort_values("标准名称").reset_index(drop=True)
    after = pd.read_csv(back, dtype=str, keep_default_na=False).sort_values("标准名称").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)  # names, codes, categories, meanings, history, coordinates
