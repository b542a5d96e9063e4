"""Outputs of the coverage analysis: the table (CSV, XLSX), the layers (GeoPackage), a choropleth per
target (PNG with Chinese labels) and a short self-contained HTML report that embeds them.

Chinese is drawn with a Noto CJK font found on the machine (Debian ``fonts-noto-cjk``); without one the
PNGs are not drawn (boxes instead of characters would mislead) and the report says so.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from mzgis.admin import register_area
from mzgis.clock import beijing_today
from mzgis.coverage.analysis import CoverageResult, unmet_zh
from mzgis.coverage.reading import BAND_COLOURS, BANDS, band
from mzgis.coverage.targets import FACILITY_TYPES
from mzgis.crs import STORAGE_EPSG
from mzgis.errors import NotFound
from mzgis.io.document import Document, Figure, Heading, Para, Table, date_zh, to_docx, to_html
from mzgis.io.printmap import cjk_font
from mzgis.io.tables import write_table
from mzgis.store import Store

__all__ = ["COLUMNS_ZH", "CoverageOutputs", "write_coverage_outputs", "write_store_coverage"]

COLUMNS_ZH = {
    "code": "区划代码",
    "name": "乡镇(街道)",
    "aged_60_plus": "60岁以上老人",
    "aged_80_plus": "80岁以上老人",
    "beds": "养老床位",
    "nursing_beds": "护理型床位",
    "beds_per_1000": "每千名老人床位",
    "nursing_beds_per_1000": "每千名老人护理床位",
    "beds_shortfall": "床位缺口",
    "nursing_beds_shortfall": "护理床位缺口",
    "home_care_centres": "居家养老服务中心",
    "home_care_professional_share": "中心专业化托管率",
    "day_care_stations": "照料中心",
    "day_care_professional_share": "照料中心专业化率",
    "community_complexes": "社区服务综合体",
    "burial_sites": "生态安葬点(已建成)",
    "burial_sites_any_status": "生态安葬点(含在建规划)",
    "villages": "村(社区)数",
    "villages_with_day_care": "有照料中心的村",
    "villages_covered_by_burial": "生态安葬覆盖的村",
    "unmet": "未达标目标",
}
# the maps: column, title, and the target whose bands colour it (the page's and the HTML map's bands, from
# mzgis.coverage.reading; a target's key in the targets, or a number); None: a count, one colour per count
MAPS: list[tuple[str, str, str | float | None]] = [
    ("beds_per_1000", "每千名老年人养老床位(目标 {beds_per_1000_elderly:g})", "beds_per_1000_elderly"),
    (
        "nursing_beds_per_1000",
        "每千名老年人护理型床位(目标 {nursing_beds_per_1000_elderly:g})",
        "nursing_beds_per_1000_elderly",
    ),
    ("burial_share", "生态安葬行政村覆盖率(目标 100%)", 1.0),
    ("unmet_count", "未达标目标数", None),
]
# each map's file, named for the officer who opens the folder
MAP_FILES = {
    "beds_per_1000": "地图_每千名老人养老床位.png",
    "nursing_beds_per_1000": "地图_每千名老人护理型床位.png",
    "burial_share": "地图_生态安葬村覆盖率.png",
    "unmet_count": "地图_未达标目标数.png",
}
# a count of unmet targets: none met the plan's green, one to three its warmer bands
_COUNT_COLOURS = (BAND_COLOURS["met"], BAND_COLOURS["near"], BAND_COLOURS["far"], BAND_COLOURS["none"])


@dataclass(frozen=True)
class CoverageOutputs:
    folder: Path
    files: list[Path]
    maps_drawn: bool


def _table(result: CoverageResult) -> pd.DataFrame:
    rows = [*result.townships, result.district]
    frame = pd.DataFrame(rows)[list(COLUMNS_ZH)]
    frame["unmet"] = frame["unmet"].map(unmet_zh)
    return frame.rename(columns=COLUMNS_ZH)


def write_store_coverage(
    store: Store, result: CoverageResult, out_dir: Path, *, unit: str | None = None
) -> CoverageOutputs:
    """:func:`write_coverage_outputs` of ``result`` analysed on ``store`` (of the county or township ``unit``):
    its townships' polygons and whose report it is, from the store (``mzgis coverage --out`` and the API)."""
    units = store.read_frame("admin_units", scope=unit)
    return write_coverage_outputs(result, units[units.level == "township"], out_dir, area=register_area(store, unit))


