"""The ``mzgis`` command line: every command a thin call into the packages.

Domain errors become one readable line (Chinese first) and an exit code per kind; never a traceback.
"""

from __future__ import annotations

import datetime
import os
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from mzgis.errors import MzgisError, NotFound, StaleVersion
from mzgis.settings import Settings, default_demo_path

if TYPE_CHECKING:
    from mzgis.store import Backend

__all__ = ["EXIT_CODES", "app", "main"]

EXIT_CODES = {
    "bad_input": 2,
    "not_found": 3,
    "conflict": 4,
    "rule_violation": 5,
    "invalid_store": 6,
    "not_signed_in": 7,
    "forbidden": 8,
    "busy": 9,
    "too_large": 2,
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
    str | None,
    typer.Option(
        "--db",
        help="GeoPackage 数据文件或 PostgreSQL 数据库地址 postgresql://用户@主机/库(默认取环境变量 MZGIS_DB)",
        show_default=False,
    ),
]


UnitOption = Annotated[
    str | None, typer.Option("--unit", help="只看此区县或乡镇(区划代码,如 331004;库中有多个区县时用)")
]
UserOption = Annotated[str | None, typer.Option("--user", help="代谁操作(与运行命令的系统账号一并记入修改记录)")]
OverrideOption = Annotated[
    str | None, typer.Option("--override-reason", help="违反规则(错误级)仍要保存时的理由,记入修改记录")
]
DropZOption = Annotated[bool, typer.Option("--drop-z", help="去掉几何的 Z 坐标(高程)后导入;不加时带高程的行被拒绝")]
UseMapOption = Annotated[
    str | None, typer.Option("--use-map", help="使用保存的列对应(来源名称;--map 可再补充或改写其中几列)")
]
SaveMapOption = Annotated[
    str | None, typer.Option("--save-map", help="导入(或试运行)全部合格后,把这次的列对应以此来源名称保存在数据文件中")
]
MapOption = Annotated[
    str | None,
    typer.Option("--map", help="列对应:源列=字段,逗号分隔,如 adcode=code,名称=name,X坐标=lon(字段可写中文名)"),
]


def _fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"错误:{message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def handles_errors(func: F) -> F:
    """Map domain errors to one line on stderr and the kind's exit code; a file the system cannot read or
    write is exit 2, a damaged database exit 6, anything unexpected one line and exit 1 (the traceback
    only with MZGIS_DEBUG=1)."""
    import click

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MzgisError as exc:
            if isinstance(exc, StaleVersion):
                from mzgis.clock import beijing_time

                exc = exc.in_time(beijing_time)  # users read Beijing time; the store keeps UTC
            raise _fail(exc.message_zh, EXIT_CODES.get(exc.kind, 1)) from None
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            where = f"{exc.filename}:" if exc.filename else ""
            raise _fail(f"无法读写文件 {where}{exc.strerror or exc}", EXIT_CODES["bad_input"]) from None
        except sqlite3.DatabaseError as exc:
            raise _fail(f"数据文件无法使用:{exc}", EXIT_CODES["invalid_store"]) from None
        except Exception as exc:
            if os.environ.get("MZGIS_DEBUG"):
                raise
            raise _fail(f"内部错误({type(exc).__name__}:{exc});请报告此问题", EXIT_CODES["error"]) from None

    return wrapper  # type: ignore[return-value]


def _settings(db: str | None) -> Settings:
    return Settings(db=db) if db is not None else Settings()


def _recorded(on_behalf_of: str | None, settings: Settings) -> str:
    """Who a CLI write is recorded as: the operating-system account that ran it, and beside it (never
    instead) the person it was done for (``--user``, or ``MZGIS_USER``)."""
    import getpass

    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        account = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    for_whom = (on_behalf_of or settings.user or "").strip()
    return f"{account}(代 {for_whom})" if for_whom and for_whom != account else account


def _scope(on_behalf_of: str | None, store: Backend, db: str | None) -> str | None:
    """The jurisdiction a CLI write is confined to: that of the account it is done for (``--user`` or
    ``MZGIS_USER``), when ``store`` holds such an account with a scope; none for the system account alone."""
    who = (on_behalf_of or _settings(db).user or "").strip()
    account = store.account(who) if who else None
    scope = account.get("scope") if account else None
    return str(scope) if scope else None


def _date(text: str, option: str) -> datetime.date:
    from mzgis.errors import BadInput

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} “{text}”应为日期 YYYY-MM-DD", f"{option} must be YYYY-MM-DD") from None


def _open(db: str | None) -> Backend:
    from mzgis.store import open_store

    settings = _settings(db)
    return open_store(settings.db, write_wait_s=settings.write_wait_s)


def _clear_for_new_file(file: Path, *, force: bool, not_same_as: str | None = None) -> None:
    """Make way for a new data file at ``file``: refused when it exists (without ``force``), is a folder or is
    the file ``not_same_as``; else the old file and its WAL leftovers are removed and the folder made."""
    if file.exists() and not force:
        raise _fail(f"{file} 已存在;如要覆盖请加 --force", EXIT_CODES["conflict"])
    if file.is_dir():
        raise _fail(f"{file} 是目录", EXIT_CODES["bad_input"])
    if not_same_as is not None and file.exists() and file.resolve() == Path(not_same_as).resolve():
        raise _fail("源和目标是同一个文件", EXIT_CODES["bad_input"])
    file.parent.mkdir(parents=True, exist_ok=True)
    for stale in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        stale.unlink(missing_ok=True)


@app.command()
@handles_errors
def init(
    path: Annotated[
        str, typer.Argument(help="要新建的 GeoPackage 文件,或已有的 PostgreSQL 数据库 postgresql://用户@主机/库")
    ],
    demo: Annotated[bool, typer.Option("--demo", help="载入路桥区演示数据")] = False,
    county: Annotated[
        str | None,
        typer.Option("--county", help="按全国统计用区划代码登记本区县及其乡镇、村(代码或名称,如 331004 或 路桥区)"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="文件已存在(或数据库中已有 mzgis 数据)时覆盖")] = False,
) -> None:
    """新建数据文件或数据库结构(空、载入演示区县,或按全国区划代码登记一个区县)。Create a store with every layer."""
    from mzgis.store import create_store, is_database_url, open_store

    if demo and county:
        raise _fail("--demo 和 --county 只能选一个", EXIT_CODES["bad_input"])
    units = None
    if county is not None:  # looked up before anything is written: an unknown county leaves no file
        from mzgis.divisions import county_units

        units = county_units(county)
    if demo:  # the demo file is checked before anything is created
        source_path = default_demo_path()
        if not source_path.exists():
            raise _fail(f"找不到演示数据 {source_path}(可运行 scripts/build_demo.py 重新生成)", 3)
        source = open_store(source_path)  # refuses a damaged demo file
    if is_database_url(path):
        store = create_store(path, replace=force)
        where = store.location
    else:
        file = Path(path)
        _clear_for_new_file(file, force=force)
        if demo:  # the demo file as it is (a byte copy keeps it a GeoPackage exactly as built)
            with closing(sqlite3.connect(source_path)) as src, closing(sqlite3.connect(file)) as dst:
                src.backup(dst)
            typer.echo(f"已新建 {file}(路桥区演示数据)")
            return
        store = create_store(file)
        where = str(file)
    if demo:
        from mzgis.store.copy import copy_store

        copy_store(source, store)
        typer.echo(f"已新建 {where}(路桥区演示数据)")
    elif units is not None:
        from mzgis.divisions import SOURCE_ZH

        reason = f"按{SOURCE_ZH}登记"
        with store.transaction(user=_recorded(None, _settings(None)), reason=reason) as tx:
            tx.insert_many(
                "admin_units",
                [
                    (
                        {
                            "code": u.code,
                            "name": u.name,
                            "level": u.level,
                            "parent_code": u.parent_code,
                            "official_name": u.official_name,
                        },
                        None,
                    )
                    for u in units
                ],
            )
        towns = sum(u.level == "township" for u in units)
        typer.echo(
            f"已新建 {where}:{units[0].name}({units[0].code}),"
            f"{towns} 个乡镇(街道)、{len(units) - towns - 1} 个村(社区),"
            f"代码和名称取自{SOURCE_ZH};区划面尚未导入(mzgis import admin_units 面文件 --update 按代码补上)"
        )
        _echo_seeded(_seed(store, reason=reason))

    else:
        typer.echo(f"已新建 {where}(空)")


