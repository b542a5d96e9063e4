"""The joint-inspection package, opened back with GDAL as the other county would."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from mzgis.boundary.service import load_line
from mzgis.errors import BadInput
from mzgis.io.inspection import dms, write_inspection_package
from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from tests.needs import need


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One package for the module (printing the PDF starts a browser)."""
    line = load_line(GeoPackageStore(default_demo_path()), "路黄线")
    return line, write_inspection_package(line, tmp_path_factory.mktemp("pkg"), today=dt.date(2026, 11, 29))


def test_geopackage_layers_crs_and_counts(package) -> None:  # type: ignore[no-untyped-def]
    line, pkg = package
    gpkg = pkg.folder / "路黄线.gpkg"
    layers = {str(n) for n, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"ours_line", "neighbour_line", "markers", "areas_between", "findings"}
    markers = pyogrio.read_dataframe(gpkg, layer="markers")
    assert markers.crs.to_epsg() == 4490
    assert len(markers) == len(line.markers) == 17
    assert "路黄01" in set(markers["marker_id"]) and "路温黄" in set(markers["marker_id"])
    findings = pyogrio.read_dataframe(gpkg, layer="findings")
    assert "discrepancy" in set(findings["kind"]) and "condition" in set(findings["kind"])
    # each code said in Chinese beside it, for the officers who open the file in QGIS
    tripoint = markers[markers.marker_id == "路温黄"].iloc[0]
    assert (tripoint["kind"], tripoint["kind_zh"], tripoint["condition_zh"]) == ("tripoint", "三交点", "完好")
    said = dict(zip(findings["kind"], findings["kind_zh"], strict=True))
    assert (said["discrepancy"], said["condition"]) == ("两线相差超限", "界桩状况")
    ours = pyogrio.read_dataframe(gpkg, layer="ours_line")
    assert list(ours["side_zh"]) == ["本方"]
    areas = pyogrio.read_dataframe(gpkg, layer="areas_between")
    assert set(areas["kind_zh"]) == {"两线之间"} and set(areas["gain_zh"]) <= {"本方", "对方"}


def test_gbk_shapefiles_open_with_the_chinese_intact(package) -> None:  # type: ignore[no-untyped-def]
    _, pkg = package
    shp = pkg.folder / "shp" / "路黄线_界桩.shp"
    assert shp.with_suffix(".cpg").read_text().strip() == "CP936"
    assert "路黄01".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    frame = pyogrio.read_dataframe(shp)
    assert len(frame) == 17 and "路黄13" in set(frame["marker_id"])
    lines = pyogrio.read_dataframe(pkg.folder / "shp" / "路黄线_界线.shp")
    assert sorted(lines["side"]) == ["对方", "本方"] and set(lines["name"]) == {"路黄线"}  # Chinese, not ours/neighbour
    markers = pyogrio.read_dataframe(pkg.folder / "shp" / "路黄线_界桩.shp")
    assert set(markers["condition"]) <= {"完好", "损坏", "丢失"} and set(markers["kind"]) <= {
        "单立",
        "同号双立",
        "三交点",
    }


