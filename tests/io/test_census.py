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
from mzgis.io.names import import_names
from mzgis.io.names_export import CENSUS_COLUMNS, export_census
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
    assert list(table.columns) == [
        *list(CENSUS_COLUMNS)[:4],
        "地名类别代码",
        *list(CENSUS_COLUMNS)[4:],
        "东经",
        "北纬",
        "坐标系",
    ]
    assert (
        len(table)
        == n
        == len([f for f in gaz.store.iter_features("place_names") if f.properties["status"] != "retired"])
    )
    row = table[table["标准名称"] == "方林村"].iloc[0]
    assert (row["地名代码"], row["类别名称"], row["地名类别代码"], row["罗马字母拼写"], row["历史沿革"]) == (
        "331004001202000001", "群众自治组织", "21600", "Fanglin Cun", "1956 年建方林乡",
    )  # fmt: skip
    codes = dict(zip(table["标准名称"], table["地名类别代码"], strict=True))
    assert {n: codes[n] for n in ("路桥区", "峰江街道", "三新社区", "滨海工业城", "中央帝景苑", "路桥3号路", "十里长街",
                                  "南官河", "莲花山", "曼哈顿国际广场")} == {
        "路桥区": "21400", "峰江街道": "21500", "三新社区": "21620", "滨海工业城": "21730", "中央帝景苑": "22100",
        "路桥3号路": "23510", "十里长街": "23510", "南官河": "12100", "莲花山": "13400", "曼哈顿国际广场": "26000",
    }  # fmt: skip
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
    # the county's division names are there from init (without positions till now): the census rows of
    # the same names in the same units update them, the others are added
    done = runner.invoke(
        app, ["names", "import", str(path), "--update", "--override-reason", "普查成果整体导入", "--db", str(target)]
    )
    assert done.exit_code == 0, done.output[-500:]
    back = tmp_path / "back.csv"
    assert runner.invoke(app, ["names", "export", str(back), "--census", "--db", str(target)]).exit_code == 0
    before = pd.read_csv(path, dtype=str, keep_default_na=False).sort_values("标准名称").reset_index(drop=True)
    after = pd.read_csv(back, dtype=str, keep_default_na=False).sort_values("标准名称").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)  # names, codes, categories, meanings, history, coordinates


