"""Division and boundary checks (`mzgis check …`) and their exports (`mzgis export …`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import check_app, export_app
from mzgis.cli.common import EXIT_CODES, DbOption, JsonOption, UnitOption, echo_json, fail, open_db, settings_for
from mzgis.errors import NotFound

__all__ = ["check_coverage_cmd", "check_line_cmd", "check_markers_cmd", "export_alignment_cmd", "export_inspection_cmd"]


def _read_geometries(path: Path, from_crs: str | None) -> Any:
    """A file's features as a GeoDataFrame in EPSG:4490 (converted from ``--from-crs`` or its own CRS)."""
    import geopandas as gpd

    from mzgis.io.importer import convert_geometry, source_system
    from mzgis.io.readers import read_table

    table = read_table(path)
    system, _ = source_system(table.crs, from_crs)
    geoms = [None if g is None else convert_geometry(g, system, drop_z=True) for g in table.frame.geometry]
    return gpd.GeoDataFrame(table.frame.drop(columns=table.frame.geometry.name), geometry=geoms, crs=4490)


@check_app.command("coverage")
def check_coverage_cmd(
    file: Annotated[Path | None, typer.Argument(help="要检查的面文件(GeoJSON/GPKG/Shapefile);省略则检查数据库")] = None,
    level: Annotated[str, typer.Option("--level", help="检查数据库中的 township 或 village 层级")] = "village",
    unit: UnitOption = None,
    id_field: Annotated[str, typer.Option("--id-field", help="区划代码字段")] = "code",
    parent_field: Annotated[str | None, typer.Option("--parent-field", help="上级代码字段")] = None,
    from_crs: Annotated[str | None, typer.Option("--from-crs", help="文件的坐标系(如 gcj02)")] = None,
    gap_width_m: Annotated[float, typer.Option("--gap-width-m", help="窄于此宽度(米)的缝隙、重叠视为碎片")] = 1.0,
    min_area_m2: Annotated[float, typer.Option("--min-area-m2", help="小于此面积(平方米)的碎片忽略")] = 0.01,
    as_json: JsonOption = False,
    out: Annotated[Path | None, typer.Option("--out", help="把问题写成 GeoPackage 图层")] = None,
    db: DbOption = None,
) -> None:
    """检查面数据的拓扑(缝隙、重叠、边界不吻合)和上下级关系。Coverage and hierarchy checks."""
    import pandas as pd

    from mzgis.boundary.coverage import Tolerances, check_coverage
    from mzgis.boundary.service import check_store_coverage

    tol = Tolerances(gap_width_m=gap_width_m, min_area_m2=min_area_m2)
    if file is None:
        report = check_store_coverage(open_db(db), level, tolerances=tol, unit=unit)
    else:
        units = _read_geometries(file, from_crs)
        for name, option in ((id_field, "--id-field"), (parent_field, "--parent-field")):
            if name is not None and name not in units.columns:
                raise fail(f"文件中没有字段 {name}(可用 {option} 指定)", EXIT_CODES["bad_input"])
        parents = None
        if parent_field is not None:
            # the parents the file itself holds (a file of townships and villages is a hierarchy, not peers),
            # then those of the data file (from --db or MZGIS_DB alike), when it exists
            codes = units[id_field].astype(str)
            wanted = set(units[parent_field].dropna().astype(str))
            parents = units[codes.isin(wanted)].rename(columns={id_field: "code"})[["code", "geometry"]]
            units = units[~codes.isin(wanted)]
            missing = wanted - set(parents.code)
            settings = settings_for(db)
            if missing and (isinstance(settings.db, str) or settings.db.exists()):
                stored = open_db(db).read_frame("admin_units").reset_index()
                parents = pd.concat([parents, stored[stored.code.isin(missing)][["code", "geometry"]]])
        report = check_coverage(
            units, id_field=id_field, parent_field=parent_field, parents=parents, parent_id_field="code", tolerances=tol
        )
    if out is not None:
        import pyogrio

        if out.exists():
            out.unlink()
        frame = report.findings[report.findings.geometry.notna() & ~report.findings.geometry.is_empty]
        pyogrio.write_dataframe(frame, out, layer="coverage_findings", driver="GPKG")
    if as_json:
        echo_json(report.as_dict())
        return
    s = report.summary
    typer.echo(
        f"{s['polygons']} 个面:无效 {s['invalid']},边界不吻合 {s['invalid_edges']},缝隙 {s['gaps']} 处"
        f"({s['gap_area_m2']} 平方米),重叠 {s['overlaps']} 处({s['overlap_area_m2']} 平方米),"
        f"碎片 {s['slivers']},上下级问题 {s['hierarchy']}(量算:{s['metric_crs']})"
    )
    for county in s.get("left_out", []):
        typer.echo(f"  [未检查] {county['message']}")
    for r in report.findings.itertuples():
        typer.echo(f"  [{r.kind}] {r.message}  @ {r.lon:.6f},{r.lat:.6f}")


