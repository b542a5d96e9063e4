"""The ``mzgis`` command line: every command a thin call into the packages.

Domain errors become one readable line (Chinese first) and an exit code per kind; never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mzgis.errors import MzgisError
from mzgis.settings import Settings, default_demo_path

__all__ = ["EXIT_CODES", "app", "main"]

EXIT_CODES = {
    "bad_input": 2,
    "not_found": 3,
    "conflict": 4,
    "rule_violation": 5,
    "invalid_store": 6,
    "error": 1,
}

app = typer.Typer(
    help="mzgis:区县民政局 GIS 工作台(标准地名、行政区划界线、养老等设施覆盖规划)。"
    " GIS workbench of a county civil affairs bureau.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

DbOption = Annotated[
    Path | None, typer.Option("--db", help="GeoPackage 数据文件(默认取环境变量 MZGIS_DB)", show_default=False)
]


def _fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"错误:{message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def handles_errors(func: F) -> F:
    """Map domain errors to one line on stderr and the kind's exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MzgisError as exc:
            raise _fail(exc.message_zh, EXIT_CODES.get(exc.kind, 1)) from None

    return wrapper  # type: ignore[return-value]


def _settings(db: Path | None) -> Settings:
    return Settings(db=db) if db is not None else Settings()


@app.command()
@handles_errors
def init(
    path: Annotated[Path, typer.Argument(help="要新建的 GeoPackage 文件")],
    demo: Annotated[bool, typer.Option("--demo", help="载入路桥区演示数据")] = False,
    force: Annotated[bool, typer.Option("--force", help="文件已存在时覆盖")] = False,
) -> None:
    """新建数据文件(空,或载入演示区县)。Create a GeoPackage with every layer."""
    from mzgis.store import GeoPackageStore

    if path.exists() and not force:
        raise _fail(f"{path} 已存在;如要覆盖请加 --force", EXIT_CODES["conflict"])
    if path.is_dir():
        raise _fail(f"{path} 是目录", EXIT_CODES["bad_input"])
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    if demo:
        source = default_demo_path()
        if not source.exists():
            raise _fail(f"找不到演示数据 {source}(可运行 scripts/build_demo.py 重新生成)", 3)
        GeoPackageStore(source)  # refuse a damaged demo file before copying it
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        typer.echo(f"已新建 {path}(路桥区演示数据)")
    else:
        GeoPackageStore.create(path)
        typer.echo(f"已新建 {path}(空)")


@app.command()
@handles_errors
def info(db: DbOption = None) -> None:
    """显示图层、要素数、坐标系和范围。Layers, counts, CRS and extent."""
    from mzgis.crs import STORAGE_EPSG, to_metric
    from mzgis.store import open_store

    settings = _settings(db)
    store = open_store(settings.db)
    typer.echo(f"数据文件:{store.location}")
    typer.echo(f"坐标系:EPSG:{STORAGE_EPSG}(CGCS2000 经纬度)")
    extents = []
    for layer in store.layer_infos():
        ext = "" if layer.extent is None else " 范围 {:.6f},{:.6f} – {:.6f},{:.6f}".format(*layer.extent)
        typer.echo(f"  {layer.name:<22} {layer.label_zh:<10} {layer.geometry or '属性表':<13} {layer.count:>7} 条{ext}")
        if layer.extent:
            extents.append(layer.extent)
    if extents:
        w, s = min(e[0] for e in extents), min(e[1] for e in extents)
        e_, n = max(e[2] for e in extents), max(e[3] for e in extents)
        typer.echo(f"总范围:经度 {w:.6f} – {e_:.6f},纬度 {s:.6f} – {n:.6f}")
        typer.echo(f"量算用投影:EPSG:{to_metric((w, s, e_, n))}(CGCS2000 3 度带高斯-克吕格)")
    typer.echo(f"修改记录:{len(store.audit(limit=None))} 条")


@app.command()
@handles_errors
def coords(
    lon: Annotated[float, typer.Argument(help="经度(或投影 x)")],
    lat: Annotated[float, typer.Argument(help="纬度(或投影 y)")],
    from_: Annotated[str, typer.Option("--from", help="源坐标系:gcj02、bd09、wgs84、cgcs2000、EPSG:N")] = "gcj02",
    to: Annotated[str, typer.Option("--to", help="目标坐标系:gcj02、bd09、wgs84、cgcs2000、EPSG:N")] = "cgcs2000",
) -> None:
    """坐标换算(火星坐标、百度坐标、CGCS2000、EPSG)。Convert one coordinate pair, printed as LON LAT."""
    from mzgis.crs import convert, parse_system

    x, y = convert(lon, lat, from_, to)
    target = parse_system(to)
    projected = not isinstance(target, str) and not target.is_geographic
    digits = 4 if projected else 9
    typer.echo(f"{float(x):.{max(digits, 8)}f} {float(y):.{max(digits, 8)}f}")


@app.command("import")
@handles_errors
def import_(
    layer: Annotated[str, typer.Argument(help="目标图层,如 eldercare_facilities")],
    file: Annotated[Path, typer.Argument(help="GeoJSON / GeoPackage / Shapefile / CSV / XLSX 文件")],
    from_crs: Annotated[
        str | None,
        typer.Option("--from-crs", help="源坐标系:gcj02(高德/腾讯)、bd09(百度)、wgs84、cgcs2000、EPSG:N"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查,不写入")] = False,
    source_layer: Annotated[str | None, typer.Option("--source-layer", help="源文件中的图层名")] = None,
    user: Annotated[str | None, typer.Option("--user", help="记录在修改记录中的操作人")] = None,
    db: DbOption = None,
) -> None:
    """导入文件到图层(全部合格才写入)。Import a file into a layer, all-or-nothing."""
    from rich.progress import Progress

    from mzgis.io.importer import import_file
    from mzgis.store import open_store

    settings = _settings(db)
    store = open_store(settings.db)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("检查", total=None)

        def step(done: int, total: int) -> None:
            if total >= 200:
                bar.update(task, completed=done, total=total)

        report = import_file(
            store, layer, file, user=user or settings.user, from_crs=from_crs, dry_run=dry_run, progress=step
        )
    for note in report.notes:
        typer.echo(f"说明:{note}")
    for rej in report.rejected:
        typer.echo(f"第 {rej.row} 行 {rej.label}:" + ";".join(rej.problems))
    typer.echo(report.summary_zh())
    if report.rejected:
        raise typer.Exit(EXIT_CODES["rule_violation"])


@app.command()
@handles_errors
def layers() -> None:
    """列出图层模型(图层、几何类型、字段)。The layer model."""
    from mzgis.layers import LAYERS

    for layer in LAYERS.values():
        typer.echo(f"{layer.name}  {layer.label_zh}  {layer.geometry or '属性表'}")
        for f in layer.fields:
            extra = ("必填 " if f.required else "") + ("唯一 " if f.unique else "")
            if f.choices:
                extra += "取值:" + "/".join(f.choices)
            typer.echo(f"    {f.name:<20} {f.type:<8} {f.label_zh} {extra}".rstrip())


@app.command()
@handles_errors
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option("--host", help="监听地址")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口")] = None,
) -> None:
    """启动网页与 API 服务。Start the web app and API."""
    import uvicorn

    from mzgis.api import create_app
    from mzgis.store import open_store

    settings = _settings(db)
    if host:
        settings.host = host
    if port:
        settings.port = port
    open_store(settings.db)  # one clear message now rather than at the first request
    typer.echo(f"mzgis 已启动:http://{settings.host}:{settings.port}/  (数据 {settings.db})")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def main() -> None:
    """Console-script entry point."""
    app()
