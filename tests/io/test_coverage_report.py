from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyogrio

from mzgis.coverage.service import analyze_store
from mzgis.io.coverage_report import write_coverage_outputs
from mzgis.io.printmap import cjk_font
from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from tests.needs import need


def test_outputs_open_with_the_chinese_intact(tmp_path: Path) -> None:
    store = GeoPackageStore(default_demo_path())
    units = store.read_frame("admin_units")
    outputs = write_coverage_outputs(analyze_store(store), units[units.level == "township"], tmp_path)
    table = pd.read_csv(tmp_path / "覆盖分析.csv")
    assert list(table["乡镇(街道)"])[-1] == "全区" and len(table) == 13
    assert "每千名老人床位" in table.columns and "未达标目标" in table.columns
    assert len(pd.read_excel(tmp_path / "覆盖分析.xlsx")) == 13
    layers = {str(n) for n, _ in pyogrio.list_layers(tmp_path / "覆盖分析.gpkg")}
    assert layers == {"townships", "villages", "uncovered_villages"}
    towns = pyogrio.read_dataframe(tmp_path / "覆盖分析.gpkg", layer="townships")
    assert "路北街道" in set(towns["name"]) and towns.crs.to_epsg() == 4490
    villages = pyogrio.read_dataframe(tmp_path / "覆盖分析.gpkg", layer="villages")
    assert len(villages) == 228 and "access_beds_per_1000" in villages.columns
    report = (tmp_path / "覆盖分析报告.html").read_text(encoding="utf-8")
    assert "十四五目标覆盖分析" in report and "全区 60 岁以上老人 110501 人" in report
    cells = re.findall(r"<td>([^<]*)</td>", report)
    assert "nan" not in cells and "None" not in cells  # no raw values where officers read
    assert any(re.fullmatch(r"\d+%", c) for c in cells) and not any(re.fullmatch(r"0\.\d{3,}", c) for c in cells)
    need(cjk_font(), "a CJK font (apt-get install fonts-noto-cjk)")
    assert outputs.maps_drawn
    pngs = sorted(p.name for p in tmp_path.glob("地图_*.png"))
    assert pngs == sorted(
        [
            "地图_每千名老人养老床位.png",
            "地图_每千名老人护理型床位.png",
            "地图_生态安葬村覆盖率.png",
            "地图_未达标目标数.png",
        ]
    )
    beds = tmp_path / "地图_每千名老人养老床位.png"
    assert beds.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same bands as the page and the HTML map (新桥镇 64.5 per 1,000: 达标, green), not a continuous ramp
    import matplotlib.image as mpimg

    pixels = {tuple(round(float(c) * 255) for c in px[:3]) for px in mpimg.imread(beds).reshape(-1, 4)}
    for colour in ("#52b788", "#f8961e", "#c1121f"):  # 达标, 50%–80%, 不足 50% (BANDS)
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in pixels, colour
    assert "data:image/png;base64," in report


def test_word_report_has_the_summary_maps_and_the_table_in_landscape(tmp_path: Path) -> None:
    import docx

    store = GeoPackageStore(default_demo_path())
    units = store.read_frame("admin_units")
    outputs = write_coverage_outputs(analyze_store(store), units[units.level == "township"], tmp_path)
    assert tmp_path / "覆盖分析报告.docx" in outputs.files
    word = docx.Document(str(tmp_path / "覆盖分析报告.docx"))
    section = word.sections[0]
    width, height = section.page_width, section.page_height
    assert width is not None and height is not None
    assert (round(width.mm), round(height.mm)) == (297, 210)  # A4 landscape
    assert [p.text for p in word.paragraphs if p.style is not None and p.style.name.startswith("Heading")] == [
        "十四五目标覆盖分析(按乡镇)",
        "乡镇目标核对表",
    ]
    text = "\n".join(p.text for p in word.paragraphs)
    assert "全区 60 岁以上老人 110501 人" in text
    (table,) = word.tables
    assert [c.text for c in table.rows[0].cells][:3] == ["区划代码", "乡镇(街道)", "60岁以上老人"]
    assert len(table.rows) == 1 + 13 and table.rows[-1].cells[1].text == "全区"
    cells = {c.text for row in table.rows for c in row.cells}
    assert "nan" not in cells and "None" not in cells
    assert len(word.inline_shapes) == (4 if outputs.maps_drawn else 0)


def test_interactive_map_is_self_contained(tmp_path: Path) -> None:
    from mzgis.settings import WEB_ROOT

    need(
        (WEB_ROOT / "node_modules" / "leaflet" / "dist" / "leaflet.js").exists(),
        "the page's libraries (npm ci in src/mzgis/web)",
    )
    store = GeoPackageStore(default_demo_path())
    units = store.read_frame("admin_units")
    write_coverage_outputs(analyze_store(store), units[units.level == "township"], tmp_path)
    page = (tmp_path / "覆盖分析地图.html").read_text(encoding="utf-8")
    assert "L.map(" in page and "乡镇:每千名老人床位" in page and "路北街道" in page
    assert "<script src=" not in page and '<link rel="stylesheet" href="http' not in page  # nothing loaded from the net
    assert "unpkg.com" not in page and "cdn" not in page.lower()


def test_the_report_names_its_county_and_date_and_a_townships_report_its_township(tmp_path: Path) -> None:
    import datetime as dt

    import docx

    from mzgis.admin import area_name

    store = GeoPackageStore(default_demo_path())
    units = store.read_frame("admin_units")
    assert (area_name(units), area_name(units, "331004106")) == ("路桥区", "路桥区金清镇")
    towns = units[units.level == "township"]
    write_coverage_outputs(analyze_store(store), towns, tmp_path, area=area_name(units), day=dt.date(2026, 12, 1))
    word = docx.Document(str(tmp_path / "覆盖分析报告.docx"))
    heading, line = (p.text for p in word.paragraphs[:2])
    assert heading == "路桥区十四五目标覆盖分析(按乡镇)"
    assert line.split() == [
        "编制:路桥区民政局", "日期:2026年12月1日", "数据来源:路桥区民政局", "mzgis", "数据文件", "坐标系:CGCS2000(EPSG:4490)"
    ]  # fmt: skip
