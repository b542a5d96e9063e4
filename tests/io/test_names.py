from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from mzgis.crs import gcj02_to_wgs84
from mzgis.errors import BadInput, RuleViolation
from mzgis.gazetteer.edits import Edit
from mzgis.gazetteer.rules import RULE_BASIS_ZH, RULE_NAMES_ZH
from mzgis.gazetteer.service import CheckResult, Gazetteer
from mzgis.io.names import import_names
from mzgis.io.names_export import cleanup_report, export_names
from mzgis.store import GeoPackageStore
from tests.conftest import shape

ROWS: list[dict[str, Any]] = [
    {
        "名称": "金清大桥",
        "地名类别": "transport_facility",
        "小类": "bridge",
        "所在区划代码": "331004106",
        "经度": 121.4946,
        "纬度": 28.5219,
    },
    {
        "名称": "方临村",
        "地名类别": "self_governing_org",
        "小类": "village",
        "所在区划代码": "331004001",
        "经度": 121.3746,
        "纬度": 28.5519,
    },
    {
        "名称": "环球大厦",
        "地名类别": "building",
        "小类": None,
        "所在区划代码": "331004002",
        "经度": 121.3946,
        "纬度": 28.5769,
    },
]


@pytest.fixture
def gaz(demo_store: GeoPackageStore) -> Gazetteer:
    return Gazetteer(demo_store, today=lambda: dt.date(2026, 3, 1))


