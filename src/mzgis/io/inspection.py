"""The joint-inspection package (联检资料包) of one boundary line: what both counties check and sign.

For one line: a GeoPackage (both versions, markers, findings), a Shapefile set with a .cpg (GBK by
default) and a KML, the marker register (CSV and XLSX, decimal degrees, DMS and Gauss-Krüger x/y), the
alignment description (text and CSV), a report ready to print on A4 (HTML with an SVG overview map;
PDF printed by headless Chromium where it is installed), a manifest with checksums, and all of it as one ZIP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from mzgis import __version__
from mzgis.boundary.alignment import Segment, segments_csv, segments_text
from mzgis.boundary.lines import LineComparison
from mzgis.boundary.markers import MarkerReport
from mzgis.boundary.service import BoundaryLine
from mzgis.clock import beijing_today
from mzgis.crs import STORAGE_EPSG, to_metric
from mzgis.errors import BadInput
from mzgis.io.archive import zip_folder
from mzgis.io.tables import write_table
from mzgis.layers import BOUNDARY_LINES, BOUNDARY_MARKERS, choice_labels
from mzgis.text import inside, safe_filename

__all__ = ["InspectionPackage", "dms", "write_inspection_package"]

KIND_ZH = choice_labels(BOUNDARY_MARKERS, "kind")
FINDING_ZH = {
    "off_line": "偏离界线",
    "duplicate_id": "编号重复",
    "numbering_gap": "编号缺号",
    "spacing": "间距过大",
    "tripoint_missing": "缺三交点界桩",
    "condition": "界桩状况",
    "overdue": "逾期未检",
}
CONDITION_ZH = choice_labels(BOUNDARY_MARKERS, "condition")
SIDE_ZH = choice_labels(BOUNDARY_LINES, "side")
ENCODINGS = {"gbk": "CP936", "utf-8": "UTF-8"}
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class InspectionPackage:
    """Where the package went: its folder, the ZIP, and the files with their checksums."""

    folder: Path
    zip_path: Path
    files: list[dict[str, Any]]


def dms(value: float, positive: str, negative: str) -> str:
    """Degrees, minutes, seconds (to 0.001″) with the hemisphere: 121°17′57.123″E."""
    hemi = positive if value >= 0 else negative
    total = round(abs(value) * 3600.0, 3)
    deg, rest = divmod(total, 3600.0)
    minutes, seconds = divmod(rest, 60.0)
    return f"{int(deg)}°{int(minutes):02d}′{seconds:06.3f}″{hemi}"


def _register(markers: MarkerReport, epsg: int) -> pd.DataFrame:
    fwd = Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)
    rows = []
    for r in markers.markers.itertuples():
        lon, lat = r.geometry.x, r.geometry.y
        easting, northing = fwd.transform(lon, lat)
        rows.append(
            {
                "界桩编号": r.marker_id,
                "类型": KIND_ZH.get(r.kind, r.kind),
                "经度(度)": round(lon, 8),
                "纬度(度)": round(lat, 8),
                "经度(度分秒)": dms(lon, "E", "W"),
                "纬度(度分秒)": dms(lat, "N", "S"),
                f"X 北坐标(米,EPSG:{epsg})": round(northing, 3),
                f"Y 东坐标(米,EPSG:{epsg})": round(easting, 3),
                "里程(米)": round(float(r.chainage_m), 1),
                "距界线(米)": round(float(r.distance_m), 3),
                "状况": CONDITION_ZH.get(r.condition, r.condition),
                "最近检查日期": r.last_inspected or "",
            }
        )
    return pd.DataFrame(rows)


def _findings_layers(
    line: BoundaryLine, comparison: LineComparison, markers: MarkerReport
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    areas = gpd.GeoDataFrame(
        [
            {
                "kind": "area_between",
                "area_m2": a["area_m2"],
                "from_m": a["from_m"],
                "to_m": a["to_m"],
                "gain": a.get("gain", ""),
                "message": f"两线之间 {a['area_m2']:.0f} 平方米(里程 {a['from_m']:.0f}–{a['to_m']:.0f} 米)",
                "geometry": a["geometry"],
            }
            for a in comparison.areas
        ],
        columns=["kind", "area_m2", "from_m", "to_m", "gain", "message", "geometry"],
        geometry="geometry",
        crs=STORAGE_EPSG,
    )
    by_id = {str(r.marker_id): r.geometry for r in markers.markers.itertuples()}
    points = []
    for seg in comparison.segments:
        points.append(
            {
                "kind": "discrepancy",
                "marker_id": "",
                "message": f"里程 {seg['from_m']:.0f}–{seg['to_m']:.0f} 米两线相差最大 {seg['max_deviation_m']:.2f} 米",
                "geometry": shapely.Point(seg["lon"], seg["lat"]),
            }
        )
    for f in markers.findings:
        where = by_id.get(str(f.get("marker_id")))
        if where is None and "lon" in f:
            where = shapely.Point(f["lon"], f["lat"])
        if where is not None:
            points.append(
                {"kind": f["kind"], "marker_id": f.get("marker_id") or "", "message": f["message"], "geometry": where}
            )
    pts = gpd.GeoDataFrame(
        points, columns=["kind", "marker_id", "message", "geometry"], geometry="geometry", crs=STORAGE_EPSG
    )
    return areas, pts


def _lines_frame(line: BoundaryLine) -> gpd.GeoDataFrame:
    rows = [
        {"name": line.name, "side": "ours", "county_a": line.county_a, "county_b": line.county_b, "geometry": line.ours}
    ]
    if line.theirs is not None:
        rows.append(
            {
                "name": line.name,
                "side": "neighbour",
                "county_a": line.county_a,
                "county_b": line.county_b,
                "geometry": line.theirs,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_EPSG)


def _markers_frame(markers: MarkerReport) -> gpd.GeoDataFrame:
    m = markers.markers
    return gpd.GeoDataFrame(
        {
            "marker_id": m["marker_id"].astype(str),
            "line_name": m["line_name"].astype(str),
            "kind": m["kind"].astype(str),
            "condition": m["condition"].astype(str),
            "last_insp": m["last_inspected"].fillna("").astype(str),
            "chain_m": m["chainage_m"].round(1),
        },
        geometry=m.geometry.values,
        crs=STORAGE_EPSG,
    )


def _nice_bar(span_m: float) -> float:
    """A scale-bar length (metres) of about a fifth of the map's width."""
    steps = (10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0)
    return max([b for b in steps if b <= span_m / 4] or [steps[0]])