def _seed(store: Any, *, reason: str = "", under: str | None = None) -> Any:
    from mzgis.divisions import SOURCE_ZH
    from mzgis.gazetteer.divisions import seed_division_names
    from mzgis.gazetteer.service import Gazetteer

    user = _recorded(None, _settings(None))
    return seed_division_names(Gazetteer(store), source=SOURCE_ZH, user=user, under=under, reason=reason)


def _echo_seeded(report: Any) -> None:
    if not report.added:
        typer.echo("各区划单位已有标准地名,无需登记")
        return
    waiting = (
        f",其中 {report.without_position} 个尚无位置(导入区划面后自动取面内代表点)" if report.without_position else ""
    )
    typer.echo(f"已登记区划名称(标准地名){report.added} 个,均为现行{waiting}")


@app.command("copy")
@handles_errors
def copy_cmd(
    source: Annotated[str, typer.Argument(help="源:GeoPackage 数据文件或 PostgreSQL 数据库地址")],
    target: Annotated[str, typer.Argument(help="目标:新的 GeoPackage 文件,或 PostgreSQL 数据库地址")],
    force: Annotated[bool, typer.Option("--force", help="目标文件已存在(或数据库中已有 mzgis 数据)时清空重建")] = False,
    unit: Annotated[
        str | None, typer.Option("--unit", help="只复制这个区县(或乡镇)的部分,如 331002:市库交还一个区县")
    ] = None,
) -> None:
    """复制整个数据库(GeoPackage ↔ PostGIS):要素连同编号、版本、修改记录、变更集、账号和材料,复制后逐表核对。"""
    from mzgis.errors import InvalidStore
    from mzgis.store import create_store, is_database_url, open_store
    from mzgis.store.copy import copy_store, copy_unit

    src = open_store(source)
    if not is_database_url(target):
        _clear_for_new_file(Path(target), force=force, not_same_as=source)
    if is_database_url(target) and not force:  # a database may hold mzgis's tables already, still empty
        try:
            dst = open_store(target)
        except InvalidStore:
            dst = create_store(target)
    else:
        dst = create_store(target, replace=force)
    try:
        report = copy_store(src, dst) if unit is None else copy_unit(src, dst, unit)
    except BaseException:
        if not is_database_url(target):  # a file that failed to fill is not left behind
            Path(target).unlink(missing_ok=True)
        raise
    c = report.counts
    typer.echo(f"已复制 {src.location} → {dst.location}")
    typer.echo(f"  图层:{_layer_counts(c)}")
    if unit is not None:
        typer.echo(f"  {unit} 的部分:修改记录 {c['audit']} 条,变更集 {c['changesets']} 个,材料 {c['documents']} 份")
        typer.echo(
            f"  已核对条数和校验和(SHA-256 {report.checksum[:16]}…);账号不复制;"
            "源库记下了新文件,以后从它导出的地名表仍能按编号对应回源库"
        )
        return
    typer.echo(
        f"  修改记录 {c['audit']} 条,变更集 {c['changesets']} 个,账号 {c['accounts']} 个,"
        f"材料 {c['documents']} 份,设置 {c['meta']} 项"
    )
    typer.echo(f"  已逐表核对条数和校验和(SHA-256 {report.checksum[:16]}…);登录令牌不复制,用户需在新库重新登录")


def _layer_counts(counts: dict[str, int]) -> str:
    """The layers' row counts of a copy or merge, as one line (the history and settings are said apart)."""
    from mzgis.layers import LAYERS

    return "、".join(f"{name} {n}" for name, n in counts.items() if name in LAYERS)


@app.command("merge")
@handles_errors
def merge_cmd(
    source: Annotated[str, typer.Argument(help="源:一个区县的数据文件或数据库")],
    target: Annotated[str, typer.Argument(help="目标:已有其他区县的数据库(或数据文件)")],
    accounts: Annotated[bool, typer.Option("--accounts", help="同时带入源的账号(重名则不合并)")] = False,
) -> None:
    """把一个区县的数据并入已有其他区县的库:要素连同版本、修改记录、曾用名、地名申报和材料,一次写入并核对。"""
    from mzgis.store import open_store
    from mzgis.store.merge import merge_store

    src, dst = open_store(source), open_store(target)
    report = merge_store(src, dst, accounts=accounts)
    c = report.counts
    counties = "、".join(f"{name}({code})" for code, name in report.counties)
    typer.echo(f"已把 {counties} 从 {src.location} 并入 {dst.location}")
    typer.echo(f"  图层:{_layer_counts(c)}")
    typer.echo(
        f"  修改记录 {c['audit']} 条,变更集 {c['changesets']} 个,材料 {c['documents']} 份"
        + (f",账号 {c['accounts']} 个" if accounts else "(账号未带入,可加 --accounts)")
    )
    shifted = "、".join(f"{name} +{n}" for name, n in report.offsets.items() if n and c.get(name))
    typer.echo(f"  编号:{'顺延 ' + shifted if shifted else '未变'}(对照已记入目标,源文件以后导出的表仍能按编号对应)")
    for line in report.kept:
        typer.echo(f"  {line}")
    typer.echo(f"  已核对带入的条数和校验和(SHA-256 {report.checksum[:16]}…)")


@app.command()
@handles_errors
def units(
    query: Annotated[str | None, typer.Argument(help="名称或代码的一部分,如 章安、331002008")] = None,
    level: Annotated[str | None, typer.Option("--level", help="county、township 或 village")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """列出本数据中的区划单位及其代码(导入表格时可用名称代替代码)。The register's admin units."""
    levels = {"county": "区县", "township": "乡镇(街道)", "village": "村(社区)"}
    if level is not None and level not in levels:
        raise _fail("--level 只能是 county、township 或 village", EXIT_CODES["bad_input"])
    key = (query or "").strip()
    found = [
        u.properties
        for u in _open(db).features("admin_units", where={"level": level} if level else None, geometry=False)
        if not key or key in str(u.properties["code"]) or key in str(u.properties["name"])
        or key in str(u.properties.get("official_name") or "")
    ]  # fmt: skip
    rows = [
        {"code": p["code"], "name": p["name"], "level": p["level"], "parent_code": p.get("parent_code")}
        for p in sorted(found, key=lambda p: str(p["code"]))
    ]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['code']}  {r['name']}  {levels.get(str(r['level']), r['level'])}")
    typer.echo(f"共 {len(rows)} 个区划单位")


@app.command()
@handles_errors
def info(db: DbOption = None) -> None:
    """显示图层、要素数、坐标系和范围。Layers, counts, CRS and extent."""
    from mzgis.crs import STORAGE_EPSG, to_metric
    from mzgis.store import open_store

    settings = _settings(db)
    store = open_store(settings.db, write_wait_s=settings.write_wait_s)
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
    update: Annotated[
        bool, typer.Option("--update", help="按唯一键更新已有数据(只改文件中有的列),其余新增;相同的行不动")
    ] = False,
    source_layer: Annotated[str | None, typer.Option("--source-layer", help="源文件中的图层名")] = None,
    user: UserOption = None,
    drop_z: DropZOption = False,
    override_reason: OverrideOption = None,
    column_map: MapOption = None,
    use_map: UseMapOption = None,
    save_map: SaveMapOption = None,
    db: DbOption = None,
) -> None:
    """导入文件到图层(全部合格才写入)。Import a file into a layer, all-or-nothing."""
    from rich.progress import Progress

    from mzgis.io.importer import import_file
    from mzgis.layers import get_layer

    if get_layer(layer).gate:  # place names pass the gazetteer's rules and romanization, like names import
        _import_names(
            file,
            from_crs,
            source_layer,
            dry_run,
            override_reason,
            user,
            drop_z,
            db,
            update=update,
            column_map=column_map,
            use_map=use_map,
            save_map=save_map,
        )
        return

    settings = _settings(db)
    store = _open(db)
    rename = _column_map(store, layer, column_map, use_map)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("检查", total=None)

        def step(done: int, total: int) -> None:
            if total >= 200:
                bar.update(task, completed=done, total=total)

        report = import_file(
            store,
            layer,
            file,
            user=_recorded(user, settings),
            from_crs=from_crs,
            source_layer=source_layer,
            dry_run=dry_run,
            update=update,
            drop_z=drop_z,
            progress=step,
            rename=rename,
        )
    for note in report.notes:
        typer.echo(f"说明:{note}")
    for rej in report.rejected:
        typer.echo(f"第 {rej.row} 行 {rej.label}:" + ";".join(rej.problems))
    typer.echo(report.summary_zh())
    if report.rejected:
        raise typer.Exit(EXIT_CODES["rule_violation"])
    _keep_map(store, layer, save_map, rename, _recorded(user, settings))