def _fills(values: pd.Series, goal: float | None) -> tuple[list[str], list[tuple[str, str]]]:
    """Each township's fill and the legend: by the plan's bands against ``goal`` (as the page and the HTML map
    colour them), or, for a count (``goal`` None), one colour per whole count."""
    if goal is not None:
        fills = [_band(v, goal) for v in values]
        legend = [(colour, label) for b, label, colour in BANDS if b != "unknown"]
        if "#cccccc" in fills:
            legend.append(("#cccccc", "无数据"))
        return fills, legend
    counts = [None if pd.isna(v) else int(v) for v in values]
    fills = ["#cccccc" if n is None else _COUNT_COLOURS[min(n, 3)] for n in counts]
    legend = [(_COUNT_COLOURS[n], f"{n} 项" if n < 3 else "3 项及以上") for n in range(4)]
    return fills, legend


def _map_png(
    towns: gpd.GeoDataFrame, column: str, title: str, goal: float | None, font: str, villages: gpd.GeoDataFrame
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    plt.rcParams["font.family"] = font
    fig, ax = plt.subplots(figsize=(8.5, 5.5), dpi=110)
    fills, legend = _fills(towns[column], goal)
    towns.plot(color=fills, ax=ax, edgecolor="#333", linewidth=0.8)
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#333", label=t) for c, t in legend], loc="lower left", fontsize=7)
    drawn = villages.burial_covered.notna().all()  # the villages' polygons are there (see not_run)
    uncovered = villages[villages.burial_covered == False] if column == "burial_share" and drawn else villages.iloc[0:0]  # noqa: E712
    if not uncovered.empty:
        uncovered.boundary.plot(ax=ax, color="#555", linewidth=0.3)
    for r in towns.itertuples():
        p = r.geometry.representative_point()
        value = getattr(r, column)
        label = (
            "-" if value is None or pd.isna(value) else (f"{value:.0%}" if column == "burial_share" else f"{value:g}")
        )
        ax.annotate(f"{r.name}\n{label}", (p.x, p.y), ha="center", va="center", fontsize=7)
    ax.set_title(title, fontsize=12)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_coverage_outputs(
    result: CoverageResult,
    townships: gpd.GeoDataFrame,
    out_dir: Path,
    *,
    area: str = "",
    day: dt.date | None = None,
) -> CoverageOutputs:
    """Write the outputs of ``result`` (townships: their polygons, EPSG:4490) into ``out_dir``; the report
    names ``area`` (the county or unit analysed, :func:`mzgis.admin.area_name`) and ``day`` (default today)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    table = _table(result)
    write_table(table, out_dir / "覆盖分析.csv")
    write_table(table, out_dir / "覆盖分析.xlsx", sheet="乡镇目标核对")
    files += [out_dir / "覆盖分析.csv", out_dir / "覆盖分析.xlsx"]

    data = pd.DataFrame(result.townships)
    covered = pd.to_numeric(data.villages_covered_by_burial, errors="coerce")  # None without village polygons
    data["burial_share"] = covered / data.villages.where(data.villages > 0)
    data["unmet_count"] = data.unmet.map(len)
    data["unmet"] = data.unmet.map(lambda ids: ",".join(ids))
    towns = townships[["code", "geometry"]].merge(data, on="code")
    gpkg = out_dir / "覆盖分析.gpkg"
    if gpkg.exists():
        gpkg.unlink()
    pyogrio.write_dataframe(towns, gpkg, layer="townships", driver="GPKG")
    villages = result.villages.copy()
    if not result.not_run:  # without the villages' polygons there is no village layer to write
        pyogrio.write_dataframe(villages, gpkg, layer="villages", append=True)
    if not result.uncovered.empty:
        pyogrio.write_dataframe(result.uncovered, gpkg, layer="uncovered_villages", append=True)
    files.append(gpkg)

    font = cjk_font()
    images: list[tuple[str, bytes]] = []
    if font is not None:
        targets = result.targets.as_dict()
        for column, title, target in MAPS:
            goal = float(targets[target]) if isinstance(target, str) else target
            png = _map_png(towns, column, title.format(**targets), goal, font, villages)
            path = out_dir / MAP_FILES[column]
            path.write_bytes(png)
            files.append(path)
            images.append((title.format(**targets), png))
    try:
        map_path = out_dir / "覆盖分析地图.html"
        map_path.write_text(_web_map(result, towns), encoding="utf-8")
        files.append(map_path)
    except NotFound:
        pass  # Leaflet not installed (set-up not run): the PNG maps and the report still stand
    report = _report(result, table, images, font, area=area, day=day or beijing_today())
    (out_dir / "覆盖分析报告.html").write_text(to_html(report), encoding="utf-8")
    (out_dir / "覆盖分析报告.docx").write_bytes(to_docx(report))
    files += [out_dir / "覆盖分析报告.html", out_dir / "覆盖分析报告.docx"]
    return CoverageOutputs(out_dir, files, font is not None)


def _band(value: float | None, target: float) -> str:
    """The fill of a value against its target: the bands the page and the analysis use; grey for none."""
    if value is None or pd.isna(value):
        return "#cccccc"
    return BAND_COLOURS[band(value >= target, value, target)]


def _web_map(result: CoverageResult, towns: gpd.GeoDataFrame) -> str:
    from mzgis.io.webmap import MapLayer, self_contained_map

    target = result.targets.beds_per_1000_elderly
    towns = towns.copy()
    towns["colour"] = [_band(v, target) for v in towns.beds_per_1000]
    towns["unmet_zh"] = towns.unmet.map(lambda ids: unmet_zh([i for i in ids.split(",") if i]))
    uncovered = result.uncovered[result.uncovered.facility_type == "burial_site"]
    villages = result.villages.copy()
    villages["colour"] = [_band(v, target) for v in villages.access_beds_per_1000]
    layers = [
        MapLayer(
            "乡镇:每千名老人床位",
            towns,
            {"name": "乡镇", "beds_per_1000": "每千名老人床位", "beds_shortfall": "床位缺口", "unmet_zh": "未达标"},
            colour_column="colour",
            label_column="name",
        )
    ]
    if result.not_run:  # the villages have no polygons: nothing of theirs to draw
        return self_contained_map("十四五目标覆盖分析地图", layers, legend_html=_legend(target))
    layers += [
        MapLayer(
            "村:床位可达性(E2SFCA)",
            villages,
            {"name": "村(社区)", "aged_60_plus": "60岁以上", "access_beds_per_1000": "可达床位/千人"},
            colour_column="colour",
            show=False,
            style={"weight": 0.5},
        ),
        MapLayer(
            "生态安葬未覆盖的村",
            uncovered,
            {"name": "村(社区)", "township_name": "乡镇", "aged_60_plus": "60岁以上"},
            colour="#7b3294",
            show=False,
            style={"weight": 0.5},
        ),
    ]
    return self_contained_map("十四五目标覆盖分析地图", layers, legend_html=_legend(target))


def _legend(target: float) -> str:
    bands = "".join(f'<i style="background:{colour}"></i>{label}<br>' for b, label, colour in BANDS if b != "unknown")
    return f"每千名老人床位(目标 {target:g})<br>" + bands


def _report(
    result: CoverageResult,
    table: pd.DataFrame,
    images: list[tuple[str, bytes]],
    font: str | None,
    *,
    area: str,
    day: dt.date,
) -> Document:
    """The coverage report, one document for the HTML and the Word file: whose, when, from what data."""
    t = result.targets
    d = result.district
    rules = "、".join(f"{FACILITY_TYPES.get(k, k)}:{v}" for k, v in t.as_dict()["coverage_rules"].items())
    unmet = unmet_zh(d["unmet"], none="无")
    doc = Document(f"{area}十四五目标覆盖分析", landscape=True, css="figure { display: inline-block; margin: 4mm; }")
    doc.add(
        Heading(f"{area}十四五目标覆盖分析(按乡镇)", 1),
        Para(
            f"编制:{area or '本区县'}民政局    日期:{date_zh(day)}    数据来源:{area or '本区县'}民政局 mzgis 数据文件"
            f"    坐标系:CGCS2000(EPSG:{STORAGE_EPSG})",
            align="center",
        ),
        Para(f"目标来源:{t.source}。覆盖规则:{rules};床位可达性(E2SFCA)服务半径 {t.catchment_m:g} 米。"),
        Para(
            f"全区 60 岁以上老人 {d['aged_60_plus']} 人,养老床位 {d['beds']} 张(每千人 {d['beds_per_1000']}),"
            f"距目标缺 {d['beds_shortfall']} 张;{d['townships_without_complex']} 个乡镇没有社区服务综合体,"
            f"{d['townships_without_burial_site']} 个乡镇没有已建成的节地生态安葬点。全区未达标:{unmet}。"
        ),
        *[Para(f"未计算:{part['message']}") for part in result.not_run],
        *[Figure(title, png, width_mm=120) for title, png in images],
    )
    if not images:
        doc.add(Para("本机没有中文字体(如 fonts-noto-cjk),未绘制专题图。"))
    doc.add(
        Heading("乡镇目标核对表"),
        Table(table, font_pt=8.5),
        Para("mzgis 生成" + ("" if font else ";未找到中文字体,专题图未绘制") + "。", small=True),
    )
    return doc