@check_app.command("line")
def check_line_cmd(
    ours: Annotated[Path | None, typer.Argument(help="本方界线文件")] = None,
    theirs: Annotated[Path | None, typer.Argument(help="对方界线文件")] = None,
    line: Annotated[str | None, typer.Option("--line", help="数据库中的界线名称,如 路黄线")] = None,
    tolerance_m: Annotated[float, typer.Option("--tolerance-m", help="允许偏差(米)")] = 5.0,
    from_crs: Annotated[str | None, typer.Option("--from-crs", help="文件的坐标系")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """比较双方的界线版本。Compare our version of a line with the neighbour's."""
    from mzgis.boundary.lines import compare_lines
    from mzgis.boundary.service import load_line

    if line is not None:
        result = load_line(open_db(db), line).compare(tolerance_m=tolerance_m)
    elif ours is not None and theirs is not None:
        a = _read_geometries(ours, from_crs).geometry.iloc[0]
        b = _read_geometries(theirs, from_crs).geometry.iloc[0]
        try:
            result = compare_lines(a, b, tolerance_m=tolerance_m)
        except ValueError:
            raise fail("界线文件应各含一条连续的线", EXIT_CODES["bad_input"]) from None
    else:
        raise fail("请给出两个界线文件,或 --line 界线名称", EXIT_CODES["bad_input"])
    if as_json:
        echo_json(result.as_dict())
        return
    s = result.summary
    typer.echo(
        f"长度 {s['length_m']} 米;最大偏差 {s['max_deviation_m']} 米,平均 {s['mean_deviation_m']} 米,"
        f"豪斯多夫距离 {s['hausdorff_m']} 米;超过 {s['tolerance_m']} 米的段 {s['segments_over_tolerance']} 处;"
        f"两线之间面积 {s['area_between_m2']} 平方米"
    )
    if "ours_would_gain_m2" in s:
        typer.echo(
            f"若采用对方界线:本方增加 {s['ours_would_gain_m2']} 平方米,对方增加 {s['neighbour_would_gain_m2']} 平方米"
        )
    for seg in result.segments:
        typer.echo(
            f"  里程 {seg['from_m']}–{seg['to_m']} 米:最大偏差 {seg['max_deviation_m']} 米"
            f" @ {seg['lon']:.6f},{seg['lat']:.6f}"
        )


@check_app.command("markers")
def check_markers_cmd(
    line: Annotated[str | None, typer.Option("--line", help="界线名称;省略则检查全部界线")] = None,
    tolerance_m: Annotated[float, typer.Option("--tolerance-m", help="界桩到界线的允许距离(米)")] = 5.0,
    overdue_years: Annotated[int, typer.Option("--overdue-years", help="超过几年未检查算逾期")] = 5,
    unit: UnitOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """检查界桩(位置、编号、间距、三交点、状况、检查日期)。Boundary marker checks."""
    from mzgis.boundary.service import line_names, load_line
    from mzgis.clock import beijing_today

    store = open_db(db)
    names = [line] if line else line_names(store, unit=unit)
    if unit and not names:
        raise NotFound(f"区划 {unit} 没有界线", "no boundary lines in the unit")
    reports = [
        load_line(store, n).check_markers(today=beijing_today(), tolerance_m=tolerance_m, overdue_years=overdue_years)
        for n in names
    ]
    if as_json:
        echo_json([r.as_dict() for r in reports])
        return
    for r in reports:
        s = r.summary
        typer.echo(
            f"{s['line']}:界桩 {s['markers']} 个,间距 {s['spacing_min_m']}–{s['spacing_max_m']} 米"
            f"(平均 {s['spacing_mean_m']}),损坏 {s['damaged']},丢失 {s['missing']},逾期未检 {s['overdue']},"
            f"三交点 {s['tripoints_expected'] - s['tripoints_missing']}/{s['tripoints_expected']}"
        )
        for f in r.findings:
            typer.echo(f"  [{f['kind']}] {f['message']}")


@export_app.command("alignment")
def export_alignment_cmd(
    line: Annotated[str, typer.Argument(help="界线名称,如 路黄线")],
    csv_out: Annotated[Path | None, typer.Option("--csv", help="同时写出 CSV 文件")] = None,
    db: DbOption = None,
) -> None:
    """生成界线走向说明。The alignment description of a line."""
    from mzgis.boundary.alignment import segments_csv, segments_text
    from mzgis.boundary.service import load_line

    segments = load_line(open_db(db), line).alignment()
    typer.echo(segments_text(line, segments), nl=False)
    if csv_out is not None:
        csv_out.write_text(segments_csv(segments), encoding="utf-8-sig")


@export_app.command("inspection")
def export_inspection_cmd(
    line: Annotated[str, typer.Argument(help="界线名称,如 路黄线")],
    out: Annotated[Path, typer.Option("--out", help="输出目录")],
    encoding: Annotated[str, typer.Option("--encoding", help="Shapefile 编码:gbk(默认)或 utf-8")] = "gbk",
    tolerance_m: Annotated[float, typer.Option("--tolerance-m", help="允许偏差(米)")] = 5.0,
    db: DbOption = None,
) -> None:
    """导出一条界线的联检资料包(GeoPackage、Shapefile、KML、界桩登记表、走向说明、报告、清单、ZIP)。"""
    from mzgis.boundary.service import load_line
    from mzgis.io.inspection import write_inspection_package

    package = write_inspection_package(load_line(open_db(db), line), out, encoding=encoding, tolerance_m=tolerance_m)
    typer.echo(f"已写出 {len(package.files)} 个文件到 {package.folder}")
    typer.echo(f"压缩包:{package.zip_path}")
