"""The gazetteer's commands (`mzgis names …`, `mzgis pinyin`): check, search, edit, history, import, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import app, names_app
from mzgis.cli.common import (
    EXIT_CODES,
    AdminOption,
    CategoryOption,
    DbOption,
    DropZOption,
    JsonOption,
    MapOption,
    OverrideOption,
    SaveMapOption,
    UnitOption,
    UseMapOption,
    UserOption,
    VersionOption,
    acting,
    echo_findings,
    echo_json,
    echo_seeded,
    fail,
    gazetteer_for,
    note_security,
    open_db,
    parse_date,
    point_from,
    run_names_import,
    saved,
    seed_divisions,
)

__all__ = [
    "names_add",
    "names_check",
    "names_check_name",
    "names_export",
    "names_history",
    "names_import",
    "names_move",
    "names_rename",
    "names_restore",
    "names_retire",
    "names_revert",
    "names_search",
    "names_seed_divisions",
    "pinyin",
]


@names_app.command("seed-divisions")
def names_seed_divisions(
    unit: UnitOption = None,
    db: DbOption = None,
) -> None:
    """把区划单位(区县、乡镇、村社区)的名称登记为标准地名(已有的不重复登记)。Division names into the gazetteer."""
    echo_seeded(seed_divisions(open_db(db), under=unit))


@names_app.command("check-name")
def names_check_name(
    name: Annotated[str, typer.Argument(help="拟用名称")],
    category: CategoryOption,
    admin: AdminOption,
    subcategory: Annotated[str | None, typer.Option("--subcategory", help="小类,如 road、village")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """检查拟用地名(不保存)。Check a proposed name against the naming rules."""
    result = gazetteer_for(db).check(name, category, admin, subcategory=subcategory)
    if as_json:
        echo_json(result.as_dict())
    else:
        typer.echo(f"{result.name}  {result.romanized}(专名 {result.specific},通名 {result.generic or '无'})")
        if len(result.words) > 2 or (result.words and result.words[-1][0] != result.generic):
            # the words the spelling rests on, where they are not simply specific and generic
            typer.echo("  拼写依据:" + " | ".join(f"{zh} {roman}" for zh, roman in result.words))
        echo_findings(result.findings)
    if result.blocked:
        raise typer.Exit(EXIT_CODES["rule_violation"])


@names_app.command("check")
def names_check(
    as_json: JsonOption = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="把清理整治工作台账写入 Excel(.xlsx)或 Word(.docx)文件")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="整治完成时限 YYYY-MM-DD(默认:错误 90 天、提示 180 天)")
    ] = None,
    db: DbOption = None,
) -> None:
    """对全部地名运行规则检查(不规范地名清理整治表)。Run every rule over the gazetteer."""
    from mzgis.io.names_export import write_cleanup_report

    gaz = gazetteer_for(db)
    if xlsx is not None:
        table = write_cleanup_report(gaz, xlsx, deadline=parse_date(deadline, "--deadline") if deadline else None)
        typer.echo(f"已写入 {xlsx}:{table['编号'].nunique()} 个地名,{len(table)} 条问题")
        return
    results = gaz.check_all()
    if as_json:
        echo_json(
            [{"id": f.id, "name": f.properties["name"], "findings": [x.as_dict() for x in fs]} for f, fs in results]
        )
        return
    for feature, findings in results:
        typer.echo(f"#{feature.id} {feature.properties['name']}({feature.properties['admin_code']})")
        echo_findings(findings)
    errors = sum(1 for _, fs in results for f in fs if f.severity == "error")
    typer.echo(f"共 {len(results)} 个地名有问题,其中错误 {errors} 条")


@names_app.command("search")
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
            raise fail("--near 应为 经度,纬度", EXIT_CODES["bad_input"]) from None
        check_lonlat(lon, lat)
        point = (lon, lat)
    hits = gazetteer_for(db).search(
        query, category=category, township=township, status=status, near=point, within_m=within, limit=limit
    )
    if as_json:
        echo_json(
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
    place = point_from(lon, lat, from_crs)
    f = saved("create", reason, user, db, properties=props, geometry=place, override_reason=override_reason)
    typer.echo(f"已新增 #{f.id} {f.properties['name']} {f.properties['romanized']}(版本 {f.version})")


@names_app.command("rename")
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
    changes = {"name": new_name}
    f = saved("rename", reason, user, db, id=fid, expected_version=version, properties=changes, on=on,
              override_reason=override_reason)  # fmt: skip
    typer.echo(f"#{f.id} 已更名为 {f.properties['name']} {f.properties['romanized']}(版本 {f.version})")


@names_app.command("move")
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
    place = point_from(lon, lat, from_crs)
    f = saved("move", reason, user, db, id=fid, expected_version=version, geometry=place)
    typer.echo(f"#{f.id} {f.properties['name']} 已移动(版本 {f.version})")


@names_app.command("retire")
def names_retire(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="废止原因")],
    on: Annotated[str | None, typer.Option("--on", help="废止日期 YYYY-MM-DD(默认今天)")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """废止地名(保留记录)。Retire a name; the record is kept."""
    f = saved("retire", reason, user, db, id=fid, expected_version=version, on=on)
    typer.echo(f"#{f.id} {f.properties['name']} 已废止({f.properties['retired_on']},版本 {f.version})")


@names_app.command("restore")
def names_restore(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="恢复理由")] = "",
    override_reason: OverrideOption = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """恢复已废止的地名。Restore a retired name."""
    f = saved("restore", reason, user, db, id=fid, expected_version=version, override_reason=override_reason)
    typer.echo(f"#{f.id} {f.properties['name']} 已恢复(版本 {f.version})")


@names_app.command("revert")
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
    f = saved("revert", reason, user, db, id=fid, expected_version=version, to_version=to_version,
              override_reason=override_reason)  # fmt: skip
    typer.echo(f"#{f.id} {f.properties['name']} 已恢复为版本 {to_version} 的内容(新版本 {f.version})")


@names_app.command("spelling")
def names_spelling(
    fid: Annotated[int, typer.Argument(help="地名编号")],
    version: VersionOption,
    keep: Annotated[
        str | None, typer.Option("--keep", help="保留的拼写(如 Lunan Subdistrict),须同时填写 --reason")
    ] = None,
    standard: Annotated[bool, typer.Option("--standard", help="撤销拼写例外,恢复按规则拼写")] = False,
    reason: Annotated[str, typer.Option("--reason", help="理由(保留拼写例外时必填)")] = "",
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """拼写例外:有理由地保留非标准拼写(清理整治报告不再列出),或恢复标准拼写。Keep a spelling on purpose."""
    from mzgis.gazetteer.spellings import keep_spelling, standard_spelling

    if (keep is None) == (not standard):
        raise fail("请用 --keep 拼写(保留例外)或 --standard(恢复标准拼写)二者之一", EXIT_CODES["bad_input"])
    gaz = gazetteer_for(db)
    actor = acting(user, gaz.store, db)
    who, scope = actor.name, actor.scope
    if keep is not None:
        f = keep_spelling(gaz, fid, keep, reason=reason, expected_version=version, user=who, scope=scope)
        typer.echo(f"#{f.id} {f.properties['name']} 保留拼写 {f.properties['romanized']}(版本 {f.version})")
        return
    f = standard_spelling(gaz, fid, reason=reason, expected_version=version, user=who, scope=scope)
    typer.echo(f"#{f.id} {f.properties['name']} 恢复标准拼写 {f.properties['romanized']}(版本 {f.version})")


@names_app.command("history")
def names_history(
    fid: Annotated[int, typer.Argument(help="地名编号")], as_json: JsonOption = False, db: DbOption = None
) -> None:
    """地名的修改历史(北京时间)。History of a name."""
    import json

    from mzgis.clock import beijing_time
    from mzgis.layers import choice_labels, get_layer

    entries = gazetteer_for(db).history(fid)
    if as_json:
        echo_json([e.__dict__ for e in entries])
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


@names_app.command("import")
def names_import(
    ctx: typer.Context,
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
    run_names_import(**ctx.params)  # the options as given, by name


@names_app.command("export")
def names_export(
    file: Annotated[Path, typer.Argument(help="输出文件:.csv .xlsx .geojson .gpkg")],
    census: Annotated[
        bool, typer.Option("--census", help="按第二次全国地名普查登记表的字段导出(CSV/XLSX),供与国家地名数据库交换")
    ] = False,
    db: DbOption = None,
) -> None:
    """导出全部地名。Export the gazetteer."""
    from mzgis.io.names_export import export_census, export_names

    gazetteer = gazetteer_for(db)
    n = (export_census if census else export_names)(gazetteer, file)
    note_security(gazetteer.store, "export", db, f"{file.name},{n} 条")
    typer.echo(f"已导出 {n} 条地名到 {file}" + ("(地名普查交换格式)" if census else ""))


@app.command()
def pinyin(
    names: Annotated[list[str], typer.Argument(help="地名,可给多个")],
    category: Annotated[str | None, typer.Option("--category", help="地名类别(帮助区分专名和通名)")] = None,
    tones: Annotated[bool, typer.Option("--tones", help="带声调")] = False,
) -> None:
    """地名的罗马字母拼写(汉语拼音):一个地名只印拼写,多个则每行“地名 拼写”。Standard romanization of place names."""
    from mzgis.gazetteer.service import romanize_name

    spelt = [(name.strip(), romanize_name(name.strip(), category, tones=tones)) for name in names]
    if len(spelt) == 1:
        typer.echo(spelt[0][1])
        return
    for name, romanized in spelt:
        typer.echo(f"{name}\t{romanized}")
