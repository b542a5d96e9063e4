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
from mzgis.gazetteer.service import CheckResult, Edit, Gazetteer
from mzgis.io.names import cleanup_report, export_names, import_names
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
        (1, "金清大桥", "Jinqing Daqiao", []),
        (2, "方临村", "Fanglin Cun", ["homophone"]),
        (3, "环球大厦", "Huanqiu Dasha", ["exaggeration"]),
    ]
    assert [r.row for r in report.blocked_rows] == [3]
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
    assert [f.rule for f in report.rows[1].findings] == ["duplicate"]


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
    assert gaz.store.audit()[-1].reason == "导入地名 names.geojson;规则覆盖(exaggeration):现状登记"


def test_rows_that_cannot_be_checked(gaz: Gazetteer, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    pd.DataFrame([ROWS[0] | {"所在区划代码": "331004999"}, ROWS[1] | {"经度": None, "纬度": None}]).to_csv(
        path, index=False
    )
    report = import_names(gaz, path, user="地名科", from_crs="gcj02")
    assert [(r.row, r.problem) for r in report.rows] == [
        (1, "所在区划代码 331004999 不存在"),
        (2, "缺少位置(经纬度或几何)"),
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
    assert "路南街道" in names and "方林村" in names


def test_cleanup_report_table(gaz: Gazetteer) -> None:
    table = cleanup_report(gaz, today=dt.date(2026, 11, 30))
    # the 不规范地名清理整治 form first: class, name, location, problem, remedy, deadline; details after
    assert list(table.columns)[:8] == [
        "序号",
        "类别(大洋怪重)",
        "标准名称",
        "所在区划",
        "位置(经度,纬度)",
        "存在问题",
        "整治建议",
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

    from mzgis.io.names import write_cleanup_report

    path = tmp_path / "清理.xlsx"
    write_cleanup_report(gaz, path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    assert all(c.font.bold for c in sheet[1])
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert widths["序号"] == 6 and widths["存在问题"] > 30  # as wide as the text, CJK counted double
    assert sheet["A2"].number_format == "0"