def test_utf8_on_request(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    pkg = write_inspection_package(load_line(demo_store, "路黄线"), tmp_path, encoding="utf-8")
    assert (pkg.folder / "shp" / "路黄线_界桩.cpg").read_text().strip() == "UTF-8"
    with pytest.raises(BadInput):
        write_inspection_package(load_line(demo_store, "路黄线"), tmp_path, encoding="big5")


def test_kml_opens_in_gdal(package) -> None:  # type: ignore[no-untyped-def]
    _, pkg = package
    frame = pyogrio.read_dataframe(pkg.folder / "路黄线.kml")
    assert "路黄线(本方)" in set(frame["Name"]) and "路黄01" in set(frame["Name"])
    assert len(frame) == 2 + 17


def test_marker_register(package) -> None:  # type: ignore[no-untyped-def]
    _, pkg = package
    table = pd.read_csv(pkg.folder / "路黄线_界桩登记表.csv", dtype=str)
    assert list(table.columns) == [
        "界桩编号",
        "类型",
        "经度(度)",
        "纬度(度)",
        "经度(度分秒)",
        "纬度(度分秒)",
        "X 北坐标(米,EPSG:4549)",
        "Y 东坐标(米,EPSG:4549)",
        "里程(米)",
        "距界线(米)",
        "状况",
        "最近检查日期",
    ]
    row = table[table["界桩编号"] == "路黄13"].iloc[0]
    assert row["状况"] == "损坏"
    assert float(row["X 北坐标(米,EPSG:4549)"]) > 3_100_000 and float(row["Y 东坐标(米,EPSG:4549)"]) < 700_000
    assert len(pd.read_excel(pkg.folder / "路黄线_界桩登记表.xlsx")) == 17


def test_dms() -> None:
    assert dms(121.299388, "E", "W") == "121°17′57.797″E"
    assert dms(-0.5, "N", "S") == "0°30′00.000″S"


def test_description_report_manifest_and_zip(package) -> None:  # type: ignore[no-untyped-def]
    _, pkg = package
    text = (pkg.folder / "路黄线_走向说明.txt").read_text(encoding="utf-8")
    assert text.startswith("路黄线界线走向说明") and "第1段:界线自" in text
    report = (pkg.folder / "路黄线_联检报告.html").read_text(encoding="utf-8")
    for expected in (
        "路黄线行政区域界线联合检查报告",
        "路桥区",
        "黄岩区",
        "<svg",
        "联检负责人(签字)",
        "@page { size: A4",
        # the one stretch over tolerance, with its detail map: the area between and who would gain it
        "差异 1:里程 10035–10490 米,最大偏差 26.1 米",
        "9554 平方米(归本方)",
    ):
        assert expected in report
    assert report.count("<svg") == 2  # the overview and one detail map
    manifest = json.loads((pkg.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["shapefile_encoding"] == "CP936" and manifest["metric_crs"] == "EPSG:4549"
    for f in manifest["files"]:
        assert hashlib.sha256((pkg.folder / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    with zipfile.ZipFile(pkg.zip_path) as zf:
        names = set(zf.namelist())
    assert "路黄线/manifest.json" in names and "路黄线/shp/路黄线_界桩.cpg" in names
    assert len(names) == len(manifest["files"]) + 1


def test_pdf_report_renders_chinese(package) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import subprocess

    need(shutil.which("chromium"), "Debian's chromium (apt-get install chromium)")
    need(shutil.which("pdftotext"), "pdftotext (apt-get install poppler-utils)")
    _, pkg = package
    pdf = pkg.folder / "路黄线_联检报告.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode("utf-8")
    assert "路黄线行政区域界线联合检查报告" in text and "联检负责人(签字)" in text
    assert "差异 1:里程 10035–10490 米" in text
    manifest = json.loads((pkg.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdf"] == "已由 Chromium 按 A4 打印"


def _rename_line(path: Path | str, old: str, new: str) -> None:
    """Rename a line in the file directly, as in a file from before the file itself refused such names (the
    layer model and the file's CHECKs refuse them now; the exports must still stay safe). In a database, the
    rules of the name fields are dropped first, as an administrator could."""
    import sqlite3
    from contextlib import closing

    from mzgis.store.geopackage import binary as gpkg_binary

    if isinstance(path, str):
        import psycopg

        from mzgis.layers import get_layer
        from mzgis.store.postgis.schema import constraint_rules

        with psycopg.connect(path, autocommit=True) as pg:
            for layer in ("boundary_lines", "boundary_markers"):
                for name, rule in constraint_rules(get_layer(layer)).items():
                    if "路径字符" in rule:
                        pg.execute(f'ALTER TABLE {layer} DROP CONSTRAINT "{name}"')
            pg.execute("UPDATE boundary_lines SET name = %s WHERE name = %s", (new, old))
            pg.execute("UPDATE boundary_markers SET line_name = %s WHERE line_name = %s", (new, old))
        return
    with closing(sqlite3.connect(path)) as conn:
        gpkg_binary.register_functions(conn)
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("UPDATE boundary_lines SET name = ? WHERE name = ?", (new, old))
        conn.execute("UPDATE boundary_markers SET line_name = ? WHERE line_name = ?", (new, old))
        conn.commit()


def test_a_path_like_line_name_writes_only_under_the_output_folder(demo_path: Path, tmp_path: Path) -> None:
    _rename_line(demo_path, "路黄线", "../../逃逸/x")
    outside = tmp_path / "逃逸"
    out = tmp_path / "a" / "b" / "out"
    pkg = write_inspection_package(load_line(GeoPackageStore(demo_path), "../../逃逸/x"), out, encoding="utf-8")
    assert not outside.exists()
    assert pkg.folder == out.resolve() / "_.._逃逸_x" and pkg.zip_path.parent == out.resolve()
    assert sorted(p.name for p in out.iterdir()) == ["_.._逃逸_x", "_.._逃逸_x_联检资料.zip"]
    with zipfile.ZipFile(pkg.zip_path) as zf:
        names = zf.namelist()
    assert all(n.startswith("_.._逃逸_x/") and ".." not in n.split("/") and not n.startswith("/") for n in names)
    assert json.loads((pkg.folder / "manifest.json").read_text(encoding="utf-8"))["line"] == "../../逃逸/x"


def test_exporting_again_keeps_the_officers_files_and_replaces_only_its_own(demo_path: Path, tmp_path: Path) -> None:
    line = load_line(GeoPackageStore(demo_path), "路黄线")
    first = write_inspection_package(line, tmp_path, encoding="utf-8", today=dt.date(2026, 11, 1))
    (first.folder / "签字页扫描.pdf").write_bytes(b"%PDF scan")
    (first.folder / "shp" / "备注.txt").write_text("对方意见", encoding="utf-8")
    (first.folder / "路黄线_走向说明.txt").write_text("officer edited", encoding="utf-8")  # one of ours
    # a manifest edited to point outside the folder is never followed
    manifest = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / "keep.txt").write_text("outside", encoding="utf-8")
    manifest["files"].append({"path": "../keep.txt"})
    (first.folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    second = write_inspection_package(line, tmp_path, encoding="utf-8", today=dt.date(2026, 11, 2))  # no crash
    assert (second.folder / "签字页扫描.pdf").read_bytes() == b"%PDF scan"
    assert (second.folder / "shp" / "备注.txt").read_text(encoding="utf-8") == "对方意见"
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "outside"
    assert (second.folder / "路黄线_走向说明.txt").read_text(encoding="utf-8").startswith("路黄线界线走向说明")
    listed = {f["path"] for f in json.loads((second.folder / "manifest.json").read_text(encoding="utf-8"))["files"]}
    assert "签字页扫描.pdf" not in listed and "shp/备注.txt" not in listed and "路黄线_界桩登记表.xlsx" in listed
    with zipfile.ZipFile(second.zip_path) as zf:
        assert "路黄线/签字页扫描.pdf" not in zf.namelist()  # the package is mzgis's files only
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mzgis-")]  # no work folder left


def test_register_cells_that_would_be_formulas_are_text(demo_path: Path, tmp_path: Path) -> None:
    import openpyxl

    store = GeoPackageStore(demo_path)
    marker = store.features("boundary_markers", where={"line_name": "路黄线"})[0]
    with store.transaction(user="test") as tx:
        tx.update("boundary_markers", marker.id, expected_version=marker.version, properties={"marker_id": "=1+2"})
    pkg = write_inspection_package(load_line(store, "路黄线"), tmp_path, encoding="utf-8")
    sheet = openpyxl.load_workbook(pkg.folder / "路黄线_界桩登记表.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "1+2" in c.value]
    assert [(c.value, c.data_type) for c in cells] == [("'=1+2", "s")]
    assert "'=1+2" in (pkg.folder / "路黄线_界桩登记表.csv").read_text(encoding="utf-8-sig")


def test_word_report_says_what_the_html_says(package) -> None:  # type: ignore[no-untyped-def]
    import docx
    from docx.oxml.ns import qn

    _, pkg = package
    word = docx.Document(str(pkg.folder / "路黄线_联检报告.docx"))
    headings = [p.text for p in word.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings == [
        "路黄线行政区域界线联合检查报告",
        "一、概况",
        "二、界线概图",
        "三、两版本差异",
        "差异 1:里程 10035–10490 米,最大偏差 26.1 米(经度 121.299388,纬度 28.599800)",
        "四、界桩检查问题",
        "五、界桩登记表",
        "六、界线走向说明",
        "七、双方签字",
    ]
    section = word.sections[0]
    width, height = section.page_width, section.page_height
    assert width is not None and height is not None
    assert (round(width.mm), round(height.mm)) == (210, 297)  # A4
    normal = word.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "宋体"  # Chinese text in 宋体, not Word's fallback
    assert len(word.inline_shapes) == 2  # the overview and the one detail map
    differences, findings, register, signatures = word.tables
    assert [c.text for c in differences.rows[0].cells] == [
        "起点里程(米)",
        "终点里程(米)",
        "最大偏差(米)",
        "位置(经度,纬度)",
    ]
    assert [c.text for c in differences.rows[1].cells] == ["10035", "10490", "26.07", "121.299388, 28.599800"]
    header = differences.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None  # repeated on each page
    assert [c.text for c in findings.rows[1].cells] == ["界桩状况", "路黄13", "界桩 路黄13 损坏"]
    assert len(register.rows) == 1 + 17
    assert [c.paragraphs[0].text for c in signatures.rows[0].cells] == ["路桥区", "黄岩区"]
    assert "联检负责人(签字):" in signatures.rows[0].cells[0].text
    text = "\n".join(p.text for p in word.paragraphs)
    assert "若采用黄岩区版本:路桥区增加 11979 平方米,黄岩区增加 3078 平方米" in text
    listed = {f["path"] for f in json.loads((pkg.folder / "manifest.json").read_text(encoding="utf-8"))["files"]}
    assert "路黄线_联检报告.docx" in listed


def test_report_maps_use_the_drawn_colours_and_place_labels_clear_of_the_lines(package) -> None:  # type: ignore[no-untyped-def]
    _, pkg = package
    report = (pkg.folder / "路黄线_联检报告.html").read_text(encoding="utf-8")
    overview = report[report.index("<svg") : report.index("</svg>")]
    # the layer model's colours (the page's and QGIS's): ours red, the neighbour's orange, dashed
    assert "stroke: #d62828" in overview and "stroke: #f77f00" in overview
    assert "界线:本方" in overview and "界线:对方" in overview and "三交点界桩" in overview
    detail = report[report.index("<svg", report.index("差异 1 局部图") - 20000) :]
    assert "9554 平方米(归本方)" in report and "差异 1:偏差 26.1 米" in detail
    assert "(蓝)" not in report  # the old legend named colours the map did not draw
