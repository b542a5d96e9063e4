"""``mzgis audit``: the history of changes (also those made in QGIS and psql), the security log, and the walk
of both chains."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import app
from mzgis.cli.common import EXIT_CODES, DbOption, JsonOption, echo_json, open_db, parse_date

__all__ = ["audit_cmd"]


def _verify_chains(store: Any, as_json: bool, backup: Path | None) -> None:
    """Both chains walked: the history's seals and the security log's, past the heads ``backup`` recorded;
    exit 6 at the first break."""
    from mzgis.security import SecurityLog
    from mzgis.store.backup import backup_anchors

    history_at, log_at = backup_anchors(store, backup) if backup is not None else (None, None)
    history, log = store.verify_history(anchor=history_at), SecurityLog(store).verify(anchor=log_at)
    if as_json:
        echo_json(history.__dict__ | {"ok": history.ok, "security": log.__dict__ | {"ok": log.ok}})
    else:
        wait = f";另有 {history.unsealed} 条尚未封存(其他工具新写的,mzgis 下次写入时封存)" if history.unsealed else ""
        since = f",备份 {backup.name} 时的 {history_at[0]} 条都在" if backup is not None and history_at else ""
        typer.echo(f"修改记录封存链完好:已核对 {history.sealed} 条{since}{wait}" if history.ok else history.broken[0])
        since = f",备份时的 {log_at[0]} 条都在" if backup is not None and log_at else ""
        typer.echo(f"安全日志链完好:已核对 {log.sealed} 条{since}" if log.ok else log.broken[0])
    if not (history.ok and log.ok):
        raise typer.Exit(EXIT_CODES["invalid_store"])


def _security_log(store: Any, limit: int, as_json: bool) -> None:
    """The newest ``limit`` rows of the security log, Beijing time."""
    from mzgis.clock import beijing_time
    from mzgis.security import SecurityLog

    events = SecurityLog(store).events(limit=limit, newest=True)
    if as_json:
        echo_json([e.__dict__ | {"event_zh": e.event_zh} for e in events])
        return
    for e in events:
        outcome = "成功" if e.success else "失败"
        typer.echo(f"{beijing_time(e.at)}  {e.account or '-'}  {e.event_zh}  {outcome}  {e.client or '-'}  {e.detail}")


@app.command("audit")
def audit_cmd(
    layer: Annotated[str | None, typer.Option("--layer", help="图层,如 place_names")] = None,
    user: Annotated[str | None, typer.Option("--user", help="修改人(账号,或系统账号)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="自某日起(北京时间 YYYY-MM-DD)")] = None,
    source: Annotated[str | None, typer.Option("--source", help="mzgis(本程序)或 external(QGIS 等其他工具)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="最多显示几条(最新的)")] = 50,
    verify: Annotated[
        bool, typer.Option("--verify", help="核对修改记录和安全日志的封存链:找出第一条写入后被删改的记录")
    ] = False,
    backup: Annotated[
        Path | None,
        typer.Option("--backup", help="与 --verify 一起:并核对该备份之后记录没有被截去(备份时的链尾仍在且未变)"),
    ] = None,
    security: Annotated[
        bool, typer.Option("--security", help="安全日志:登录、退出、令牌、账号变更、拒绝访问、导出、备份恢复")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """最近的修改记录(北京时间),也包括在 QGIS 等其他工具中的修改。Recent changes by layer, user, date, source."""
    import datetime as dt

    if verify or backup is not None:
        _verify_chains(open_db(db), as_json, backup)
        return
    if security:
        _security_log(open_db(db), limit, as_json)
        return

    from mzgis.clock import BEIJING, beijing_time, stamp
    from mzgis.errors import BadInput
    from mzgis.layers import LAYERS, get_layer

    if source not in (None, "mzgis", "external"):
        raise BadInput("--source 应为 mzgis 或 external", "--source must be mzgis or external")
    start = None
    if since is not None:
        day = parse_date(since, "--since")
        start = stamp(dt.datetime.combine(day, dt.time(), BEIJING))
    store = open_db(db)
    entries = store.audit(
        layer=get_layer(layer).name if layer else None,
        user=user,
        since=start,
        outside=None if source is None else source == "external",
        limit=limit,
    )
    if as_json:
        echo_json([e.__dict__ for e in entries])
        return
    actions = {"insert": "新增", "update": "修改", "delete": "删除"}
    named = _feature_names(store, entries)
    for e in entries:
        label = LAYERS[e.layer].label_zh if e.layer in LAYERS else e.layer
        what = named.get((e.layer, e.feature_id), "")
        typer.echo(
            f"{beijing_time(e.changed_at)}  {label} #{e.feature_id} {what}  {actions[e.action]}  版本 {e.version}"
            f"  {e.changed_by}  {e.reason}"
        )
    if not entries:
        typer.echo("没有符合条件的修改记录")


def _feature_names(store: Any, entries: list[Any]) -> dict[tuple[str, int], str]:
    """What each audited feature is called (its name, marker number or code): from the row where it says,
    else from the feature as stored (an update records only the fields it changed)."""
    from mzgis.layers import LAYERS

    def called(values: dict[str, Any] | None) -> str:
        values = values or {}
        return str(values.get("name") or values.get("marker_id") or values.get("code") or "")

    named = {(e.layer, e.feature_id): called(e.after) or called(e.before) for e in entries}
    missing: dict[str, set[int]] = {}
    for (layer, fid), text in named.items():
        if not text and layer in LAYERS:
            missing.setdefault(layer, set()).add(fid)
    for layer, ids in missing.items():
        for f in store.features(layer, where={"id": sorted(ids)}, geometry=False):
            named[(layer, f.id)] = called(f.properties)
    return named
