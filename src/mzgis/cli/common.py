"""What every command shares: the options, opening the store, who is acting, JSON output, and the
mapping of errors to one line and an exit code (applied once, by the command group)."""

from __future__ import annotations

import datetime
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from mzgis.errors import MzgisError, StaleVersion
from mzgis.settings import Settings

if TYPE_CHECKING:
    from mzgis.store import Backend

__all__ = [
    "EXIT_CODES",
    "AdminOption",
    "CategoryOption",
    "DbOption",
    "DropZOption",
    "JsonOption",
    "MapOption",
    "MappedErrors",
    "OverrideOption",
    "SaveMapOption",
    "UnitOption",
    "UseMapOption",
    "UserOption",
    "VersionOption",
    "column_map_for",
    "echo_findings",
    "echo_json",
    "echo_seeded",
    "fail",
    "gazetteer_for",
    "jurisdiction",
    "keep_map",
    "mapped_errors",
    "open_db",
    "parse_date",
    "point_from",
    "recorded_as",
    "run_names_import",
    "seed_divisions",
    "settings_for",
]


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


CategoryOption = Annotated[str, typer.Option("--category", help="地名类别,如 self_governing_org、transport_facility")]


AdminOption = Annotated[str, typer.Option("--admin", help="所在区划代码(拟设村名可填乡镇代码)")]


JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]


VersionOption = Annotated[int, typer.Option("--version", help="你所编辑的版本号(防止覆盖他人修改)")]


EXIT_CODES = {
    "bad_input": 2,
    "not_found": 3,
    "conflict": 4,
    "rule_violation": 5,
    "version_required": 4,
    "invalid_store": 6,
    "not_signed_in": 7,
    "forbidden": 8,
    "busy": 9,
    "too_large": 2,
    "error": 1,
}


def fail(message: str, code: int) -> typer.Exit:
    typer.secho(f"错误:{message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


@contextmanager
def mapped_errors() -> Iterator[None]:
    """Domain errors as one line on stderr and the kind's exit code; a file the system cannot read or write
    is exit 2, a damaged database exit 6, anything unexpected one line and exit 1 (the traceback only with
    MZGIS_DEBUG=1)."""
    try:
        yield
    except MzgisError as exc:
        if isinstance(exc, StaleVersion):
            from mzgis.clock import beijing_time

            exc = exc.in_time(beijing_time)  # users read Beijing time; the store keeps UTC
        raise fail(exc.message_zh, EXIT_CODES.get(exc.kind, 1)) from None
    except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own: usage errors keep their message
        raise
    except OSError as exc:
        where = f"{exc.filename}:" if exc.filename else ""
        raise fail(f"无法读写文件 {where}{exc.strerror or exc}", EXIT_CODES["bad_input"]) from None
    except sqlite3.DatabaseError as exc:
        raise fail(f"数据文件无法使用:{exc}", EXIT_CODES["invalid_store"]) from None
    except Exception as exc:
        if os.environ.get("MZGIS_DEBUG"):
            raise
        problem = settings_problem(exc)
        if problem:
            raise fail(problem, EXIT_CODES["bad_input"]) from None
        raise fail(f"内部错误({type(exc).__name__}:{exc});请报告此问题", EXIT_CODES["error"]) from None


def settings_problem(exc: Exception) -> str:
    """A setting that is not valid (from the environment or ``.env``), named as it is set; "" for any other
    error."""
    from pydantic import ValidationError

    from mzgis.api.errors import validation_reason

    if not isinstance(exc, ValidationError) or exc.title != "Settings":
        return ""
    parts = [
        f"MZGIS_{str(e['loc'][0]).upper()}={str(e.get('input'))[:40]}:{validation_reason(e)}" for e in exc.errors()
    ]
    return "设置有误:" + ";".join(parts)


class MappedErrors(TyperGroup):
    """The command group of ``mzgis``: every command (and sub-command) it runs has its errors mapped by
    :func:`mapped_errors`, once, here."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context
        with mapped_errors():
            return super().invoke(ctx)


def settings_for(db: str | None) -> Settings:
    return Settings(db=db) if db is not None else Settings()


def recorded_as(on_behalf_of: str | None, settings: Settings) -> str:
    """Who a CLI write is recorded as: the operating-system account that ran it, and beside it (never
    instead) the person it was done for (``--user``, or ``MZGIS_USER``)."""
    import getpass

    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        account = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    for_whom = (on_behalf_of or settings.user or "").strip()
    return f"{account}(代 {for_whom})" if for_whom and for_whom != account else account


def jurisdiction(on_behalf_of: str | None, store: Backend, db: str | None) -> str | None:
    """The jurisdiction a CLI write is confined to: that of the account it is done for (``--user`` or
    ``MZGIS_USER``), when ``store`` holds such an account with a scope; none for the system account alone."""
    who = (on_behalf_of or settings_for(db).user or "").strip()
    account = store.account(who) if who else None
    scope = account.get("scope") if account else None
    return str(scope) if scope else None


CLI_CLIENT = "命令行"  # the client of what the command line does, in the security log


def note_security(store: Any, event: str, db: str | None, detail: str) -> None:
    """An event of the command line in the store's security log, as who runs it (see :mod:`mzgis.security`)."""
    from mzgis.security import SecurityLog

    SecurityLog(store).record(event, account=cli_actor(db), client=CLI_CLIENT, detail=detail)


def cli_actor(db: str | None) -> str:
    """Who runs the command, as the history and the security log record it (see :func:`recorded_as`)."""
    return recorded_as(None, settings_for(db))


def parse_date(text: str, option: str) -> datetime.date:
    from mzgis.errors import BadInput

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option} “{text}”应为日期 YYYY-MM-DD", f"{option} must be YYYY-MM-DD") from None