def _svg_map(
    line: BoundaryLine,
    comparison: LineComparison,
    markers: MarkerReport,
    epsg: int,
    *,
    window: tuple[float, float, float, float] | None = None,
    max_width: float = 680.0,
    max_height: float = 820.0,
) -> str:
    """A map as inline SVG (text drawn by the browser's fonts, so Chinese renders): the whole line, or the
    metric ``window`` (minx, miny, maxx, maxy) for a detail of one discrepancy."""
    fwd = Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)

    def xy(g: BaseGeometry) -> np.ndarray:
        c = np.asarray(shapely.get_coordinates(g))
        x, y = fwd.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    ours = xy(line.ours)
    if window is None:
        minx, miny = ours.min(axis=0) - 300.0
        maxx, maxy = ours.max(axis=0) + 300.0
    else:
        minx, miny, maxx, maxy = window
    width, height = max_width, max_width * (maxy - miny) / max(maxx - minx, 1.0)
    if height > max_height:
        width, height = width * max_height / height, max_height
    scale = width / (maxx - minx)

    def path(coords: np.ndarray) -> str:
        pts = " ".join(f"{(x - minx) * scale:.1f},{(maxy - y) * scale:.1f}" for x, y in coords)
        return pts

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" class="map">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fbfaf6" stroke="#999"/>',
    ]
    areas = comparison.areas[:20] if window is None else comparison.areas
    for a in areas:
        poly = xy(a["geometry"])
        parts.append(f'<polygon points="{path(poly)}" fill="#f4a261" fill-opacity="0.6"/>')
        cx, cy = poly.mean(axis=0)
        if window is not None and minx <= cx <= maxx and miny <= cy <= maxy:
            gain = "本方" if a["gain"] == "ours" else "对方"
            parts.append(
                f'<text x="{(cx - minx) * scale:.1f}" y="{(maxy - cy) * scale:.1f}" font-size="10" '
                f'text-anchor="middle">{a["area_m2"]:.0f} 平方米(归{gain})</text>'
            )
    if line.theirs is not None:
        parts.append(
            f'<polyline points="{path(xy(line.theirs))}" fill="none" stroke="#d62828" '
            'stroke-width="1.5" stroke-dasharray="5,3"/>'
        )
    parts.append(f'<polyline points="{path(ours)}" fill="none" stroke="#1d3557" stroke-width="2"/>')
    colours = {"intact": "#2a9d8f", "damaged": "#e9c46a", "missing": "#d62828"}
    for r in markers.markers.itertuples():
        ((x, y),) = xy(r.geometry)
        sx, sy = (x - minx) * scale, (maxy - y) * scale
        shape = (
            f'<rect x="{sx - 5:.1f}" y="{sy - 5:.1f}" width="10" height="10"'
            if r.kind == "tripoint"
            else f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="4"'
        )
        parts.append(f'{shape} fill="{colours.get(r.condition, "#555")}" stroke="#000" stroke-width="0.6"/>')
        parts.append(f'<text x="{sx + 6:.1f}" y="{sy - 4:.1f}" font-size="9">{html.escape(str(r.marker_id))}</text>')
    for i, seg in enumerate(comparison.segments, start=1):
        ((x, y),) = xy(shapely.Point(seg["lon"], seg["lat"]))
        sx, sy = (x - minx) * scale, (maxy - y) * scale
        parts.append(f'<circle cx="{sx:.1f}" cy="{sy:.1f}" r="14" fill="none" stroke="#d62828" stroke-width="2"/>')
        parts.append(
            f'<text x="{sx + 16:.1f}" y="{sy + 4:.1f}" font-size="11" fill="#d62828">'
            f"差异 {i}:偏差 {seg['max_deviation_m']:.1f} 米</text>"
        )
    bar = _nice_bar(maxx - minx)
    parts.append(
        f'<line x1="20" y1="{height - 20:.0f}" x2="{20 + bar * scale:.1f}" y2="{height - 20:.0f}" '
        'stroke="#000" stroke-width="3"/>'
    )
    parts.append(f'<text x="20" y="{height - 28:.0f}" font-size="10">{bar:.0f} 米</text>')
    parts.append(f'<text x="{width - 30:.0f}" y="30" font-size="14" text-anchor="middle">北 ↑</text>')
    parts.append("</svg>")
    return "".join(parts)


