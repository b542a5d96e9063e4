"""Maps and projects for other tools: `mzgis map` (print maps) and `mzgis qgis-project`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mzgis.cli import app
from mzgis.cli.common import DbOption, fail, open_db

__all__ = ["map_cmd", "qgis_project_cmd"]


@app.command("qgis-project")
def qgis_project_cmd(
    out: Annotated[Path, typer.Option("--out", help="项目文件 .qgz(或 .qgs)")],
    db: DbOption = None,
) -> None:
    """写出数据文件的 QGIS 项目:中文字段名、下拉选项、系统字段只读、与网页一致的配色、乡镇注记。"""
    from mzgis.io.qgis_project import county_view, write_qgis_project

    store = open_db(db)
    if out.suffix.lower() not in (".qgz", ".qgs"):
        raise fail(f"项目文件须以 .qgz 或 .qgs 结尾:{out.name}", 2)
    if not out.parent.is_dir():
        raise fail(f"目录不存在:{out.parent}", 2)
    townships = {f.properties["code"] for f in store.features("admin_units", where={"level": "township"})}
    county, extent = county_view(store.features("admin_units", where={"level": "county"}), townships)
    from mzgis.store.postgis import PostGISStore

    if isinstance(store, PostGISStore):  # the database through QGIS's PostgreSQL provider, without a password
        write_qgis_project(out, store.url, title=f"{county or '全部区县'} 民政 GIS", extent=extent, schema=store.schema)
        typer.echo(f"已写出 QGIS 项目 {out}(数据库 {store.location},不含密码:QGIS 打开时询问或读取 .pgpass)")
        return
    title = f"{county or Path(store.location).stem} 民政 GIS"
    write_qgis_project(out, Path(store.location), title=title, extent=extent)
    typer.echo(f"已写出 QGIS 项目 {out}(数据文件 {Path(store.location).name},以相对路径引用)")


@app.command("map")
def map_cmd(
    out: Annotated[Path, typer.Option("--out", help="输出文件 .pdf 或 .png")],
    township: Annotated[str | None, typer.Option("--township", help="乡镇(街道)代码或名称")] = None,
    line: Annotated[str | None, typer.Option("--line", help="界线名称,如 路黄线")] = None,
    from_m: Annotated[float | None, typer.Option("--from-m", help="界线里程起点(米)")] = None,
    to_m: Annotated[float | None, typer.Option("--to-m", help="界线里程终点(米)")] = None,
    bbox: Annotated[str | None, typer.Option("--bbox", help="范围:西,南,东,北(经纬度)")] = None,
    layers: Annotated[str | None, typer.Option("--layers", help="图层,逗号分隔(默认区划、界线、设施)")] = None,
    title: Annotated[str | None, typer.Option("--title", help="标题")] = None,
    paper: Annotated[str, typer.Option("--paper", help="A4 或 A3")] = "A4",
    portrait: Annotated[bool, typer.Option("--portrait", help="纵向(默认横向)")] = False,
    coverage: Annotated[
        str | None,
        typer.Option("--coverage", help="按十四五目标着色乡镇并勾出未覆盖的村,如 beds_per_1000、burial_coverage"),
    ] = None,
    db: DbOption = None,
) -> None:
    """出图:一页 A4/A3 的 PDF 或 PNG,含标题、图例、比例尺、指北针、数据来源与日期。Print map."""
    from mzgis.crs import parse_bbox
    from mzgis.io.printmap import render_map
    from mzgis.mapviews import build_view

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise fail(f"输出文件须以 .pdf 或 .png 结尾:{out.name}", 2)
    if not out.parent.is_dir():
        raise fail(f"目录不存在:{out.parent}", 2)
    view = build_view(
        open_db(db),
        township=township,
        line=line,
        from_m=from_m,
        to_m=to_m,
        bbox=parse_bbox(bbox),
        layers=[x.strip() for x in layers.split(",") if x.strip()] if layers else None,
        title=title,
        paper=paper.upper(),
        portrait=portrait,
        coverage=coverage,
    )
    drawn = render_map(view, fmt, dpi=200)
    out.write_bytes(drawn.data)
    typer.echo(f"已写出 {out}({view.paper}{'纵向' if portrait else '横向'},比例尺 1:{drawn.scale:,})")
    if drawn.labels_left_out:
        typer.echo(f"注记 {len(drawn.labels_left_out)} 个因与线、其他注记或图饰重叠未标注")
