"""Commands on the data file as a whole: init, copy, merge, upgrade, units, info, coords, import, layers,
saved column mappings and the audit."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import app
from mzgis.cli.common import (
    EXIT_CODES,
    DbOption,
    DropZOption,
    JsonOption,
    MapOption,
    OverrideOption,
    SaveMapOption,
    UseMapOption,
    UserOption,
    cli_actor,
    column_map_for,
    echo_json,
    echo_seeded,
    fail,
    gazetteer_for,
    keep_map,
    note_security,
    open_db,
    recorded_as,
    run_names_import,
    seed_divisions,
    settings_for,
)
from mzgis.settings import default_demo_path

__all__ = [
    "coords",
    "copy_cmd",
    "import_",
    "info",
    "init",
    "layers",
    "maps_cmd",
    "merge_cmd",
    "units",
    "upgrade",
]


def _clear_for_new_file(file: Path, *, force: bool, not_same_as: str | None = None) -> None:
    """Make way for a new data file at ``file``: refused when it exists (without ``force``), is a folder or is
    the file ``not_same_as``; else the old file and its WAL leftovers are removed and the folder made."""
    if file.exists() and not force:
        raise fail(f"{file} 已存在;如要覆盖请加 --force", EXIT_CODES["conflict"])
    if file.is_dir():
        raise fail(f"{file} 是目录", EXIT_CODES["bad_input"])
    if not_same_as is not None and file.exists() and file.resolve() == Path(not_same_as).resolve():
        raise fail("源和目标是同一个文件", EXIT_CODES["bad_input"])
    file.parent.mkdir(parents=True, exist_ok=True)
    for stale in (file, file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        stale.unlink(missing_ok=True)


@app.command()
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
        raise fail("--demo 和 --county 只能选一个", EXIT_CODES["bad_input"])
    units = None
    if county is not None:  # looked up before anything is written: an unknown county leaves no file
        from mzgis.divisions import county_units

        units = county_units(county)
    if demo:  # the demo file is checked before anything is created
        source_path = default_demo_path()
        if not source_path.exists():
            raise fail(f"找不到演示数据 {source_path}(可运行 scripts/build_demo.py 重新生成)", 3)
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
        with store.transaction(user=cli_actor(None), reason=reason) as tx:
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
        echo_seeded(seed_divisions(store, reason=reason))

    else:
        typer.echo(f"已新建 {where}(空)")


@app.command("copy")
def copy_cmd(
    source: Annotated[str, typer.Argument(help="源:GeoPackage 数据文件或 PostgreSQL 数据库地址")],
    target: Annotated[str, typer.Argument(help="目标:新的 GeoPackage 文件,或 PostgreSQL 数据库地址")],
    force: Annotated[bool, typer.Option("--force", help="目标文件已存在(或数据库中已有 mzgis 数据)时清空重建")] = False,
    unit: Annotated[
        str | None, typer.Option("--unit", help="只复制这个区县(或乡镇)的部分,如 331002:市库交还一个区县")
    ] = None,
) -> None:
    """复制整个数据库(GeoPackage ↔ PostGIS):要素连同编号、版本、修改记录、变更集、账号和材料,复制后逐表核对。"""
    from mzgis.store import open_store
    from mzgis.store.copy import copy_store, copy_unit

    src = open_store(source)
    with _new_target(target, force=force, not_same_as=source) as dst:
        report = copy_store(src, dst) if unit is None else copy_unit(src, dst, unit)
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


@contextmanager
def _new_target(target: str, *, force: bool, not_same_as: str) -> Iterator[Any]:
    """An empty store at ``target`` (a new GeoPackage file, or a database without mzgis data, or with it
    cleared when ``force``) to copy or restore into; a file that fails to fill is not left behind."""
    from mzgis.errors import InvalidStore
    from mzgis.store import create_store, is_database_url, open_store

    if not is_database_url(target):
        _clear_for_new_file(Path(target), force=force, not_same_as=not_same_as)
    if is_database_url(target) and not force:  # a database may hold mzgis's tables already, still empty
        try:
            dst = open_store(target)
        except InvalidStore:
            dst = create_store(target)
    else:
        dst = create_store(target, replace=force)
    try:
        yield dst
    except BaseException:
        if not is_database_url(target):
            Path(target).unlink(missing_ok=True)
        raise


@app.command("backup")
def backup_cmd(
    dest: Annotated[Path, typer.Argument(help="备份目录(如 /srv/mzgis-backup)")],
    keep: Annotated[int | None, typer.Option("--keep", help="只保留本库最近 N 份备份", min=1)] = None,
    db: DbOption = None,
) -> None:
    """备份数据库(使用中也可):一致的副本,核对后与说明文件一起保存。Back up a store, verified."""
    from mzgis.store.backup import backup_store

    store = open_db(db)
    report = backup_store(store, dest, keep=keep)
    m = report.manifest
    note_security(store, "backup", db, f"{report.path.name},SHA-256 {m['sha256'][:16]}…")
    typer.echo(f"已备份到 {report.path}({m['bytes']:,} 字节,SHA-256 {m['sha256'][:16]}…)")
    typer.echo(f"  {_layer_counts(m['counts'])};修改记录 {m['counts']['audit']} 条;已核对完整性和校验和")
    if report.removed:
        typer.echo(f"  按 --keep {keep} 删除较早的备份:{'、'.join(p.name for p in report.removed)}")


@app.command("verify-backup")
def verify_backup_cmd(backup: Annotated[Path, typer.Argument(help="备份文件 .gpkg(其 .json 说明在旁)")]) -> None:
    """核对一份备份:文件校验和、完整性、逐表条数与校验和都与说明一致。Verify a backup."""
    from mzgis.store.backup import verify_backup

    m = verify_backup(backup)
    typer.echo(f"备份 {backup.name} 完好:{m['taken_at']} 取自 {m['source']},{_layer_counts(m['counts'])}")


@app.command("restore")
def restore_cmd(
    backup: Annotated[Path, typer.Argument(help="备份文件 .gpkg(其 .json 说明在旁)")],
    target: Annotated[str, typer.Argument(help="恢复到:新的 GeoPackage 文件,或空的 PostgreSQL 数据库")],
    force: Annotated[bool, typer.Option("--force", help="目标已存在(或已有 mzgis 数据)时清空重建")] = False,
) -> None:
    """从备份恢复到新文件或空数据库(先核对备份,恢复后再核对)。Restore a backup."""
    from mzgis.store.backup import restore_store

    with _new_target(target, force=force, not_same_as=str(backup)) as dst:
        manifest, report = restore_store(backup, dst)
    note_security(dst, "restore", None, f"自备份 {backup.name}({manifest['taken_at']})")
    typer.echo(f"已从 {backup.name}({manifest['taken_at']})恢复到 {dst.location}")
    typer.echo(f"  {_layer_counts(report.counts)};已核对与备份说明的校验和一致(SHA-256 {report.checksum[:16]}…)")


def _layer_counts(counts: dict[str, int]) -> str:
    """The layers' row counts of a copy or merge, as one line (the history and settings are said apart)."""
    from mzgis.layers import LAYERS

    return "、".join(f"{name} {n}" for name, n in counts.items() if name in LAYERS)