def test_dry_run_reports_findings_per_row_and_writes_nothing(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    pd.DataFrame(ROWS).to_excel(path, index=False)
    before = gaz.store.count("place_names")
    report = import_names(gaz, path, user="地名科", from_crs="gcj02", dry_run=True)
    assert [(r.row, r.name, r.romanized, [f.rule for f in r.findings]) for r in report.rows] == [
        (2, "金清大桥", "Jinqing Daqiao", []),  # rows as the sheet numbers them: the header is row 1
        (3, "方临村", "Fanglin Cun", ["homophone"]),
        (4, "环球大厦", "Huanqiu Dasha", ["exaggeration"]),
    ]
    assert [r.row for r in report.blocked_rows] == [4]
    assert "1 条有错误,1 条有提示(试运行,未写入)" in report.summary_zh()
    assert gaz.store.count("place_names") == before


def test_an_error_blocks_the_whole_changeset(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False)
    before = gaz.store.count("place_names")
    report = import_names(gaz, path, user="地名科", from_crs="gcj02")
    assert report.written == 0 and gaz.store.count("place_names") == before


def test_import_as_one_changeset(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame(ROWS[:2]).to_csv(path, index=False)
    report = import_names(gaz, path, user="地名科", from_crs="gcj02")
    assert report.written == 2
    audit = gaz.store.audit()[-2:]
    assert audit[0].changeset_id == audit[1].changeset_id and audit[0].reason == "导入地名 names.csv"
    bridge = gaz.store.features("place_names", where={"name": "金清大桥"})[0]
    lon, lat = gcj02_to_wgs84(121.4946, 28.5219)
    assert (shape(bridge.geometry).x, shape(bridge.geometry).y) == pytest.approx((float(lon), float(lat)), abs=1e-9)
    assert bridge.properties["status"] == "proposed"  # imported lists are proposals unless they say otherwise


def test_the_checks_made_to_report_are_not_made_again_under_the_lock(
    gaz: Gazetteer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame(ROWS[:2]).to_csv(path, index=False)
    checks: list[str] = []
    real = Gazetteer.check

    def counted(self: Gazetteer, name: str, *args: Any, **kwargs: Any) -> CheckResult:
        checks.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(Gazetteer, "check", counted)
    assert import_names(gaz, path, user="地名科", from_crs="gcj02").written == 2
    assert checks == ["金清大桥", "方临村"]  # once each: nothing changed between the report and the write
    assert [f.properties["pinyin"] for f in gaz.store.features("place_names", where={"name": "方临村"})] == [
        "fang lin cun"
    ]


def test_a_name_saved_while_an_import_was_checked_is_seen_under_the_lock(
    gaz: Gazetteer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another save between the import's checks and its write: the rows are checked again, under the lock."""
    path = tmp_path / "names.csv"
    pd.DataFrame(ROWS[:1]).to_csv(path, index=False)
    real_apply = Gazetteer.apply

    def apply_after_a_colleague(self: Gazetteer, edits, **kwargs):  # type: ignore[no-untyped-def]
        real_apply(
            Gazetteer(self.store),
            [Edit("create", properties=edits[0].properties, geometry=edits[0].geometry)],
            user="同事",
        )
        return real_apply(self, edits, **kwargs)

    monkeypatch.setattr(Gazetteer, "apply", apply_after_a_colleague)
    with pytest.raises(RuleViolation, match="同一范围内已有同名的“金清大桥”"):
        import_names(gaz, path, user="地名科", from_crs="gcj02")
    assert [f.updated_by for f in gaz.store.features("place_names", where={"name": "金清大桥"})] == ["同事"]


def test_duplicates_inside_the_file_are_found(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame([ROWS[0], ROWS[0]]).to_csv(path, index=False)
    report = import_names(gaz, path, user="地名科", from_crs="gcj02", dry_run=True)
    assert [(r.row, r.problem) for r in report.rows] == [
        (2, ""),
        (3, "与第 2 行重复(如确需保留,请加 --allow-duplicates)"),
    ]
    kept = import_names(gaz, path, user="地名科", from_crs="gcj02", dry_run=True, allow_duplicates=True)
    assert [f.rule for f in kept.rows[1].findings] == ["duplicate"]  # then the rules find the second one


def test_override_writes_errors_with_the_reason(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.geojson"
    frame = gpd.GeoDataFrame(
        {"name": ["环球大厦"], "category": ["building"], "admin_code": ["331004002"]},
        geometry=gpd.points_from_xy([121.39], [28.58]),
        crs=4326,
    )
    pyogrio.write_dataframe(frame, path)
    report = import_names(gaz, path, user="地名科", override_reason="现状登记")
    assert report.written == 1
    assert gaz.store.audit()[-1].reason == "导入地名 names.geojson;规则覆盖(夸大):现状登记"


def test_rows_that_cannot_be_checked(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame([ROWS[0] | {"所在区划代码": "331004999"}, ROWS[1] | {"经度": None, "纬度": None}]).to_csv(
        path, index=False
    )
    report = import_names(gaz, path, user="地名科", from_crs="gcj02")
    assert [(r.row, r.problem) for r in report.rows] == [
        (2, "所在区划代码 331004999 不存在"),
        (3, "缺少位置(经纬度或几何)"),
    ]
    assert report.written == 0


def test_missing_columns(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame({"名称": ["甲村"]}).to_csv(path, index=False)
    with pytest.raises(BadInput, match="缺少必填列"):
        import_names(gaz, path, user="地名科")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson", ".gpkg"])
def test_export_opens_with_the_chinese_intact(gaz: Gazetteer, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"names{suffix}"
    n = export_names(gaz, path)
    assert n == gaz.store.count("place_names") == 250
    if suffix in (".geojson", ".gpkg"):
        frame = pyogrio.read_dataframe(path)
        assert frame.crs.to_epsg() in (4490, 4326)
        names = list(frame["name"])
    else:
        frame = pd.read_csv(path, dtype=str) if suffix == ".csv" else pd.read_excel(path, dtype=str)
        names = list(frame["标准名称 name"])
        assert {"lon", "lat", "wkt"} <= set(frame.columns)
        # allowed values by their Chinese names where officers read them (GIS files keep the codes)
        row = frame[frame["标准名称 name"] == "方林村"].iloc[0]
        assert (row["地名类别 category"], row["状态 status"]) == ("群众自治组织", "现行")
        codes = {"transport_facility", "self_governing_org", "current", "proposed", "retired"}
        assert not codes & set(frame.to_numpy().ravel())
    assert "路南街道" in names and "方林村" in names


def test_cleanup_report_table(gaz: Gazetteer) -> None:
    table = cleanup_report(gaz, today=dt.date(2026, 11, 30))
    # the 不规范地名清理整治 form first: class, name, location, problem, remedy, deadline; details after
    assert list(table.columns)[:9] == [
        "序号",
        "类别(大洋怪重)",
        "标准名称",
        "所在区划",
        "位置(经度,纬度)",
        "存在问题",
        "整治建议",
        "认定依据",
        "完成时限",
    ]
    assert list(table["序号"]) == list(range(1, len(table) + 1))
    row = table[table["标准名称"] == "路桥3号路"].iloc[0]
    assert (row["类别(大洋怪重)"], row["存在问题"], row["整治建议"], row["完成时限"], row["严重程度"]) == (
        "怪",  # 汉字与数字混搭 (2018 认定标准)
        "夹用字母数字:名称中夹有字母或阿拉伯数字“3”",
        "改用规范汉字书写,不夹用外文字母和阿拉伯数字",
        "2027-02-28",  # an error: 90 days
        "错误",
    )
    assert row["认定依据"] == (
        "《地名管理条例》(2022)第九条:使用规范汉字;民政部等六部门《关于开展清理整治不规范地名工作的通知》(2018):“怪”"
    )
    assert set(RULE_BASIS_ZH) == set(RULE_NAMES_ZH) and all(
        table["认定依据"] != ""
    )  # every finding says what it rests on
    assert row["地名类别"] == "交通运输设施"  # no English ids where officers read
    assert row["所在区划"] == "古街社区 331004002054"
    lon, lat = (float(v) for v in row["位置(经度,纬度)"].split(", "))
    assert 121.3 < lon < 121.5 and 28.5 < lat < 28.6
    hints = table[table["严重程度"] == "提示"]
    assert not hints.empty and set(hints["完成时限"]) == {"2027-05-29"}  # a warning: 180 days
    assert set(table["类别(大洋怪重)"]) <= {"大", "洋", "怪", "重", "其他"}
    assert len(table) == 12 and table["编号"].nunique() == 10
    fixed = cleanup_report(gaz, deadline=dt.date(2027, 6, 30))
    assert set(fixed["完成时限"]) == {"2027-06-30"}


def test_xlsx_outputs_are_laid_out_as_offices_expect(gaz: Gazetteer, tmp_path: Path) -> None:
    import openpyxl

    from mzgis.io.names_export import write_cleanup_report

    path = tmp_path / "清理.xlsx"
    table = write_cleanup_report(gaz, path, today=dt.date(2026, 12, 1))
    sheet = openpyxl.load_workbook(path).active
    # the form offices hand in: title, unit and date, the table, the signature lines
    assert sheet["A1"].value == "路桥区不规范地名清理整治工作台账" and sheet["A1"].font.bold
    assert "A1:" in str(sheet.merged_cells) and sheet["A2"].value == "填报单位:路桥区民政局"
    assert "填报日期:2026年12月1日" in [c.value for c in sheet[2]]
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")
    assert all(c.font.bold for c in sheet[3]) and sheet["A3"].value == "序号"
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[3]}
    assert widths["序号"] == 6 and widths["存在问题"] > 30  # as wide as the text, CJK counted double
    assert sheet["A4"].number_format == "0" and sheet["A4"].border.left.style == "thin"
    assert sheet.cell(3 + len(table) + 2, 1).value == "负责人:__________    填表人:__________    联系电话:__________"
    # printed: A4 landscape, one page wide, the header on every page
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$3:$3"
    assert "整治进展" in widths  # for the office to fill in


def test_the_cleanup_table_as_word(gaz: Gazetteer, tmp_path: Path) -> None:
    import docx

    from mzgis.io.names_export import write_cleanup_report

    path = tmp_path / "清理.docx"
    table = write_cleanup_report(gaz, path, today=dt.date(2026, 12, 1))
    word = docx.Document(str(path))
    texts = [p.text for p in word.paragraphs if p.text.strip()]
    assert (
        texts[0] == "路桥区不规范地名清理整治工作台账" and texts[1] == "填报单位:路桥区民政局    填报日期:2026年12月1日"
    )
    assert texts[-1].startswith("负责人:") and len(word.tables[0].rows) == len(table) + 1
    assert word.sections[0].orientation == 1  # landscape


# ---------------------------------------------------------------- updates from another store


def _jiaojiang(tmp_path: Path) -> Gazetteer:
    """椒江区 as a county makes it (`init --county 331002`) with one road named and renamed there, so its
    export holds 白云山路 at version 2 under id 1 — the id of 路桥区 in the Luqiao demo."""
    from shapely.geometry import Point

    from mzgis.divisions import county_units

    store = GeoPackageStore.create(tmp_path / "jiaojiang.gpkg")
    with store.transaction(user="init") as tx:
        tx.insert_many(
            "admin_units",
            [
                ({"code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent_code}, None)
                for u in county_units("331002")
            ],
        )
    gaz = Gazetteer(store, today=lambda: dt.date(2026, 3, 1))
    props = {"name": "白云路", "category": "transport_facility", "subcategory": "road", "admin_code": "331002002"}
    road = gaz.create(props, Point(121.43, 28.66), user="椒江地名科")
    gaz.rename(road.id, "白云山路", expected_version=1, user="椒江地名科", reason="更名")
    return gaz


def test_an_export_of_another_store_never_lands_on_this_stores_ids(gaz: Gazetteer, tmp_path: Path) -> None:
    """The 路桥区/白云山路 case: the file's #1 is 白云山路 of 椒江区, this store's #1 is 路桥区."""
    jiaojiang = _jiaojiang(tmp_path)
    path = tmp_path / "jiaojiang.csv"
    export_names(jiaojiang, path)
    exported = pd.read_csv(path, encoding="utf-8-sig")
    assert exported[["id", "标准名称 name", "version"]].values.tolist() == [[1, "白云山路", 2]]
    assert exported["来源库 store_id"].tolist() == [jiaojiang.store.identity()] != [gaz.store.identity()]
    before = gaz.store.get("place_names", 1)
    assert before.properties["name"] == "路桥区"
    reports = [import_names(gaz, path, user="地名科", update=True, dry_run=dry) for dry in (True, False)]
    for report in reports:
        (row,) = report.rows
        assert row.action == "create" and row.name == "白云山路"
        assert (
            row.note
            == "来自另一个库,不按编号 1 匹配(本库编号 1 是“路桥区”(331004,行政区域)),本库没有这个地名,作为新地名"
        )
        assert "331002002" in row.problem  # a unit this store does not hold: refused, nothing written
    assert reports[0].rows == reports[1].rows and reports[1].written == 0
    after = gaz.store.get("place_names", 1)
    assert (after.properties, after.version) == (before.properties, before.version)


def test_a_file_of_unknown_origin_is_refused_where_its_ids_are_other_names(gaz: Gazetteer, tmp_path: Path) -> None:
    """A file without 来源库 (exported before stores had identities): its ids are trusted only where they
    hold the same name; otherwise the import is refused, naming both, and writes nothing."""
    path = tmp_path / "old.csv"
    export_names(_jiaojiang(tmp_path), path)
    pd.read_csv(path, encoding="utf-8-sig").drop(columns="来源库 store_id").to_csv(path, index=False)
    report = import_names(gaz, path, user="地名科", update=True)
    assert [r.problem for r in report.rows] == [
        "编号 1 在本库是“路桥区”(331004,行政区域),不是文件中的“白云山路”:这个文件不是从本库导出的,"
        "不能按编号更新;请从本库重新导出后修改,或删去编号列按名称导入"
    ]
    assert report.written == 0 and gaz.store.get("place_names", 1).version == 1


def test_rows_of_another_store_update_the_same_name_found_by_its_unit(gaz: Gazetteer, tmp_path: Path) -> None:
    """Two copies of the demo are two stores. A name added in both gets different ids; the other copy's
    correction of it (an 含义) lands on this copy's name of the same unit, not on the name holding its id."""
    import shutil

    from shapely.geometry import Point

    from mzgis.settings import default_demo_path

    shutil.copyfile(default_demo_path(), tmp_path / "other.gpkg")
    other = Gazetteer(GeoPackageStore(tmp_path / "other.gpkg"), today=lambda: dt.date(2026, 3, 1))
    bridge = {"name": "三山桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331004001"}
    theirs = other.create(bridge, Point(121.38, 28.56), user="甲")
    other.update(theirs.id, {"origin": "三座小山"}, expected_version=1, user="甲")
    squatter = gaz.create({**bridge, "name": "五福桥"}, Point(121.381, 28.561), user="乙")
    ours = gaz.create(bridge, Point(121.38, 28.56), user="乙")
    assert squatter.id == theirs.id != ours.id
    path = tmp_path / "other.xlsx"
    export_names(other, path)
    report = import_names(gaz, path, user="地名科", update=True)
    changed = [r for r in report.rows if r.action == "update"]
    assert [(r.name, r.note) for r in changed] == [
        (
            "三山桥",
            f"来自另一个库,不按编号 {theirs.id} 匹配(本库编号 {theirs.id} 是“五福桥”(331004001,交通运输设施)),"
            f"按地名代码或名称对应本库 #{ours.id}",
        )
    ]
    assert report.written == 1
    assert gaz.get(ours.id).properties["origin"] == "三座小山" and gaz.get(ours.id).version == 2
    assert gaz.get(squatter.id).properties["origin"] in (None, "") and gaz.get(squatter.id).version == 1


def test_a_list_exported_by_mzgis_has_no_unused_column_on_its_way_back(gaz: Gazetteer, tmp_path: Path) -> None:
    """id, version and 来源库 are read by the update (they match the rows), so none is named as unused."""
    path = tmp_path / "names.csv"
    export_names(gaz, path)
    report = import_names(gaz, path, user="地名科", update=True, dry_run=True)
    assert report.notes == ["坐标取自列 lon/lat,线和面取自列 wkt"]
    assert {r.action for r in report.rows} == {"unchanged"}