def _column_map(store: Any, layer: str, given: str | None, use: str | None) -> dict[str, str]:
    from mzgis.io.column_maps import resolve_map
    from mzgis.io.readers import parse_column_map

    return resolve_map(store, layer, parse_column_map(given), use)


def _keep_map(store: Any, layer: str, name: str | None, mapping: dict[str, str], user: str) -> None:
    if name is None:
        return
    from mzgis.io.column_maps import save_map

    save_map(store, name, layer, mapping, user=user)
    typer.echo(f"已保存列对应“{name}”({layer}):" + ",".join(f"{k}={v}" for k, v in mapping.items()))


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


names_app = typer.Typer(help="标准地名:检查、查询、新增、更名、废止、导入导出。Place names.", no_args_is_help=True)
app.add_typer(names_app, name="names")


def _gazetteer(db: str | None) -> Any:
    from mzgis.gazetteer.service import Gazetteer

    return Gazetteer(_open(db))


def _point(lon: float, lat: float, from_crs: str) -> Any:
    from shapely.geometry import Point

    from mzgis.crs import convert

    x, y = convert(lon, lat, from_crs, "cgcs2000")
    return Point(float(x), float(y))


def _echo_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _echo_findings(findings: list[Any]) -> None:
    if not findings:
        typer.echo("  未发现问题")
    for f in findings:
        mark = "错误" if f.severity == "error" else "提示"
        typer.echo(f"  [{mark}] {f.rule}:{f.message}")


CategoryOption = Annotated[str, typer.Option("--category", help="地名类别,如 self_governing_org、transport_facility")]
AdminOption = Annotated[str, typer.Option("--admin", help="所在区划代码(拟设村名可填乡镇代码)")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]
VersionOption = Annotated[int, typer.Option("--version", help="你所编辑的版本号(防止覆盖他人修改)")]


@names_app.command("seed-divisions")
@handles_errors
def names_seed_divisions(
    unit: UnitOption = None,
    db: DbOption = None,
) -> None:
    """把区划单位(区县、乡镇、村社区)的名称登记为标准地名(已有的不重复登记)。Division names into the gazetteer."""
    _echo_seeded(_seed(_open(db), under=unit))


@names_app.command("check-name")
@handles_errors
def names_check_name(
    name: Annotated[str, typer.Argument(help="拟用名称")],
    category: CategoryOption,
    admin: AdminOption,
    subcategory: Annotated[str | None, typer.Option("--subcategory", help="小类,如 road、village")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """检查拟用地名(不保存)。Check a proposed name against the naming rules."""
    result = _gazetteer(db).check(name, category, admin, subcategory=subcategory)
    if as_json:
        _echo_json(result.as_dict())
    else:
        typer.echo(f"{result.name}  {result.romanized}(专名 {result.specific},通名 {result.generic or '无'})")
        if len(result.words) > 2 or (result.words and result.words[-1][0] != result.generic):
            # the words the spelling rests on, where they are not simply specific and generic
            typer.echo("  拼写依据:" + " | ".join(f"{zh} {roman}" for zh, roman in result.words))
        _echo_findings(result.findings)
    if result.blocked:
        raise typer.Exit(EXIT_CODES["rule_violation"])


@names_app.command("check")
@handles_errors
def names_check(
    as_json: JsonOption = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="把清理整治表写入 Excel 文件")] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="整治完成时限 YYYY-MM-DD(默认:错误 90 天、提示 180 天)")
    ] = None,
    db: DbOption = None,
) -> None:
    """对全部地名运行规则检查(不规范地名清理整治表)。Run every rule over the gazetteer."""
    from mzgis.io.names import write_cleanup_report

    gaz = _gazetteer(db)
    if xlsx is not None:
        table = write_cleanup_report(gaz, xlsx, deadline=_date(deadline, "--deadline") if deadline else None)
        typer.echo(f"已写入 {xlsx}:{table['编号'].nunique()} 个地名,{len(table)} 条问题")
        return
    results = gaz.check_all()
    if as_json:
        _echo_json(
            [{"id": f.id, "name": f.properties["name"], "findings": [x.as_dict() for x in fs]} for f, fs in results]
        )
        return
    for feature, findings in results:
        typer.echo(f"#{feature.id} {feature.properties['name']}({feature.properties['admin_code']})")
        _echo_findings(findings)
    errors = sum(1 for _, fs in results for f in fs if f.severity == "error")
    typer.echo(f"共 {len(results)} 个地名有问题,其中错误 {errors} 条")