def _census_rows(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "国家库.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_rows_classed_by_code_alone_get_the_category_it_stands_for(gaz: Gazetteer, tmp_path: Path) -> None:
    """A list from the national database gives the class code, not mzgis's category: the code decides it (and
    the subcategory, where the class stands for one)."""
    path = _census_rows(
        tmp_path,
        [
            {
                "标准名称": "新塘社区",
                "地名类别代码": "21620",
                "行政区划代码": "331004001",
                "东经": "121.40",
                "北纬": "28.58",
            },
            {
                "标准名称": "下洋河",
                "地名类别代码": "12100",
                "行政区划代码": "331004001",
                "东经": "121.41",
                "北纬": "28.57",
            },
            {
                "标准名称": "桐屿大厦",
                "地名类别代码": "26000",
                "行政区划代码": "331004001",
                "东经": "121.42",
                "北纬": "28.56",
            },
        ],
    )
    report = import_names(gaz, path, user="地名科", override_reason="国家库下发")
    assert [r.problem for r in report.rows] == ["", "", ""] and report.written == 3
    stored = {
        n: gaz.store.features("place_names", where={"name": n})[0].properties
        for n in ("新塘社区", "下洋河", "桐屿大厦")
    }
    assert {n: (p["category"], p["subcategory"]) for n, p in stored.items()} == {
        "新塘社区": ("self_governing_org", "community"),
        "下洋河": ("land_water_body", "river"),
        "桐屿大厦": ("building", None),
    }


def test_a_bad_or_contradicting_class_code_refuses_its_row_and_writes_nothing(gaz: Gazetteer, tmp_path: Path) -> None:
    before = len(list(gaz.store.iter_features("place_names")))
    path = _census_rows(
        tmp_path,
        [
            {"标准名称": "新塘社区", "类别名称": "群众自治组织", "地名类别代码": "21620", "行政区划代码": "331004001",
             "东经": "121.40", "北纬": "28.58"},
            {"标准名称": "下洋河", "类别名称": "单位", "地名类别代码": "12100", "行政区划代码": "331004001",
             "东经": "121.41", "北纬": "28.57"},
            {"标准名称": "桐屿大厦", "类别名称": "建筑物", "地名类别代码": "99000", "行政区划代码": "331004001",
             "东经": "121.42", "北纬": "28.56"},
        ],
    )  # fmt: skip
    report = import_names(gaz, path, user="地名科", override_reason="国家库下发")
    assert [r.problem for r in report.rows] == [
        "",
        "类别名称“单位”与地名类别代码 12100(河流,属陆地水系)不符",
        "地名类别代码“99000”不在 GB/T 18521 的已知类别中(如 22100 城镇居民点、21620 社区)",
    ]
    assert report.written == 0 and len(list(gaz.store.iter_features("place_names"))) == before


def test_a_corrected_class_code_is_checked_and_a_broader_one_keeps_the_subcategory(
    gaz: Gazetteer, tmp_path: Path
) -> None:
    path = tmp_path / "普查.csv"
    export_census(gaz, path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[table["标准名称"] == "南官河", "地名类别代码"] = "12000"  # 陆地水系: a river is one
    table.to_csv(path, index=False, encoding="utf-8-sig")
    assert [r.action for r in import_names(gaz, path, user="地名科", update=True).rows if r.action != "unchanged"] == []
    table.loc[table["标准名称"] == "南官河", "地名类别代码"] = "12200"  # 湖泊: a lake named 河 is a rule error
    table.to_csv(path, index=False, encoding="utf-8-sig")
    report = import_names(gaz, path, user="地名科", update=True)
    (row,) = [r for r in report.rows if r.action == "update"]
    assert (row.name, [f.rule for f in row.findings], row.blocked, report.written) == (
        "南官河", ["generic_mismatch"], True, 0,
    )  # fmt: skip
    (river,) = gaz.store.features("place_names", where={"name": "南官河"})
    assert (river.properties["subcategory"], river.version) == ("river", 2)


def test_a_national_lists_class_names_stand_for_categories(gaz: Gazetteer, tmp_path: Path) -> None:
    """The national database names a name's class (农村居民点, 社区, 河流), not mzgis's category: the class's name
    gives its category and subcategory; a name that is neither a class nor a category refuses its row."""
    path = _census_rows(
        tmp_path,
        [
            {"标准名称": "新塘社区", "类别名称": "社区", "行政区划代码": "331004001", "东经": "121.40", "北纬": "28.58"},
            {"标准名称": "下洋河", "类别名称": "河流", "行政区划代码": "331004001", "东经": "121.41", "北纬": "28.57"},
            {"标准名称": "上周家", "类别名称": "农村居民点", "行政区划代码": "331004001", "东经": "121.42", "北纬": "28.56"},
            {"标准名称": "桐屿大厦", "类别名称": "建筑物", "行政区划代码": "331004001", "东经": "121.43", "北纬": "28.55"},
        ],
    )  # fmt: skip
    report = import_names(gaz, path, user="地名科", override_reason="国家库下发")
    assert [r.problem for r in report.rows] == ["", "", "", ""] and report.written == 4
    stored = {
        n: gaz.store.features("place_names", where={"name": n})[0].properties
        for n in ("新塘社区", "下洋河", "上周家", "桐屿大厦")
    }
    assert {n: (p["category"], p["subcategory"]) for n, p in stored.items()} == {
        "新塘社区": ("self_governing_org", "community"),
        "下洋河": ("land_water_body", "river"),
        "上周家": ("settlement", "natural_village"),
        "桐屿大厦": ("building", None),
    }
    assert stored["上周家"]["romanized"] == "Shangzhoujia"  # a natural village is one word (rule 3)
    bad = _census_rows(
        tmp_path,
        [{"标准名称": "鸟岛", "类别名称": "鸟类", "行政区划代码": "331004001", "东经": "121.40", "北纬": "28.58"}],
    )
    (row,) = import_names(gaz, bad, user="地名科", override_reason="国家库下发").rows
    assert row.problem == "类别“鸟类”不是地名类别(全部类别见 mzgis layers)"  # nothing near: no guess offered
