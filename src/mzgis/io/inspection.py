"""The joint-inspection package (联检资料包) of one boundary line: what both counties check and sign.

For one line: a GeoPackage (both versions, markers, findings), a Shapefile set with a .cpg (GBK by
default) and a KML, the marker register (CSV and XLSX, decimal degrees, DMS and Gauss-Krüger x/y), the
alignment description (text and CSV), a report ready to print on A4 (HTML with an SVG overview map;
PDF printed by headless Chromium where it is installed), a manifest with checksums, and all of it as one ZIP.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from mzgis import __version__
from mzgis.boundary.alignment import Segment, segments_csv, segments_text
from mzgis.boundary.lines import LineComparison
from mzgis.boundary.markers import MarkerReport
from mzgis.boundary.service import BoundaryLine
from mzgis.clock import beijing_today
from mzgis.crs import STORAGE_EPSG, to_metric
from mzgis.digest import file_sha256
from mzgis.errors import BadInput
from mzgis.io.archive import zip_folder
from mzgis.io.document import (
    Block,
    Bullets,
    Document,
    Figure,
    Heading,
    Para,
    Signatures,
    Table,
    html_to_pdf,
    to_docx,
    to_html,
)
from mzgis.io.printmap import MapLayer, PrintMap, Style, render_map
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
    "discrepancy": "两线相差超限",
    "area_between": "两线之间",
}
GAIN_ZH = {"ours": "本方", "neighbour": "对方"}
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


def _line_figure(
    line: BoundaryLine,
    comparison: LineComparison,
    markers: MarkerReport,
    caption: str,
    *,
    extent: tuple[float, float, float, float] | None,
    size_mm: tuple[float, float],
    detail: bool,
) -> Figure:
    """A map of the line for the report (the print-map renderer: legend from the drawn styles, labels
    clear of the lines): both versions, the areas between (with who would gain them in a detail), the
    markers by condition, tripoints and the places over tolerance. SVG for HTML, PNG for Word."""
    from mzgis.io.map_layers import line_layers

    crs = STORAGE_EPSG
    ours = gpd.GeoDataFrame(geometry=[line.ours], crs=crs)
    theirs = gpd.GeoDataFrame(geometry=[line.theirs] if line.theirs is not None else [], crs=crs)
    areas = gpd.GeoDataFrame(
        {
            "label": [
                f"{a['area_m2']:.0f} 平方米(归{'本方' if a.get('gain') == 'ours' else '对方'})"
                for a in comparison.areas
            ]
        },
        geometry=[a["geometry"] for a in comparison.areas],
        crs=crs,
    )
    places = gpd.GeoDataFrame(
        {"label": [f"差异 {i}:偏差 {s['max_deviation_m']:.1f} 米" for i, s in enumerate(comparison.segments, 1)]},
        geometry=[shapely.Point(s["lon"], s["lat"]) for s in comparison.segments],
        crs=crs,
    )
    m = markers.markers
    tripoints = gpd.GeoDataFrame(geometry=list(m[m.kind == "tripoint"].geometry), crs=crs)
    layers = [
        MapLayer(
            "两线之间的面积",
            areas,
            Style("#9d4edd", "fill", width=0.5, fill="#9d4edd", alpha=0.45),
            label_field="label" if detail else None,
            label_size=8,
        ),
        *line_layers(ours, theirs, gpd.GeoDataFrame(m, geometry=m.geometry.values, crs=crs)),
        MapLayer("三交点界桩", tripoints, Style("#111", "point", marker="s", size=90, hollow=True)),
        MapLayer(
            "偏差超限处",
            places,
            Style("#d62828", "point", size=420 if detail else 260, hollow=True),
            label_field="label",
            label_size=8,
        ),
    ]
    pm = PrintMap(caption, layers, extent=extent, size_mm=size_mm)
    svg = render_map(pm, "svg").data.decode("utf-8")
    svg = svg[svg.index("<svg") :]  # inline in the report: no XML prolog or doctype
    return Figure(caption, render_map(pm, "png", dpi=200).data, svg=svg, width_mm=size_mm[0])


def _details(line: BoundaryLine, comparison: LineComparison, markers: MarkerReport) -> list[Block]:
    """One detail map per stretch over tolerance: both versions, the areas between with who gains them."""
    out: list[Block] = []
    for i, seg in enumerate(comparison.segments, start=1):
        near = [*comparison.areas_along(seg), shapely.Point(seg["lon"], seg["lat"])]
        west, south, east, north = shapely.GeometryCollection(near).bounds
        pad = 0.0025  # about 250 m around the stretch
        out.append(
            Heading(
                f"差异 {i}:里程 {seg['from_m']:.0f}–{seg['to_m']:.0f} 米,最大偏差 "
                f"{seg['max_deviation_m']:.1f} 米(经度 {seg['lon']:.6f},纬度 {seg['lat']:.6f})",
                3,
            )
        )
        out.append(
            _line_figure(
                line,
                comparison,
                markers,
                f"差异 {i} 局部图",
                extent=(west - pad, south - pad, east + pad, north + pad),
                size_mm=(170, 105),
                detail=True,
            )
        )
    return out


def _report(
    line: BoundaryLine,
    comparison: LineComparison,
    markers: MarkerReport,
    segments: list[Segment],
    register: pd.DataFrame,
    epsg: int,
    today: dt.date,
) -> Document:
    """The joint-inspection report, one document for the HTML/PDF and the Word file."""
    a_name = line.county_names.get(line.county_a, line.county_a)
    b_name = line.county_names.get(line.county_b, line.county_b)
    s = comparison.summary
    m = markers.summary
    disc = pd.DataFrame(
        [
            {
                "起点里程(米)": f"{x['from_m']:.0f}",
                "终点里程(米)": f"{x['to_m']:.0f}",
                "最大偏差(米)": f"{x['max_deviation_m']:.2f}",
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
    summary = [
        f"本方界线长 {s['length_m']:.0f} 米,对方版本长 {s['their_length_m']:.0f} 米",
        f"两版本最大偏差 {s['max_deviation_m']:.2f} 米,平均偏差 {s['mean_deviation_m']:.2f} 米,"
        f"豪斯多夫距离 {s['hausdorff_m']:.2f} 米",
        f"偏差超过 {s['tolerance_m']} 米的地段 {s['segments_over_tolerance']} 处;两线之间面积共 {s['area_between_m2']:.0f} 平方米",
    ]
    if "ours_would_gain_m2" in s:
        summary.append(
            f"若采用{b_name}版本:{a_name}增加 {s['ours_would_gain_m2']:.0f} 平方米,"
            f"{b_name}增加 {s['neighbour_would_gain_m2']:.0f} 平方米"
        )
    summary.append(
        f"界桩 {m['markers']} 个(间距 {m['spacing_min_m']}–{m['spacing_max_m']} 米),损坏 {m['damaged']} 个,"
        f"丢失 {m['missing']} 个,超过 {m['overdue_years']} 年未检查 {m['overdue']} 个,"
        f"三交点界桩 {m['tripoints_expected'] - m['tripoints_missing']}/{m['tripoints_expected']}"
    )
    short_register = register[["界桩编号", "类型", "经度(度分秒)", "纬度(度分秒)", "状况", "最近检查日期"]]
    description = [p for p in segments_text(line.name, segments).splitlines()[2:] if p]
    doc = Document(f"{line.name}联合检查报告")
    doc.add(
        Heading(f"{line.name}行政区域界线联合检查报告", 1),
        Para(
            f"界线双方:{a_name}({line.county_a})与{b_name}({line.county_b})。生成日期:{today.isoformat()}。"
            f"坐标系:CGCS2000(EPSG:{STORAGE_EPSG}),量算投影 EPSG:{epsg}。"
        ),
        Heading("一、概况"),
        Bullets(summary),
        Heading("二、界线概图"),
        _line_figure(line, comparison, markers, f"{line.name}概图", extent=None, size_mm=(175, 150), detail=False),
        Heading("三、两版本差异"),
        Table(disc),
        *_details(line, comparison, markers),
        Heading("四、界桩检查问题"),
        Table(finds),
        Heading("五、界桩登记表"),
        Table(short_register),
        Para(f"完整登记表(含十进制经纬度和高斯-克吕格坐标)见“{line.name}_界桩登记表.xlsx”。"),
        Heading("六、界线走向说明"),
        *[Para(p) for p in description],
        Heading("七、双方签字"),
        Signatures([a_name, b_name], signer="联检负责人"),
        Para(f"mzgis {__version__} 生成。", small=True),
    )
    return doc


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
    files = [{"path": rel, "bytes": (folder / rel).stat().st_size, "sha256": file_sha256(folder / rel)} for rel in own]
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

    # the GeoPackage keeps the codes (for tools) and says each in Chinese beside it (for the officers reading it)
    gpkg = work / f"{name}.gpkg"
    lines_zh = lines.assign(side_zh=lines.side.map(SIDE_ZH))
    pyogrio.write_dataframe(lines_zh[lines.side == "ours"], gpkg, layer="ours_line", driver="GPKG")
    if line.theirs is not None:
        pyogrio.write_dataframe(lines_zh[lines.side == "neighbour"], gpkg, layer="neighbour_line", append=True)
    markers_zh = marker_frame.assign(
        kind_zh=marker_frame.kind.map(KIND_ZH), condition_zh=marker_frame.condition.map(CONDITION_ZH)
    )
    pyogrio.write_dataframe(markers_zh, gpkg, layer="markers", append=True)
    if not areas.empty:
        areas_zh = areas.assign(kind_zh=areas.kind.map(FINDING_ZH), gain_zh=areas.gain.map(GAIN_ZH).fillna(""))
        pyogrio.write_dataframe(areas_zh, gpkg, layer="areas_between", append=True)
    points_zh = points.assign(kind_zh=points.kind.map(FINDING_ZH).fillna(points.kind))
    pyogrio.write_dataframe(points_zh, gpkg, layer="findings", append=True)

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

    report = _report(line, comparison, markers, segments, register, epsg, today)
    html_path = work / f"{name}_联检报告.html"
    html_path.write_text(to_html(report), encoding="utf-8")
    (work / f"{name}_联检报告.docx").write_bytes(to_docx(report))
    pdf_note = html_to_pdf(html_path, work / f"{name}_联检报告.pdf")

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