@names_app.command("search")
@handles_errors
def names_search(
    query: Annotated[str, typer.Argument(help="中文、全拼(lunan)、首字母(lnjd);可为空,配合 --near")] = "",
    near: Annotated[str | None, typer.Option("--near", help="LON,LAT(CGCS2000)")] = None,
    within: Annotated[float | None, typer.Option("--within", help="与 --near 合用:距离(米)以内")] = None,
    category: Annotated[str | None, typer.Option("--category", help="地名类别")] = None,
    township: Annotated[str | None, typer.Option("--township", help="乡镇代码(9 位)")] = None,
    status: Annotated[str | None, typer.Option("--status", help="current / proposed / retired")] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多结果数")] = 20,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """查询地名。Search place names."""
    point = None
    if near:
        from mzgis.crs import check_lonlat

        try:
            lon, lat = (float(v) for v in near.split(","))
        except ValueError:
            raise _fail("--near 应为 经度,纬度", EXIT_CODES["bad_input"]) from None
        check_lonlat(lon, lat)
        point = (lon, lat)
    hits = _gazetteer(db).search(
        query, category=category, township=township, status=status, near=point, within_m=within, limit=limit
    )
    if as_json:
        _echo_json(
            [
                {
                    "id": h.record.id,
                    "name": h.record.name,
                    "romanized": h.record.romanized,
                    "category": h.record.category,
                    "admin_code": h.record.admin_code,
                    "status": h.record.status,
                    "score": h.score,
                    "matched": h.matched,
                    "distance_m": None if h.distance_m is None else round(h.distance_m, 1),
                }
                for h in hits
            ]
        )
        return
    if not hits:
        typer.echo("没有找到")
    how = {
        "name": "名称",
        "name_prefix": "名称开头",
        "name_contains": "名称包含",
        "homophone": "同音",
        "pinyin": "拼音",
        "pinyin_prefix": "拼音开头",
        "initials": "首字母",
        "initials_prefix": "首字母开头",
        "fuzzy": "拼音近似",
        "near": "附近",
    }
    for h in hits:
        dist = "" if h.distance_m is None else f"  {h.distance_m:.0f} 米"
        typer.echo(f"#{h.record.id} {h.record.name}  {h.record.romanized}  [{how.get(h.matched, h.matched)}]{dist}")


@names_app.command("add")
@handles_errors
def names_add(
    name: Annotated[str, typer.Argument(help="标准名称")],
    category: CategoryOption,
    admin: AdminOption,
    lon: Annotated[float, typer.Option("--lon", help="经度")],
    lat: Annotated[float, typer.Option("--lat", help="纬度")],
    subcategory: Annotated[str | None, typer.Option("--subcategory", help="小类")] = None,
    status: Annotated[str, typer.Option("--status", help="current / proposed")] = "current",
    origin: Annotated[str | None, typer.Option("--origin", help="来历含义")] = None,
    approval_ref: Annotated[str | None, typer.Option("--approval-ref", help="批准文号")] = None,
    approved_on: Annotated[str | None, typer.Option("--approved-on", help="批准日期 YYYY-MM-DD")] = None,
    from_crs: Annotated[str, typer.Option("--from-crs", help="坐标系")] = "cgcs2000",
    reason: Annotated[str, typer.Option("--reason", help="修改说明")] = "",
    override_reason: OverrideOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """新增地名。Add a place name."""
    props = {
        "name": name,
        "category": category,
        "subcategory": subcategory,
        "admin_code": admin,
        "status": status,
        "origin": origin,
        "approval_ref": approval_ref,
        "approved_on": approved_on,
    }
    gaz = _gazetteer(db)
    f = gaz.create(
        props,
        _point(lon, lat, from_crs),
        user=_recorded(user, _settings(db)),
        scope=_scope(user, gaz.store, db),
        reason=reason,
        override_reason=override_reason,
    )
    typer.echo(f"已新增 #{f.id} {f.properties['name']} {f.properties['romanized']}(版本 {f.version})")


@names_app.command("rename")
@handles_errors
def names_rename(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    new_name: Annotated[str, typer.Argument(help="新名称")],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="更名理由")],
    on: Annotated[str | None, typer.Option("--on", help="更名日期 YYYY-MM-DD(默认今天)")] = None,
    override_reason: OverrideOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """更名(原名记入曾用名)。Rename; the old name goes to former_names."""
    gaz = _gazetteer(db)
    f = gaz.rename(
        fid,
        new_name,
        expected_version=version,
        user=_recorded(user, _settings(db)),
        scope=_scope(user, gaz.store, db),
        reason=reason,
        on=on,
        override_reason=override_reason,
    )
    typer.echo(f"#{f.id} 已更名为 {f.properties['name']} {f.properties['romanized']}(版本 {f.version})")


@names_app.command("move")
@handles_errors
def names_move(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    lon: Annotated[float, typer.Option("--lon", help="经度")],
    lat: Annotated[float, typer.Option("--lat", help="纬度")],
    version: VersionOption,
    from_crs: Annotated[str, typer.Option("--from-crs", help="坐标系")] = "cgcs2000",
    reason: Annotated[str, typer.Option("--reason", help="修改说明")] = "",
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """移动地名位置。Move a place name."""
    gaz = _gazetteer(db)
    f = gaz.move(
        fid,
        _point(lon, lat, from_crs),
        expected_version=version,
        user=_recorded(user, _settings(db)),
        reason=reason,
        scope=_scope(user, gaz.store, db),
    )
    typer.echo(f"#{f.id} {f.properties['name']} 已移动(版本 {f.version})")


@names_app.command("retire")
@handles_errors
def names_retire(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="废止原因")],
    on: Annotated[str | None, typer.Option("--on", help="废止日期 YYYY-MM-DD(默认今天)")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """废止地名(保留记录)。Retire a name; the record is kept."""
    gaz = _gazetteer(db)
    f = gaz.retire(
        fid,
        expected_version=version,
        user=_recorded(user, _settings(db)),
        reason=reason,
        on=on,
        scope=_scope(user, gaz.store, db),
    )
    typer.echo(f"#{f.id} {f.properties['name']} 已废止({f.properties['retired_on']},版本 {f.version})")


@names_app.command("restore")
@handles_errors
def names_restore(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="恢复理由")] = "",
    override_reason: OverrideOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """恢复已废止的地名。Restore a retired name."""
    gaz = _gazetteer(db)
    f = gaz.restore(
        fid,
        expected_version=version,
        user=_recorded(user, _settings(db)),
        scope=_scope(user, gaz.store, db),
        reason=reason,
        override_reason=override_reason,
    )
    typer.echo(f"#{f.id} {f.properties['name']} 已恢复(版本 {f.version})")


@names_app.command("revert")
@handles_errors
def names_revert(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    to_version: Annotated[int, typer.Option("--to-version", help="要恢复其内容的旧版本号", min=1)],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="恢复原因(必填)")] = "",
    override_reason: OverrideOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """把地名恢复为某个旧版本的内容(作为新版本,历史全部保留)。Revert a name to an earlier version's content."""
    gaz = _gazetteer(db)
    f = gaz.revert(
        fid,
        to_version,
        expected_version=version,
        user=_recorded(user, _settings(db)),
        scope=_scope(user, gaz.store, db),
        reason=reason,
        override_reason=override_reason,
    )
    typer.echo(f"#{f.id} {f.properties['name']} 已恢复为版本 {to_version} 的内容(新版本 {f.version})")


@names_app.command("history")
@handles_errors
def names_history(
    fid: Annotated[int, typer.Argument(help="地名编号")], as_json: JsonOption = False, db: DbOption = None
) -> None:
    """地名的修改历史(北京时间)。History of a name."""
    import json

    from mzgis.clock import beijing_time
    from mzgis.layers import choice_labels, get_layer

    entries = _gazetteer(db).history(fid)
    if as_json:
        _echo_json([e.__dict__ for e in entries])
        return
    layer = get_layer("place_names")
    actions = {"insert": "新建", "update": "修改", "delete": "删除"}
    choices = {f.name: choice_labels(layer, f.name) for f in layer.fields if f.choices}
    labels = {f.name: f.label_zh for f in layer.fields}

    def shown(key: str, value: Any) -> str:
        """A stored value as an officer reads it: Chinese names of allowed values, former names listed."""
        if value is None or value == "":
            return "(空)"
        if key == "former_names":
            try:
                former = json.loads(str(value))
                return "、".join(f"{f.get('name')}(至 {f.get('to') or '?'})" for f in former) or "(空)"
            except (ValueError, TypeError, AttributeError):
                return str(value)
        if key in choices and value in choices[key]:
            return choices[key][value]
        if isinstance(value, bool):
            return "是" if value else "否"
        return str(value)

    for e in entries:
        action = actions.get(e.action, e.action)
        typer.echo(f"版本 {e.version}  {beijing_time(e.changed_at)}  {e.changed_by}  {action}  {e.reason}")
        if e.action == "update" and e.before is not None and e.after is not None:
            for key in e.after:  # an edit made outside mzgis records whole rows: show what changed
                if key != "geometry" and e.before.get(key) != e.after[key]:
                    typer.echo(
                        f"    {labels.get(key, key)}:{shown(key, e.before.get(key))} → {shown(key, e.after[key])}"
                    )
                elif key == "geometry" and e.before.get(key) != e.after[key]:
                    typer.echo("    位置已移动")
        elif e.action == "insert" and e.after:
            typer.echo(f"    新建:{e.after.get('name') or ''}")


@app.command("audit")
@handles_errors
def audit_cmd(
    layer: Annotated[str | None, typer.Option("--layer", help="图层,如 place_names")] = None,
    user: Annotated[str | None, typer.Option("--user", help="修改人(账号,或系统账号)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="自某日起(北京时间 YYYY-MM-DD)")] = None,
    source: Annotated[str | None, typer.Option("--source", help="mzgis(本程序)或 external(QGIS 等其他工具)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="最多显示几条(最新的)")] = 50,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """最近的修改记录(北京时间),也包括在 QGIS 等其他工具中的修改。Recent changes by layer, user, date, source."""
    import datetime as dt

    from mzgis.clock import BEIJING, beijing_time, stamp
    from mzgis.errors import BadInput
    from mzgis.layers import get_layer

    if source not in (None, "mzgis", "external"):
        raise BadInput("--source 应为 mzgis 或 external", "--source must be mzgis or external")
    start = None
    if since is not None:
        day = _date(since, "--since")
        start = stamp(dt.datetime.combine(day, dt.time(), BEIJING))
    entries = _open(db).audit(
        layer=get_layer(layer).name if layer else None,
        user=user,
        since=start,
        outside=None if source is None else source == "external",
        limit=limit,
    )
    if as_json:
        _echo_json([e.__dict__ for e in entries])
        return
    actions = {"insert": "新增", "update": "修改", "delete": "删除"}
    for e in entries:
        what = (e.after or e.before or {}).get("name") or (e.after or e.before or {}).get("marker_id") or ""
        typer.echo(
            f"{beijing_time(e.changed_at)}  {e.layer} #{e.feature_id} {what}  {actions[e.action]}  版本 {e.version}"
            f"  {e.changed_by}  {e.reason}"
        )
    if not entries:
        typer.echo("没有符合条件的修改记录")


@names_app.command("import")
@handles_errors
def names_import(
    file: Annotated[Path, typer.Argument(help="CSV / XLSX / Shapefile / GeoJSON 地名表")],
    from_crs: Annotated[str | None, typer.Option("--from-crs", help="源坐标系")] = None,
    source_layer: Annotated[str | None, typer.Option("--source-layer", help="源文件中的图层名")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并报告,不写入")] = False,
    override_reason: OverrideOption = None,
    user: UserOption = None,
    drop_z: DropZOption = False,
    update: Annotated[
        bool, typer.Option("--update", help="有编号(id)的行更新该地名(只改不同之处,成为新版本),其余新增")
    ] = False,
    column_map: MapOption = None,
    use_map: UseMapOption = None,
    save_map: SaveMapOption = None,
    status: Annotated[
        str | None, typer.Option("--status", help="文件未给状态时新增地名的状态:proposed 拟用(默认)或 current 现行")
    ] = None,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="文件中完全相同的行也逐行导入(默认拒绝,并指出与第几行重复)")
    ] = False,
    db: DbOption = None,
) -> None:
    """导入地名表(作为一个变更集,全部通过才写入)。Import a list of names as one changeset."""
    _import_names(
        file,
        from_crs,
        source_layer,
        dry_run,
        override_reason,
        user,
        drop_z,
        db,
        update=update,
        column_map=column_map,
        use_map=use_map,
        save_map=save_map,
        status=status,
        allow_duplicates=allow_duplicates,
    )


def _import_names(
    file: Path,
    from_crs: str | None,
    source_layer: str | None,
    dry_run: bool,
    override_reason: str | None,
    user: str | None,
    drop_z: bool,
    db: str | None,
    *,
    update: bool = False,
    column_map: str | None = None,
    use_map: str | None = None,
    save_map: str | None = None,
    status: str | None = None,
    allow_duplicates: bool = False,
) -> None:
    """The gazetteer's import, for `mzgis names import` and `mzgis import place_names` alike."""
    from mzgis.io.names import import_names

    gaz = _gazetteer(db)
    rename = _column_map(gaz.store, "place_names", column_map, use_map)
    report = import_names(
        gaz,
        file,
        user=_recorded(user, _settings(db)),
        scope=_scope(user, gaz.store, db),
        from_crs=from_crs,
        source_layer=source_layer,
        dry_run=dry_run,
        override_reason=override_reason,
        drop_z=drop_z,
        update=update,
        rename=rename,
        status=status,
        allow_duplicates=allow_duplicates,
    )
    for note in report.notes:
        typer.echo(f"说明:{note}")
    for row in report.rows:
        if row.note:
            typer.echo(f"第 {row.row} 行 {row.name}:{row.note}")
        if row.problem:
            typer.echo(f"第 {row.row} 行 {row.name}:[无法导入] {row.problem}")
        elif row.findings:
            typer.echo(f"第 {row.row} 行 {row.name} {row.romanized}")
            _echo_findings(list(row.findings))
    typer.echo(report.summary_zh())
    nothing_to_do = not any(r.action != "unchanged" for r in report.rows)
    refused = any(r.problem for r in report.rows) or not (report.ok or override_reason)
    if refused or (not dry_run and not report.written and not nothing_to_do):
        raise typer.Exit(EXIT_CODES["rule_violation"])  # also a dry run that found what would be refused
    _keep_map(gaz.store, "place_names", save_map, rename, _recorded(user, _settings(db)))


@app.command("maps")
@handles_errors
def maps_cmd(
    delete: Annotated[str | None, typer.Option("--delete", help="删除这个保存的列对应")] = None,
    db: DbOption = None,
) -> None:
    """保存的导入列对应(按来源名称)。Saved column mappings of import sources."""
    from mzgis.clock import beijing_time
    from mzgis.io.column_maps import delete_map, saved_maps

    store = _open(db)
    if delete is not None:
        delete_map(store, delete)
        typer.echo(f"已删除列对应“{delete}”")
        return
    maps = saved_maps(store)
    if not maps:
        typer.echo("还没有保存的列对应(导入时加 --map … --save-map 来源名称)")
    for name, record in sorted(maps.items()):
        pairs = ",".join(f"{k}={v}" for k, v in record["map"].items())
        when = beijing_time(str(record.get("saved_at", "")))
        typer.echo(f"{name}  图层 {record.get('layer')}  {pairs}  ({record.get('saved_by', '')} {when})")


def _procedures(db: str | None) -> Any:
    from mzgis.gazetteer.procedure import Procedures

    return Procedures(_gazetteer(db))


@names_app.command("apply")
@handles_errors
def names_apply(
    name_id: Annotated[int, typer.Argument(help="拟用地名的编号")],
    applicant: Annotated[str, typer.Option("--applicant", help="申报单位(人)")],
    reasons: Annotated[str, typer.Option("--reasons", help="申报理由")],
    on: Annotated[str | None, typer.Option("--on", help="申报日期 YYYY-MM-DD(默认今天)")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """申报地名(审批程序第一步)。Apply for a proposed name."""
    procedures = _procedures(db)
    f = procedures.apply(
        name_id,
        applicant=applicant,
        reasons=reasons,
        user=_recorded(user, _settings(db)),
        on=on,
        scope=_scope(user, procedures.store, db),
    )
    typer.echo(f"已申报:{f.properties['name']}(申报编号 {f.id},版本 {f.version})")


@names_app.command("step")
@handles_errors
def names_step(
    pid: Annotated[int, typer.Argument(help="申报编号")],
    step: Annotated[
        str, typer.Argument(help="accept 受理、review 论证、approve 批准、refuse 不予批准、announce 公告、file 备案")
    ],
    version: Annotated[int, typer.Option("--version", help="申报记录的当前版本")],
    on: Annotated[str | None, typer.Option("--on", help="办理日期 YYYY-MM-DD(默认今天)")] = None,
    approval_ref: Annotated[str | None, typer.Option("--approval-ref", help="批准文号")] = None,
    expert_opinion: Annotated[str | None, typer.Option("--expert-opinion", help="专家论证意见")] = None,
    public_comment: Annotated[str | None, typer.Option("--public-comment", help="征求意见结果")] = None,
    refusal_reason: Annotated[str | None, typer.Option("--refusal-reason", help="不予批准理由")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="公告或备案文号")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """办理审批程序的一步。Take a step of the naming procedure."""
    details = {
        "approval_ref": approval_ref,
        "expert_opinion": expert_opinion,
        "public_comment": public_comment,
        "refusal_reason": refusal_reason,
        "announcement_ref": ref if step == "announce" else None,
        "filing_ref": ref if step == "file" else None,
    }
    procedures = _procedures(db)
    f = procedures.step(
        pid,
        step,
        version=version,
        user=_recorded(user, _settings(db)),
        scope=_scope(user, procedures.store, db),
        on=on,
        details={k: v for k, v in details.items() if v is not None},
    )
    from mzgis.gazetteer.procedure import STAGE_ZH

    typer.echo(f"{f.properties['name']}:{STAGE_ZH[f.properties['stage']]}(版本 {f.version})")


@names_app.command("queue")
@handles_errors
def names_queue(
    stage: Annotated[
        str | None, typer.Option("--stage", help="办理环节:applied、accepted、reviewed、approved …")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列批准后超过 15 日未公告的")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """审批队列:各环节的申报。The naming procedure's queue."""
    from mzgis.gazetteer.procedure import STAGE_ZH

    proc = _procedures(db)
    rows = [(f, None) for f in proc.queue(stage)] if not overdue else proc.overdue()
    if as_json:
        _echo_json([{"id": f.id, "version": f.version, **f.properties, "overdue_days": d} for f, d in rows])
        return
    for f, days in rows:
        p = f.properties
        late = f"  批准后 {days} 日未公告" if days is not None else ""
        typer.echo(
            f"#{f.id} {p['name']}  {STAGE_ZH[p['stage']]}  申报 {p['applied_on']}  {p['applicant']}"
            f"  版本 {f.version}{late}"
        )
    typer.echo(f"共 {len(rows)} 件")


@names_app.command("attach")
@handles_errors
def names_attach(
    pid: Annotated[int, typer.Argument(help="申报编号")],
    file: Annotated[Path, typer.Argument(help="附件:PDF、JPG、PNG 或 Word(.docx),至多 20 MB")],
    note: Annotated[str, typer.Option("--note", help="说明,如 专家论证意见")] = "",
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """给申报添加附件(保存在数据文件中)。Attach a document to an application."""
    from mzgis.gazetteer.documents import MAX_DOCUMENT_BYTES, add_document

    if not file.is_file():
        raise _fail(f"找不到文件 {file}", 3)
    if file.stat().st_size > MAX_DOCUMENT_BYTES:
        raise _fail(f"附件超过 {MAX_DOCUMENT_BYTES // 2**20} MB:{file.name}", 2)
    procedures = _procedures(db)  # a named officer attaches only to applications in their jurisdiction
    procedures.guard_application(pid, _recorded(user, _settings(db)), _scope(user, procedures.store, db))
    rec = add_document(
        procedures.store, pid, file.name, file.read_bytes(), user=_recorded(user, _settings(db)), note=note
    )
    typer.echo(f"已添加附件 {rec['filename']}(编号 {rec['id']},{rec['bytes']} 字节)")


@names_app.command("announcement")
@handles_errors
def names_announcement(
    out: Annotated[Path, typer.Option("--out", help="输出文件 .docx 或 .html")],
    issuer: Annotated[str, typer.Option("--issuer", help="发布机关,如 台州市路桥区人民政府")],
    ids: Annotated[str | None, typer.Option("--ids", help="申报编号,逗号分隔(默认全部已批准、未公告的)")] = None,
    db: DbOption = None,
) -> None:
    """生成已批准地名的公告(Word 或 HTML)。The announcement of approved names."""
    from mzgis.clock import beijing_today
    from mzgis.io.announcement import announce
    from mzgis.io.document import to_docx, to_html

    if out.suffix.lower() not in (".docx", ".html"):
        raise _fail(f"输出文件须以 .docx 或 .html 结尾:{out.name}", 2)
    doc, count = announce(_procedures(db), ids, issuer=issuer, day=beijing_today())
    out.write_bytes(to_docx(doc) if out.suffix.lower() == ".docx" else to_html(doc).encode("utf-8"))
    typer.echo(f"已写出公告 {out}({count} 条地名)")


@names_app.command("export")
@handles_errors
def names_export(
    file: Annotated[Path, typer.Argument(help="输出文件:.csv .xlsx .geojson .gpkg")],
    census: Annotated[
        bool, typer.Option("--census", help="按第二次全国地名普查登记表的字段导出(CSV/XLSX),供与国家地名数据库交换")
    ] = False,
    db: DbOption = None,
) -> None:
    """导出全部地名。Export the gazetteer."""
    from mzgis.io.names import export_census, export_names

    n = (export_census if census else export_names)(_gazetteer(db), file)
    typer.echo(f"已导出 {n} 条地名到 {file}" + ("(地名普查交换格式)" if census else ""))


@app.command()
@handles_errors
def pinyin(
    name: Annotated[str, typer.Argument(help="地名")],
    category: Annotated[str | None, typer.Option("--category", help="地名类别(帮助区分专名和通名)")] = None,
    tones: Annotated[bool, typer.Option("--tones", help="带声调")] = False,
) -> None:
    """地名的罗马字母拼写(汉语拼音)。Standard romanization of a place name."""
    from mzgis.gazetteer.service import romanize_name

    typer.echo(romanize_name(name.strip(), category, tones=tones))


check_app = typer.Typer(help="行政区划与界线检查。Division and boundary checks.", no_args_is_help=True)
app.add_typer(check_app, name="check")
export_app = typer.Typer(help="导出(界线走向说明、联检资料包)。Exports.", no_args_is_help=True)
app.add_typer(export_app, name="export")


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
@handles_errors
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
        report = check_store_coverage(_open(db), level, tolerances=tol, unit=unit)
    else:
        units = _read_geometries(file, from_crs)
        for name, option in ((id_field, "--id-field"), (parent_field, "--parent-field")):
            if name is not None and name not in units.columns:
                raise _fail(f"文件中没有字段 {name}(可用 {option} 指定)", EXIT_CODES["bad_input"])
        parents = None
        if parent_field is not None:
            # the parents the file itself holds (a file of townships and villages is a hierarchy, not peers),
            # then those of the data file (from --db or MZGIS_DB alike), when it exists
            codes = units[id_field].astype(str)
            wanted = set(units[parent_field].dropna().astype(str))
            parents = units[codes.isin(wanted)].rename(columns={id_field: "code"})[["code", "geometry"]]
            units = units[~codes.isin(wanted)]
            missing = wanted - set(parents.code)
            settings = _settings(db)
            if missing and (isinstance(settings.db, str) or settings.db.exists()):
                stored = _open(db).read_frame("admin_units").reset_index()
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
        _echo_json(report.as_dict())
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
@handles_errors
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
        result = load_line(_open(db), line).compare(tolerance_m=tolerance_m)
    elif ours is not None and theirs is not None:
        a = _read_geometries(ours, from_crs).geometry.iloc[0]
        b = _read_geometries(theirs, from_crs).geometry.iloc[0]
        try:
            result = compare_lines(a, b, tolerance_m=tolerance_m)
        except ValueError:
            raise _fail("界线文件应各含一条连续的线", EXIT_CODES["bad_input"]) from None
    else:
        raise _fail("请给出两个界线文件,或 --line 界线名称", EXIT_CODES["bad_input"])
    if as_json:
        _echo_json(result.as_dict())
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
@handles_errors
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

    store = _open(db)
    names = [line] if line else line_names(store, unit=unit)
    if unit and not names:
        raise NotFound(f"区划 {unit} 没有界线", "no boundary lines in the unit")
    reports = [
        load_line(store, n).check_markers(today=beijing_today(), tolerance_m=tolerance_m, overdue_years=overdue_years)
        for n in names
    ]
    if as_json:
        _echo_json([r.as_dict() for r in reports])
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
@handles_errors
def export_alignment_cmd(
    line: Annotated[str, typer.Argument(help="界线名称,如 路黄线")],
    csv_out: Annotated[Path | None, typer.Option("--csv", help="同时写出 CSV 文件")] = None,
    db: DbOption = None,
) -> None:
    """生成界线走向说明。The alignment description of a line."""
    from mzgis.boundary.alignment import segments_csv, segments_text
    from mzgis.boundary.service import load_line

    segments = load_line(_open(db), line).alignment()
    typer.echo(segments_text(line, segments), nl=False)
    if csv_out is not None:
        csv_out.write_text(segments_csv(segments), encoding="utf-8-sig")


@export_app.command("inspection")
@handles_errors
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

    package = write_inspection_package(load_line(_open(db), line), out, encoding=encoding, tolerance_m=tolerance_m)
    typer.echo(f"已写出 {len(package.files)} 个文件到 {package.folder}")
    typer.echo(f"压缩包:{package.zip_path}")


@app.command("qgis-project")
@handles_errors
def qgis_project_cmd(
    out: Annotated[Path, typer.Option("--out", help="项目文件 .qgz(或 .qgs)")],
    db: DbOption = None,
) -> None:
    """写出数据文件的 QGIS 项目:中文字段名、下拉选项、系统字段只读、与网页一致的配色、乡镇注记。"""
    from mzgis.io.qgis_project import county_view, write_qgis_project

    store = _open(db)
    if out.suffix.lower() not in (".qgz", ".qgs"):
        raise _fail(f"项目文件须以 .qgz 或 .qgs 结尾:{out.name}", 2)
    if not out.parent.is_dir():
        raise _fail(f"目录不存在:{out.parent}", 2)
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
@handles_errors
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
        raise _fail(f"输出文件须以 .pdf 或 .png 结尾:{out.name}", 2)
    if not out.parent.is_dir():
        raise _fail(f"目录不存在:{out.parent}", 2)
    view = build_view(
        _open(db),
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


coverage_app = typer.Typer(help="十四五目标覆盖分析、选址建议。Coverage analysis and siting.")
app.add_typer(coverage_app, name="coverage")


def _print_table(rows: list[dict[str, Any]], before: list[dict[str, Any]] | None = None) -> None:
    from mzgis.coverage.analysis import unmet_zh

    typer.echo(
        f"{'乡镇':<8}{'60岁以上':>8}{'床位':>6}{'每千人':>8}{'床位缺口':>8}{'综合体':>6}{'安葬点':>6}{'村数':>5}"
        f"{'有照料中心':>8}{'安葬覆盖':>8}  未达标"
    )
    old = {r["name"]: r for r in before or []}
    for r in rows:
        per = "-" if r["beds_per_1000"] is None else f"{r['beds_per_1000']:.1f}"
        unmet = unmet_zh(r["unmet"])
        day_care, burial = (
            "-" if v is None else v for v in (r["villages_with_day_care"], r["villages_covered_by_burial"])
        )
        typer.echo(
            f"{r['name']:<8}{r['aged_60_plus']:>8}{r['beds']:>6}{per:>8}{r['beds_shortfall']:>8}"
            f"{r['community_complexes']:>6}{r['burial_sites']:>6}{r['villages']:>5}{day_care:>8}"
            f"{burial:>8}  {unmet}"
        )
        prev = old.get(r["name"])
        if prev is not None:
            keys = (
                "beds",
                "beds_per_1000",
                "beds_shortfall",
                "nursing_beds_shortfall",
                "community_complexes",
                "burial_sites",
                "villages_with_day_care",
                "villages_covered_by_burial",
            )
            changes = [f"{k} {prev[k]} → {r[k]}" for k in keys if prev[k] != r[k]]
            if changes:
                typer.echo(f"{'':<8}  变化:{';'.join(changes)}")


@coverage_app.callback(invoke_without_command=True)
@handles_errors
def coverage_cmd(
    ctx: typer.Context,
    targets: Annotated[Path | None, typer.Option("--targets", help="目标与覆盖规则文件(TOML),默认取十四五规划")] = None,
    add: Annotated[Path | None, typer.Option("--add", help="拟建设施(GeoJSON 等),重新计算并与现状对比")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="输出目录:表格(CSV/XLSX)、图层(GPKG)、专题图(PNG)、报告(HTML)")
    ] = None,
    unit: UnitOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """按乡镇核对十四五目标(床位、护理床位、专业化运营、综合体、生态安葬、照料中心覆盖)。Per-township gaps."""
    if ctx.invoked_subcommand is not None:
        return
    from mzgis.coverage.service import analyze_store, proposed_frame, what_if
    from mzgis.coverage.targets import load_targets
    from mzgis.io.points import read_points

    store = _open(db)
    goal = load_targets(targets)
    if add is None:
        result, after = analyze_store(store, targets=goal, unit=unit), None
    else:
        result, after = what_if(store, proposed_frame(read_points(add)), targets=goal, unit=unit)
    if out is not None:
        from mzgis.io.coverage_report import write_coverage_outputs

        units = store.read_frame("admin_units", scope=unit)
        written = write_coverage_outputs(after or result, units[units.level == "township"], out)
        typer.echo(
            f"已写出 {len(written.files)} 个文件到 {out}" + ("" if written.maps_drawn else "(无中文字体,未绘专题图)")
        )
    if as_json:
        data = result.as_dict()
        if after is not None:
            data = {"current": data, "with_proposed": after.as_dict()}
        _echo_json(data)
        return
    t = result.targets
    typer.echo(
        f"目标:{t.source};每千名老人床位 {t.beds_per_1000_elderly:g}、护理床位 {t.nursing_beds_per_1000_elderly:g};"
        f"照料中心覆盖规则:{t.day_care.describe()};生态安葬覆盖规则:{t.burial_site.describe()}"
    )
    if after is None:
        _print_table([*result.townships, result.district])
    else:
        typer.echo("加入拟建设施后(与现状对比):")
        _print_table([*after.townships, after.district], before=[*result.townships, result.district])
    for m in result.mismatches:
        typer.echo(f"  [位置与登记不符] {m['message']}")
    for county in result.left_out:
        typer.echo(f"  [未参加分析] {county['message']}")
    for part in result.not_run:
        typer.echo(f"  [未计算] {part['message']}")


@coverage_app.command("suggest")
@handles_errors
def coverage_suggest_cmd(
    facility_type: Annotated[str, typer.Option("--type", help="burial_site、community_complex、day_care 或 eldercare")],
    count: Annotated[int, typer.Option("--count", help="建议几个地点")] = 3,
    candidates: Annotated[Path | None, typer.Option("--candidates", help="候选地点文件;默认用各村人口中心")] = None,
    exact_: Annotated[bool, typer.Option("--exact", help="同时求精确最优解(HiGHS)")] = False,
    add: Annotated[Path | None, typer.Option("--add", help="拟建设施文件:同类设施视为已建")] = None,
    targets: Annotated[Path | None, typer.Option("--targets", help="目标与覆盖规则文件")] = None,
    unit: UnitOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """选址建议:贪心最大覆盖(按新覆盖的老年人数),可选精确解。Where to build next."""
    from mzgis.coverage.service import proposed_frame, suggest
    from mzgis.coverage.targets import load_targets
    from mzgis.io.points import read_points

    result = suggest(
        _open(db),
        facility_type,
        count=count,
        candidates=read_points(candidates) if candidates is not None else None,
        with_exact=exact_,
        targets=load_targets(targets),
        proposed=proposed_frame(read_points(add)) if add is not None else None,
        unit=unit,
    )
    if as_json:
        _echo_json(result)
        return
    typer.echo(
        f"{facility_type}:覆盖规则 {result['rule']};现有设施未覆盖的老年人 {result['uncovered_elderly_before']} 人"
    )
    for label, key in (("贪心", "greedy"), ("精确最优", "exact")):
        if key not in result:
            continue
        typer.echo(f"{label}:共新覆盖 {result[key + '_gain']} 人")
        for i, p in enumerate(result[key], start=1):
            typer.echo(
                f"  {i}. {p['name']}({p['township']})新覆盖老年人 {p['gain_elderly']} 人、"
                f"{p['gain_villages']} 个村  @ {p['lon']:.6f},{p['lat']:.6f}"
            )


@app.command()
@handles_errors
def upgrade(
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出要做的修改,不改文件")] = False,
    no_backup: Annotated[bool, typer.Option("--no-backup", help="不先复制一份原文件")] = False,
) -> None:
    """把旧版本建立的数据文件升级到当前图层模型(新图层、新字段),先留副本,要么全做要么不做。"""
    from mzgis.store.postgis import PostGISStore
    from mzgis.store.upgrade import upgrade_geopackage

    path = _settings(db).db
    if isinstance(path, str):  # a PostgreSQL database: opening it checks its structure (made by this version)
        store = _open(db)
        searched = not dry_run and isinstance(store, PostGISStore) and store.install_search()
        filled = 0 if dry_run else _gazetteer(db).fill_derived()
        notes = ["为地名检索建立了数据库索引(拼音、首字母、字、位置)"] if searched else []
        notes += [f"按当前读音为 {filled} 条地名重写命名范围和拼音"] if filled else []
        typer.echo(f"{store.location} 已是当前结构" + (";" + ";".join(notes) if notes else ",无需升级"))
        _offer_seed(store)
        return
    report = upgrade_geopackage(path, dry_run=dry_run, backup=not no_backup)
    if not report.changes:
        # the structure is current; the names' derived fields may not be (readings of a newer version): they
        # are brought up to date here, not by whichever officer saves first
        filled = 0 if dry_run else _gazetteer(db).fill_derived()
        if filled:
            typer.echo(f"{path} 已是当前结构;按当前读音为 {filled} 条地名重写命名范围(scope_key)和拼音(pinyin)")
        else:
            typer.echo(f"{path} 已是当前结构,无需升级")
        _offer_seed(_open(db))
        return
    typer.echo(("将要做的修改:" if dry_run else "已升级:") + f"{path}")
    for change in report.changes:
        typer.echo(f"  - {change}")
    if report.backup is not None:
        typer.echo(f"原文件副本:{report.backup}")
    if not dry_run:
        filled = _gazetteer(db).fill_derived()
        if filled:
            typer.echo(f"  - 为 {filled} 条地名写入命名范围(scope_key)和拼音(pinyin)")
        _offer_seed(_open(db))


def _offer_seed(store: Any) -> None:
    """A file made before division names were registered: say how to register them (not done unasked)."""
    from mzgis.gazetteer.divisions import unnamed_units

    waiting = unnamed_units(store)
    if waiting:
        typer.echo(
            f"提示:有 {waiting} 个区划单位还没有标准地名;运行 mzgis names seed-divisions 登记后,"
            "新地名与区划名称的重名、同音也能查出"
        )


users_app = typer.Typer(help="用户与角色:新增、改角色、改密码、停用、发放脚本令牌。Accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
RoleArg = Annotated[
    str, typer.Option("--role", help="角色:viewer 查看、planner 规划、editor 编辑、approver 审批、admin 管理员")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="从标准输入读取密码(第一行),供脚本使用;否则提示输入两次")
]


def _users(db: str | None) -> Any:
    from mzgis.users import Users

    return Users(_open(db))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码"))


@users_app.command("add")
@handles_errors
def users_add(
    name: Annotated[str, typer.Argument(help="用户名")],
    role: RoleArg,
    password_stdin: PasswordStdin = False,
    scope: Annotated[
        str | None, typer.Option("--scope", help="管辖范围:只能修改此区划代码下的地名(如乡镇 331004001、区县 331004)")
    ] = None,
    db: DbOption = None,
) -> None:
    """新增用户(密码只保存散列值)。Add an account."""
    users = _users(db)
    user = users.add(name, role, _password(password_stdin), by=_recorded(None, _settings(db)), scope=scope)
    where = f",管辖范围 {user.scope}" if user.scope else ""
    typer.echo(f"已新增用户 {user.name}(角色:{user.role_zh}{where})")


@users_app.command("list")
@handles_errors
def users_list(db: DbOption = None) -> None:
    """列出用户。List accounts."""
    for u in _users(db).list():
        scope = f"\t管辖 {u.scope}" if u.scope else "\t不限范围"
        typer.echo(f"{u.name}\t{u.role}({u.role_zh}){'  已停用' if u.disabled else ''}{scope}\t创建于 {u.created_at}")


@users_app.command("scope")
@handles_errors
def users_scope(
    name: Annotated[str, typer.Argument(help="用户名")],
    code: Annotated[str, typer.Argument(help="区划代码前缀(区县 331004、乡镇 331004001;写 all 表示不限)")],
    db: DbOption = None,
) -> None:
    """设置管辖范围:只能修改此区划内的地名。Confine an account's writes to an admin unit."""
    user = _users(db).set_scope(name, None if code.strip().lower() == "all" else code)
    typer.echo(f"{user.name} 的管辖范围:{user.scope or '不限'}")


@users_app.command("role")
@handles_errors
def users_role(name: Annotated[str, typer.Argument(help="用户名")], role: RoleArg, db: DbOption = None) -> None:
    """修改角色。Change an account's role."""
    user = _users(db).set_role(name, role)
    typer.echo(f"{user.name} 的角色已改为 {user.role_zh}")


@users_app.command("passwd")
@handles_errors
def users_passwd(
    name: Annotated[str, typer.Argument(help="用户名")], password_stdin: PasswordStdin = False, db: DbOption = None
) -> None:
    """修改密码(该用户的全部令牌随之作废)。Set a new password."""
    user = _users(db).set_password(name, _password(password_stdin))
    typer.echo(f"{user.name} 的密码已修改,原有登录与令牌已作废")


@users_app.command("disable")
@handles_errors
def users_disable(
    name: Annotated[str, typer.Argument(help="用户名")],
    enable: Annotated[bool, typer.Option("--enable", help="重新启用")] = False,
    db: DbOption = None,
) -> None:
    """停用(或用 --enable 重新启用)用户。Disable or re-enable an account."""
    user = _users(db).set_disabled(name, not enable)
    typer.echo(f"{user.name} 已{'停用' if user.disabled else '启用'}")


@users_app.command("token")
@handles_errors
def users_token(
    name: Annotated[str, typer.Argument(help="用户名")],
    days: Annotated[float, typer.Option("--days", help="有效天数")] = 90,
    label: Annotated[str, typer.Option("--label", help="用途说明")] = "脚本",
    db: DbOption = None,
) -> None:
    """为脚本或 QGIS 发放令牌(只显示这一次)。Issue a bearer token for scripts."""
    issued = _users(db).issue_token(name, days=days, label=label)
    typer.echo(issued.token)
    typer.echo(f"用户 {issued.user.name}(角色:{issued.user.role_zh}),有效期至 {issued.expires_at}", err=True)
    typer.echo("用法:请求头 Authorization: Bearer <令牌>", err=True)


@app.command()
@handles_errors
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option("--host", help="监听地址")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="服务进程数(多个进程共用一个数据库;PostGIS 时可多人同时写)")
    ] = 1,
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
    store = open_store(
        settings.db, write_wait_s=settings.write_wait_s
    )  # one clear message now rather than at the first request
    if not settings.open_reads and not store.accounts():
        typer.secho(
            "提示:还没有任何用户,网页无法登录;请先运行 mzgis users add 用户名 --role admin", err=True, fg="yellow"
        )
    typer.echo(
        f"mzgis 已启动:http://{settings.host}:{settings.port}/  (数据 {store.location}"
        + (f",{workers} 个服务进程)" if workers > 1 else ")")
    )
    from mzgis.api.serving import log_config

    os.environ["MZGIS_WORKERS"] = str(workers)  # what /api/health reports
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=log_config())
        return
    # each worker process builds its app from the environment: the settings go there first
    os.environ["MZGIS_DB"] = str(settings.db)
    os.environ["MZGIS_HOST"], os.environ["MZGIS_PORT"] = settings.host, str(settings.port)
    uvicorn.run(
        "mzgis.api:create_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=log_config(),
    )


def main() -> None:
    """Console-script entry point."""
    app()