@app.command("merge")
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
def units(
    query: Annotated[str | None, typer.Argument(help="名称或代码的一部分,如 章安、331002008")] = None,
    level: Annotated[str | None, typer.Option("--level", help="county、township 或 village")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """列出本数据中的区划单位及其代码(导入表格时可用名称代替代码)。The register's admin units."""
    levels = {"county": "区县", "township": "乡镇(街道)", "village": "村(社区)"}
    if level is not None and level not in levels:
        raise fail("--level 只能是 county、township 或 village", EXIT_CODES["bad_input"])
    key = (query or "").strip()
    found = [
        u.properties
        for u in open_db(db).features("admin_units", where={"level": level} if level else None, geometry=False)
        if not key or key in str(u.properties["code"]) or key in str(u.properties["name"])
        or key in str(u.properties.get("official_name") or "")
    ]  # fmt: skip
    rows = [
        {"code": p["code"], "name": p["name"], "level": p["level"], "parent_code": p.get("parent_code")}
        for p in sorted(found, key=lambda p: str(p["code"]))
    ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['code']}  {r['name']}  {levels.get(str(r['level']), r['level'])}")
    typer.echo(f"共 {len(rows)} 个区划单位")


@app.command()
def info(db: DbOption = None) -> None:
    """显示图层、要素数、坐标系和范围。Layers, counts, CRS and extent."""
    from mzgis.crs import STORAGE_EPSG, to_metric
    from mzgis.store import open_store

    settings = settings_for(db)
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
def import_(
    ctx: typer.Context,
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
        run_names_import(**{k: v for k, v in ctx.params.items() if k != "layer"})
        return

    settings = settings_for(db)
    store = open_db(db)
    rename = column_map_for(store, layer, column_map, use_map)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("检查", total=None)

        def step(done: int, total: int) -> None:
            if total >= 200:
                bar.update(task, completed=done, total=total)

        report = import_file(
            store,
            layer,
            file,
            user=recorded_as(user, settings),
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
    keep_map(store, layer, save_map, rename, recorded_as(user, settings))


@app.command()
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


@app.command("maps")
def maps_cmd(
    delete: Annotated[str | None, typer.Option("--delete", help="删除这个保存的列对应")] = None,
    db: DbOption = None,
) -> None:
    """保存的导入列对应(按来源名称)。Saved column mappings of import sources."""
    from mzgis.clock import beijing_time
    from mzgis.io.column_maps import delete_map, saved_maps

    store = open_db(db)
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


@app.command()
def upgrade(
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出要做的修改,不改文件")] = False,
    no_backup: Annotated[bool, typer.Option("--no-backup", help="不先复制一份原文件")] = False,
) -> None:
    """把旧版本建立的数据文件升级到当前图层模型(新图层、新字段),先留副本,要么全做要么不做。"""
    from mzgis.store.geopackage.upgrade import upgrade_geopackage
    from mzgis.store.postgis import PostGISStore

    path = settings_for(db).db
    if isinstance(path, str):  # a PostgreSQL database: opening it checks its structure (made by this version)
        store = open_db(db)
        searched = not dry_run and isinstance(store, PostGISStore) and store.install_search()
        replaced = store.refresh_functions(dry_run=dry_run) if isinstance(store, PostGISStore) else []
        filled = 0 if dry_run else gazetteer_for(db).fill_derived()
        notes = ["为地名检索建立了数据库索引(拼音、首字母、字、位置)"] if searched else []
        notes += [f"{'需' if dry_run else '已'}更新触发函数 {'、'.join(replaced)}"] if replaced else []
        notes += [f"按当前读音为 {filled} 条地名重写命名范围和拼音"] if filled else []
        if isinstance(store, PostGISStore) and not store.history_guarded():
            notes += [
                "修改记录的保护触发器未能建立(需要表的所有者权限,或有长时间未结束的写入):请以表的所有者再运行一次"
            ]
        typer.echo(f"{store.location} 已是当前结构" + (";" + ";".join(notes) if notes else ",无需升级"))
        _offer_seed(store)
        return
    report = upgrade_geopackage(path, dry_run=dry_run, backup=not no_backup)
    if not report.changes:
        # the structure is current; the names' derived fields may not be (readings of a newer version): they
        # are brought up to date here, not by whichever officer saves first
        filled = 0 if dry_run else gazetteer_for(db).fill_derived()
        if filled:
            typer.echo(f"{path} 已是当前结构;按当前读音为 {filled} 条地名重写命名范围(scope_key)和拼音(pinyin)")
        else:
            typer.echo(f"{path} 已是当前结构,无需升级")
        _offer_seed(open_db(db))
        return
    typer.echo(("将要做的修改:" if dry_run else "已升级:") + f"{path}")
    for change in report.changes:
        typer.echo(f"  - {change}")
    if report.backup is not None:
        typer.echo(f"原文件副本:{report.backup}")
    if not dry_run:
        filled = gazetteer_for(db).fill_derived()
        if filled:
            typer.echo(f"  - 为 {filled} 条地名写入命名范围(scope_key)和拼音(pinyin)")
        _offer_seed(open_db(db))


def _offer_seed(store: Any) -> None:
    """A file made before division names were registered: say how to register them (not done unasked)."""
    from mzgis.gazetteer.divisions import unnamed_units

    waiting = unnamed_units(store)
    if waiting:
        typer.echo(
            f"提示:有 {waiting} 个区划单位还没有标准地名;运行 mzgis names seed-divisions 登记后,"
            "新地名与区划名称的重名、同音也能查出"
        )
