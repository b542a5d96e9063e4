"""Bring an mzgis GeoPackage made by an older version up to the current layer model (``mzgis upgrade``).

What can be added without guessing is added: missing layers (with their R-tree), missing optional fields
(with their allowed values and uniqueness), the system columns and the audit tables. A missing required
field cannot be filled without a value, so the upgrade refuses and names it. A copy of the file is kept
first, and every change runs in one transaction: an upgrade either completes or changes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from mzgis.errors import InvalidStore, NotFound, RuleViolation
from mzgis.layers import LAYERS, SYSTEM_FIELDS
from mzgis.store.base import utc_now
from mzgis.store.geopackage import (
    _CORE_SQL,
    AUDIT_TABLE,
    CHANGESET_TABLE,
    META_TABLE,
    SCHEMA_VERSION,
    _connect,
    _create_layer,
    _q,
)

__all__ = ["UpgradeReport", "upgrade_geopackage"]

_SYSTEM_COLUMNS = {
    "version": '"version" INTEGER NOT NULL DEFAULT 1',
    "updated_at": "\"updated_at\" TEXT NOT NULL DEFAULT ''",
    "updated_by": "\"updated_by\" TEXT NOT NULL DEFAULT ''",
}


@dataclass
class UpgradeReport:
    """What the upgrade did (or, on a dry run, would do), in Chinese, and where the copy was kept."""

    changes: list[str] = field(default_factory=list)
    backup: Path | None = None
    dry_run: bool = False


Step = tuple[str, Callable[[sqlite3.Connection], None]]


def _core(table: str) -> list[str]:
    """The creation statements of one of the core tables (and its indexes)."""
    return [sql for sql in _CORE_SQL if sql.startswith(f"CREATE TABLE {table} ") or f" ON {table} " in sql]


def _run(*sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return run


def _plan(conn: sqlite3.Connection, stamp: str) -> tuple[list[Step], list[str]]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    steps: list[Step] = []
    problems: list[str] = []
    for table in (META_TABLE, CHANGESET_TABLE, AUDIT_TABLE):
        if table not in tables:

            def create(c: sqlite3.Connection, t: str = table) -> None:
                for sql in _core(t):
                    c.execute(sql)
                if t != META_TABLE:
                    c.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change)"
                        " VALUES (?, 'attributes', ?, ?)",
                        (t, t, stamp),
                    )

            steps.append((f"新建修改记录表 {table}", create))
    for layer in LAYERS.values():
        if layer.name not in tables:
            steps.append((f"新建图层 {layer.name}({layer.label_zh})", partial(_create_layer, layer=layer, stamp=stamp)))
            continue
        present = {r[1] for r in conn.execute(f"PRAGMA table_info({_q(layer.name)})")}
        for f in layer.fields:
            if f.name in present:
                continue
            if f.required:
                problems.append(f"{layer.name} 缺少必填字段 {f.name}({f.label_zh}),无法自动补上取值")
                continue
            column = f"{_q(f.name)} {f.sql_type}"
            if f.choices:
                allowed = ", ".join("'" + c + "'" for c in f.choices)
                column += f" CHECK ({_q(f.name)} IN ({allowed}))"
            statements = [f"ALTER TABLE {_q(layer.name)} ADD COLUMN {column}"]
            if f.unique:  # SQLite adds no UNIQUE column: the same rule as an index
                index = _q(layer.name + "_" + f.name)
                statements.append(f"CREATE UNIQUE INDEX {index} ON {_q(layer.name)} ({_q(f.name)})")
            steps.append((f"图层 {layer.name} 增加字段 {f.name}({f.label_zh})", _run(*statements)))
        for sys_field in SYSTEM_FIELDS:
            if sys_field.name not in present:
                sql = f"ALTER TABLE {_q(layer.name)} ADD COLUMN {_SYSTEM_COLUMNS[sys_field.name]}"
                steps.append((f"图层 {layer.name} 增加系统字段 {sys_field.name}", _run(sql)))
    return steps, problems


def upgrade_geopackage(
    path: Path, *, dry_run: bool = False, backup: bool = True, clock: Callable[[], str] = utc_now
) -> UpgradeReport:
    """Upgrade the GeoPackage at ``path`` in place (after copying it beside itself unless ``backup`` is off)."""
    if not path.exists():
        raise NotFound(f"找不到数据文件 {path}", f"no such file: {path}", path=str(path))
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as probe:
            tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InvalidStore(f"{path} 不是 GeoPackage 文件:{exc}", f"{path} is not a GeoPackage") from None
    if "gpkg_contents" not in tables:
        raise InvalidStore(
            f"{path} 不是 GeoPackage 文件(缺少 gpkg_contents 表),无法升级", f"{path} is not a GeoPackage"
        )
    stamp = clock()
    report = UpgradeReport(dry_run=dry_run)
    with closing(_connect(path)) as conn:
        steps, problems = _plan(conn, stamp)
        if problems:
            raise RuleViolation(
                "无法自动升级,未做任何修改:" + ";".join(problems), "cannot upgrade automatically", problems=problems
            )
        report.changes = [text for text, _ in steps]
        if dry_run or not steps:
            return report
        if backup:
            report.backup = path.with_name(f"{path.stem}.before-upgrade-{stamp[:19].replace(':', '')}{path.suffix}")
            with closing(sqlite3.connect(report.backup)) as copy:
                conn.backup(copy)
        conn.execute("BEGIN IMMEDIATE")
        try:
            for _, run in steps:
                run(conn)
            conn.executemany(
                f"INSERT INTO {META_TABLE} VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("schema_version", SCHEMA_VERSION), ("upgraded_at", stamp)],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return report