def _insets(line: BoundaryLine, comparison: LineComparison, markers: MarkerReport, epsg: int) -> str:
    """One detail map per stretch over tolerance: both versions, the areas between with who gains them."""
    fwd = Transformer.from_crs(STORAGE_EPSG, epsg, always_xy=True)
    out = []
    for i, seg in enumerate(comparison.segments, start=1):
        near = comparison.areas_along(seg)
        cx, cy = fwd.transform(seg["lon"], seg["lat"])
        boxes = [(cx - 150.0, cy - 150.0, cx + 150.0, cy + 150.0)]
        for g in near:
            c = np.asarray(shapely.get_coordinates(g))
            x, y = fwd.transform(c[:, 0], c[:, 1])
            boxes.append((float(np.min(x)), float(np.min(y)), float(np.max(x)), float(np.max(y))))
        minx, miny = min(b[0] for b in boxes) - 60.0, min(b[1] for b in boxes) - 60.0
        maxx, maxy = max(b[2] for b in boxes) + 60.0, max(b[3] for b in boxes) + 60.0
        svg = _svg_map(line, comparison, markers, epsg, window=(minx, miny, maxx, maxy), max_width=560, max_height=420)
        out.append(
            f'<div class="keep"><h3>差异 {i}:里程 {seg["from_m"]:.0f}–{seg["to_m"]:.0f} 米,'
            f"最大偏差 {seg['max_deviation_m']:.1f} 米(经度 {seg['lon']:.6f},纬度 {seg['lat']:.6f})</h3>{svg}</div>"
        )
    return "".join(out)


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _report_html(
    line: BoundaryLine,
    comparison: LineComparison,
    markers: MarkerReport,
    segments: list[Segment],
    register: pd.DataFrame,
    epsg: int,
    today: dt.date,
) -> str:
    a_name = line.county_names.get(line.county_a, line.county_a)
    b_name = line.county_names.get(line.county_b, line.county_b)
    s = comparison.summary
    m = markers.summary
    disc = pd.DataFrame(
        [
            {
                "起点里程(米)": x["from_m"],
                "终点里程(米)": x["to_m"],
                "最大偏差(米)": x["max_deviation_m"],
                "位置(经度,纬度)": f"{x['lon']:.6f}, {x['lat']:.6f}",
            }
            for x in comparison.segments
        ]
        or [{"说明": f"两版本全线偏差均不超过 {s['tolerance_m']} 米"}]
    )
    finds = pd.DataFrame(
        [
            {"类别": FINDING_ZH.get(f["kind"], f["kind"]), "界桩": f.get("marker_id") or "", "说明": f["message"]}
            for f in markers.findings
        ]
        or [{"说明": "无"}]
    )
    desc = "".join(f"<p>{html.escape(p)}</p>" for p in segments_text(line.name, segments).splitlines()[2:] if p)
    gain = ""
    if "ours_would_gain_m2" in s:
        gain = (
            f"<li>若采用{html.escape(b_name)}版本:{html.escape(a_name)}增加 {s['ours_would_gain_m2']:.0f} 平方米,"
            f"{html.escape(b_name)}增加 {s['neighbour_would_gain_m2']:.0f} 平方米</li>"
        )
    short_register = register[["界桩编号", "类型", "经度(度分秒)", "纬度(度分秒)", "状况", "最近检查日期"]]
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(line.name)}联合检查报告</title>
<style>
@page {{ size: A4; margin: 18mm 15mm; }}
body {{ font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimSun",
       sans-serif; font-size: 10.5pt; color: #111; }}
h1 {{ font-size: 18pt; text-align: center; margin: 0 0 4mm; }}
h2 {{ font-size: 13pt; border-bottom: 1px solid #444; margin-top: 6mm; }}
h3 {{ font-size: 10.5pt; margin: 4mm 0 2mm; }}
table {{ border-collapse: collapse; width: 100%; font-size: 9pt; page-break-inside: auto; }}
th, td {{ border: 1px solid #666; padding: 2px 4px; text-align: left; }}
th {{ background: #eee; }}
tr {{ page-break-inside: avoid; }}
.map {{ display: block; margin: 0 auto; max-width: 100%; }}
.sign {{ display: flex; gap: 10mm; margin-top: 10mm; page-break-inside: avoid; }}
.sign div {{ flex: 1; border: 1px solid #444; padding: 4mm; min-height: 45mm; }}
.legend span {{ margin-right: 8mm; }}
.keep {{ page-break-inside: avoid; }}
</style></head><body>
<h1>{html.escape(line.name)}行政区域界线联合检查报告</h1>
<p>界线双方:{html.escape(a_name)}({line.county_a})与{html.escape(b_name)}({line.county_b})。
生成日期:{today.isoformat()}。坐标系:CGCS2000(EPSG:4490),量算投影 EPSG:{epsg}。</p>
<h2>一、概况</h2>
<ul>
<li>本方界线长 {s["length_m"]:.0f} 米,对方版本长 {s["their_length_m"]:.0f} 米</li>
<li>两版本最大偏差 {s["max_deviation_m"]:.2f} 米,平均偏差 {s["mean_deviation_m"]:.2f} 米,豪斯多夫距离 {s["hausdorff_m"]:.2f} 米</li>
<li>偏差超过 {s["tolerance_m"]} 米的地段 {s["segments_over_tolerance"]} 处;两线之间面积共 {s["area_between_m2"]:.0f} 平方米</li>
{gain}
<li>界桩 {m["markers"]} 个(间距 {m["spacing_min_m"]}–{m["spacing_max_m"]} 米),损坏 {m["damaged"]} 个,丢失 {m["missing"]} 个,
超过 {m["overdue_years"]} 年未检查 {m["overdue"]} 个,三交点界桩 {m["tripoints_expected"] - m["tripoints_missing"]}/{m["tripoints_expected"]}</li>
</ul>
<h2>二、界线概图</h2>
{_svg_map(line, comparison, markers, epsg)}
<p class="legend"><span>— 本方界线(蓝)</span><span>- - 对方界线(红)</span><span>● 完好 / 损坏 / 丢失界桩</span>
<span>■ 三交点</span><span>○ 偏差超限处</span></p>
<h2>三、两版本差异</h2>
{_table(disc)}
{_insets(line, comparison, markers, epsg)}
<h2>四、界桩检查问题</h2>
{_table(finds)}
<h2>五、界桩登记表</h2>
{_table(short_register)}
<p>完整登记表(含十进制经纬度和高斯-克吕格坐标)见“{html.escape(line.name)}_界桩登记表.xlsx”。</p>
<h2>六、界线走向说明</h2>
{desc}
<div class="keep"><h2>七、双方签字</h2>
<div class="sign">
<div><b>{html.escape(a_name)}</b><br><br>联检负责人(签字):<br><br><br>单位(盖章):<br><br><br>日期:</div>
<div><b>{html.escape(b_name)}</b><br><br>联检负责人(签字):<br><br><br>单位(盖章):<br><br><br>日期:</div>
</div></div>
<p style="font-size:8pt;color:#666">mzgis {__version__} 生成。</p>
</body></html>
"""


def _render_pdf(html_path: Path, pdf_path: Path) -> str:
    """Print the report to PDF with headless Chromium where it is installed (its fonts render Chinese);
    returns what happened, for the manifest."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        return "未生成:本机没有 Chromium,请用浏览器打开 HTML 报告打印(A4)"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.resolve().as_uri(),
    ]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        return f"未生成:Chromium 打印失败({type(exc).__name__})"
    return "已由 Chromium 按 A4 打印" if pdf_path.exists() else "未生成:Chromium 没有写出文件"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_inspection_package(
    line: BoundaryLine,
    out_dir: Path,
    *,
    encoding: str = "gbk",
    tolerance_m: float = 5.0,
    today: dt.date | None = None,
) -> InspectionPackage:
    """Write the package of ``line`` into ``out_dir/<line name>/`` and ``out_dir/<line name>_联检资料.zip``."""
    if encoding.lower() not in ENCODINGS:
        raise BadInput(f"编码应为 gbk 或 utf-8,不是“{encoding}”", "encoding must be gbk or utf-8")
    today = today or beijing_today()
    comparison = line.compare(tolerance_m=tolerance_m)
    markers = line.check_markers(today=today, tolerance_m=tolerance_m)
    segments = line.alignment()
    epsg = to_metric(line.ours.bounds)
    # the line's name becomes file names: made safe, and every write checked to stay under out_dir
    name = safe_filename(line.name, fallback="界线")
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = inside(out_dir, name)
    # written into a fresh folder first, then moved in: only mzgis's own files are replaced
    work = Path(tempfile.mkdtemp(prefix=".mzgis-", dir=out_dir))
    try:
        own, pdf_note = _write_files(work, name, line, comparison, markers, segments, epsg, encoding, today)
        folder.mkdir(exist_ok=True)
        _remove_previous(folder)
        for rel in own:
            target = inside(folder, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work / rel, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    files = [{"path": rel, "bytes": (folder / rel).stat().st_size, "sha256": _sha256(folder / rel)} for rel in own]
    manifest = {
        "line": line.name,
        "county_a": line.county_a,
        "county_b": line.county_b,
        "generated_on": today.isoformat(),
        "generator": f"mzgis {__version__}",
        "crs": f"EPSG:{STORAGE_EPSG}",
        "metric_crs": f"EPSG:{epsg}",
        "shapefile_encoding": ENCODINGS[encoding.lower()],
        "pdf": pdf_note,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    zip_path = inside(out_dir, f"{name}_联检资料.zip")
    zip_folder(folder, zip_path, root=name, files=[*own, MANIFEST])
    return InspectionPackage(folder, zip_path, files)


def _write_files(
    work: Path,
    name: str,
    line: BoundaryLine,
    comparison: LineComparison,
    markers: MarkerReport,
    segments: list[Segment],
    epsg: int,
    encoding: str,
    today: dt.date,
) -> tuple[list[str], str]:
    """Write every file of the package into ``work``; their paths relative to it, and the PDF's note."""
    lines = _lines_frame(line)
    marker_frame = _markers_frame(markers)
    areas, points = _findings_layers(line, comparison, markers)

    gpkg = work / f"{name}.gpkg"
    pyogrio.write_dataframe(lines[lines.side == "ours"], gpkg, layer="ours_line", driver="GPKG")
    if line.theirs is not None:
        pyogrio.write_dataframe(lines[lines.side == "neighbour"], gpkg, layer="neighbour_line", append=True)
    pyogrio.write_dataframe(marker_frame, gpkg, layer="markers", append=True)
    if not areas.empty:
        pyogrio.write_dataframe(areas, gpkg, layer="areas_between", append=True)
    pyogrio.write_dataframe(points, gpkg, layer="findings", append=True)

    shp_dir = work / "shp"
    shp_dir.mkdir(exist_ok=True)
    shp_encoding = ENCODINGS[encoding.lower()]
    # the Shapefiles go to offices and other GIS: values in Chinese (the GeoPackage keeps the codes)
    pyogrio.write_dataframe(
        lines.assign(side=lines.side.map(SIDE_ZH)), shp_dir / f"{name}_界线.shp", encoding=shp_encoding
    )
    shp_markers = marker_frame.assign(
        kind=marker_frame.kind.map(KIND_ZH), condition=marker_frame.condition.map(CONDITION_ZH)
    )
    pyogrio.write_dataframe(shp_markers, shp_dir / f"{name}_界桩.shp", encoding=shp_encoding)

    kml = gpd.GeoDataFrame(
        {
            "Name": [f"{name}({SIDE_ZH.get(s, s)})" for s in lines.side]
            + [f"{r.marker_id}" for r in marker_frame.itertuples()],
            "Description": [f"{name}({SIDE_ZH.get(s, s)}的版本)" for s in lines.side]
            + [
                f"{KIND_ZH.get(r.kind, r.kind)},{CONDITION_ZH.get(r.condition, r.condition)}"
                for r in marker_frame.itertuples()
            ],
        },
        geometry=list(lines.geometry) + list(marker_frame.geometry),
        crs=STORAGE_EPSG,
    ).to_crs(4326)
    pyogrio.write_dataframe(kml, work / f"{name}.kml", driver="KML", layer=name)

    register = _register(markers, epsg)
    write_table(register, work / f"{name}_界桩登记表.csv")
    write_table(register, work / f"{name}_界桩登记表.xlsx", sheet="界桩登记表")
    (work / f"{name}_走向说明.txt").write_text(segments_text(name, segments), encoding="utf-8")
    (work / f"{name}_走向说明.csv").write_text(segments_csv(segments), encoding="utf-8-sig")

    report_html = _report_html(line, comparison, markers, segments, register, epsg, today)
    html_path = work / f"{name}_联检报告.html"
    html_path.write_text(report_html, encoding="utf-8")
    pdf_note = _render_pdf(html_path, work / f"{name}_联检报告.pdf")

    return sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()), pdf_note


def _remove_previous(folder: Path) -> None:
    """Remove the files an earlier package of this line wrote (those its manifest lists, inside the
    folder), never anything else: scans of signed pages and notes the officer put there stay."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return
    try:
        listed = [str(f["path"]) for f in json.loads(manifest.read_text(encoding="utf-8")).get("files", [])]
    except (ValueError, TypeError, KeyError, AttributeError):
        listed = []  # a damaged manifest: remove nothing but it, the new files overwrite the old
    for rel in listed:
        try:
            target = inside(folder, rel)
        except ValueError:
            continue  # a manifest edited to point outside the folder: never followed
        if target.is_file():
            target.unlink()
    manifest.unlink()