def open_db(db: str | None) -> Backend:
    from mzgis.store import open_store

    settings = settings_for(db)
    return open_store(settings.db, write_wait_s=settings.write_wait_s)


def column_map_for(store: Any, layer: str, given: str | None, use: str | None) -> dict[str, str]:
    from mzgis.io.column_maps import resolve_map
    from mzgis.io.readers import parse_column_map

    return resolve_map(store, layer, parse_column_map(given), use)


def keep_map(store: Any, layer: str, name: str | None, mapping: dict[str, str], user: str) -> None:
    if name is None:
        return
    from mzgis.io.column_maps import save_map

    save_map(store, name, layer, mapping, user=user)
    typer.echo(f"已保存列对应“{name}”({layer}):" + ",".join(f"{k}={v}" for k, v in mapping.items()))


def gazetteer_for(db: str | None) -> Any:
    from mzgis.gazetteer.service import Gazetteer

    return Gazetteer(open_db(db))


def acting(on_behalf_of: str | None, store: Backend, db: str | None) -> Any:
    """Who a CLI write is made by (:class:`~mzgis.gazetteer.edits.Actor`): the name it is recorded as and the
    jurisdiction it is confined to, built once per command."""
    from mzgis.gazetteer.edits import Actor

    return Actor(recorded_as(on_behalf_of, settings_for(db)), jurisdiction(on_behalf_of, store, db))


def saved(action: str, reason: str, on_behalf_of: str | None, db: str | None, **edit: Any) -> Any:
    """One edit of a place name (an :class:`~mzgis.gazetteer.edits.Edit` of ``action`` with the fields
    ``edit``) through the gazetteer's one pipeline; the name as saved."""
    from mzgis.gazetteer.edits import Edit

    gaz = gazetteer_for(db)
    user = acting(on_behalf_of, gaz.store, db)
    (feature,) = gaz.apply([Edit(action, **edit)], user=user, comment=reason)  # type: ignore[arg-type]
    return feature


def point_from(lon: float, lat: float, from_crs: str) -> Any:
    from shapely.geometry import Point

    from mzgis.crs import convert

    x, y = convert(lon, lat, from_crs, "cgcs2000")
    return Point(float(x), float(y))


def echo_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def echo_findings(findings: list[Any]) -> None:
    """Each finding as an officer reads it: its severity and the rule's Chinese name (the id is for --json)."""
    from mzgis.gazetteer.rules import RULE_NAMES_ZH

    if not findings:
        typer.echo("  未发现问题")
    for f in findings:
        mark = "错误" if f.severity == "error" else "提示"
        typer.echo(f"  [{mark}] {RULE_NAMES_ZH.get(f.rule, (f.rule,))[0]}:{f.message}")


def seed_divisions(store: Any, *, reason: str = "", under: str | None = None) -> Any:
    from mzgis.divisions import SOURCE_ZH
    from mzgis.gazetteer.divisions import seed_division_names
    from mzgis.gazetteer.service import Gazetteer

    user = cli_actor(None)
    return seed_division_names(Gazetteer(store), source=SOURCE_ZH, user=user, under=under, reason=reason)


def echo_seeded(report: Any) -> None:
    if not report.added:
        typer.echo("各区划单位已有标准地名,无需登记")
        return
    waiting = (
        f",其中 {report.without_position} 个尚无位置(导入区划面后自动取面内代表点)" if report.without_position else ""
    )
    typer.echo(f"已登记区划名称(标准地名){report.added} 个,均为现行{waiting}")


def run_names_import(
    *,
    file: Path,
    from_crs: str | None,
    source_layer: str | None,
    dry_run: bool,
    override_reason: str | None,
    user: str | None,
    drop_z: bool,
    db: str | None,
    update: bool = False,
    column_map: str | None = None,
    use_map: str | None = None,
    save_map: str | None = None,
    status: str | None = None,
    allow_duplicates: bool = False,
) -> None:
    """The gazetteer's import, for `mzgis names import` and `mzgis import place_names` alike (each passes its
    options by name)."""
    from mzgis.io.names import import_names

    gaz = gazetteer_for(db)
    rename = column_map_for(gaz.store, "place_names", column_map, use_map)
    report = import_names(
        gaz,
        file,
        user=recorded_as(user, settings_for(db)),
        scope=jurisdiction(user, gaz.store, db),
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
            echo_findings(list(row.findings))
    typer.echo(report.summary_zh())
    nothing_to_do = not any(r.action != "unchanged" for r in report.rows)
    refused = any(r.problem for r in report.rows) or not (report.ok or override_reason)
    if refused or (not dry_run and not report.written and not nothing_to_do):
        raise typer.Exit(EXIT_CODES["rule_violation"])  # also a dry run that found what would be refused
    keep_map(gaz.store, "place_names", save_map, rename, recorded_as(user, settings_for(db)))
