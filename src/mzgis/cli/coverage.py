"""Coverage of the plan's targets (`mzgis coverage`) and siting suggestions (`mzgis coverage suggest`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import coverage_app
from mzgis.cli.common import DbOption, JsonOption, UnitOption, echo_json, open_db
from mzgis.coverage.targets import FACILITY_TYPES

__all__ = ["coverage_cmd", "coverage_suggest_cmd"]


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

    store = open_db(db)
    goal = load_targets(targets)
    if add is None:
        result, after = analyze_store(store, targets=goal, unit=unit), None
    else:
        result, after = what_if(store, proposed_frame(read_points(add)), targets=goal, unit=unit)
    if out is not None:
        from mzgis.io.coverage_report import write_store_coverage

        written = write_store_coverage(store, after or result, out, unit=unit)
        typer.echo(
            f"已写出 {len(written.files)} 个文件到 {out}" + ("" if written.maps_drawn else "(无中文字体,未绘专题图)")
        )
    if as_json:
        data = result.as_dict()
        if after is not None:
            data = {"current": data, "with_proposed": after.as_dict()}
        echo_json(data)
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
        open_db(db),
        facility_type,
        count=count,
        candidates=read_points(candidates) if candidates is not None else None,
        with_exact=exact_,
        targets=load_targets(targets),
        proposed=proposed_frame(read_points(add)) if add is not None else None,
        unit=unit,
    )
    if as_json:
        echo_json(result)
        return
    typer.echo(
        f"{FACILITY_TYPES.get(facility_type, facility_type)}:覆盖规则 {result['rule']};"
        f"现有设施未覆盖的老年人 {result['uncovered_elderly_before']} 人"
    )
    for label, key in (("贪心", "greedy"), ("精确最优", "exact")):
        if key not in result:
            continue
        typer.echo(f"{label}:共新覆盖 {result[key + '_gain']} 人")
        for i, p in enumerate(result[key], start=1):
            typer.echo(
                f"  {i}. {p['name']}({p['township']})新覆盖老年人 {p['gain_elderly']} 人、"
                f"{p['gain_villages']} 个村  @ CGCS2000 {p['lon']:.6f},{p['lat']:.6f}"
                f" · 高德/腾讯 GCJ-02 {p['gcj02'][0]:.6f},{p['gcj02'][1]:.6f}"
                f" · 百度 BD-09 {p['bd09'][0]:.6f},{p['bd09'][1]:.6f}"
            )
