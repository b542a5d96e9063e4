"""Bring an mzgis GeoPackage made by an older version up to the current layer model (``mzgis upgrade``).

What can be added without guessing is added: missing layers (with their R-tree), missing optional fields
(with their allowed values and uniqueness), the system columns and the audit tables. A missing required
field cannot be filled without a value, so the upgrade refuses and names it. A copy of the file is kept
first, and every change runs in one transaction: an upgrade either completes or changes nothing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from mzgis.errors import InvalidStore, NotFound, RuleViolation
from mzgis.layers import LAYERS, SYSTEM_FIELDS
from mzgis.store.base import utc_now
from mzgis.store.geopackage.connection import connect
from mzgis.store.geopackage.schema import (
    CORE_SQL,
    SESSION_TABLE,
    USER_VERSION,
    create_layer,
    current_layer_sql,
    rebuild_layer,
)
from mzgis.store.tables import AUDIT_TABLE, CHANGESET_TABLE, META_TABLE, SCHEMA_VERSION, q

__all__ = ["UpgradeReport", "upgrade_geopackage"]


@dataclass
class UpgradeReport:
    """What the upgrade did (or, on a dry run, would do), in Chinese, and where the copy was kept."""

    changes: list[str] = field(default_factory=list)
    backup: Path | None = None
    dry_run: bool = False


Step = tuple[str, Callable[[sqlite3.Connection], None]]


def _core(table: str) -> list[str]:
    """The creation statements of one of the core tables (and its indexes)."""
    return [sql for sql in CORE_SQL if sql.startswith(f"CREATE TABLE {table} ") or f" ON {table} " in sql]


def _run(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        conn.execute(sql)

    return run


def _stamp_version(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")


def _plan(conn: sqlite3.Connection, stamp: str) -> tuple[list[Step], list[str]]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    steps: list[Step] = []
    problems: list[str] = []
    for table in (META_TABLE, CHANGESET_TABLE, AUDIT_TABLE, SESSION_TABLE):
        if table not in tables:

            def create(c: sqlite3.Connection, t: str = table) -> None:
                for sql in _core(t):
                    c.execute(sql)
                if t in (CHANGESET_TABLE, AUDIT_TABLE):
                    c.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change)"
                        " VALUES (?, 'attributes', ?, ?)",
                        (t, t, stamp),
                    )

            steps.append((f"新建表 {table}", create))
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    for sql in CORE_SQL:
        found = re.match(r"CREATE INDEX (\w+) ON (\w+)", sql)
        if found and found.group(1) not in indexes and found.group(2) in tables:
            steps.append((f"新建索引 {found.group(1)}", _run(sql)))
    for layer in LAYERS.values():
        if layer.name not in tables:
            steps.append((f"新建图层 {layer.name}({layer.label_zh})", partial(create_layer, layer=layer, stamp=stamp)))
            continue
        present = {r[1] for r in conn.execute(f"PRAGMA table_info({q(layer.name)})")}
        missing = [f for f in (*layer.fields, *SYSTEM_FIELDS) if f.name not in present]
        problems += [
            f"{layer.name} 缺少必填字段 {f.name}({f.label_zh}),无法自动补上取值"
            for f in missing
            if f.required and f not in SYSTEM_FIELDS
        ]
        if missing or not current_layer_sql(conn, layer):
            added = "、".join(f"{f.name}({f.label_zh})" for f in missing)
            text = f"重建图层 {layer.name}({layer.label_zh}):图层模型的全部约束、系统字段默认值与完整性触发器"
            steps.append((text + (f";增加字段 {added}" if added else ""), partial(rebuild_layer, layer=layer)))
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != USER_VERSION:
        steps.append(
            (
                f"GeoPackage 版本标记改为 1.{(USER_VERSION // 100) % 100}(GDAL 3.6 / QGIS 3.22 起完整支持)",
                _stamp_version,
            )
        )
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
    with closing(connect(path)) as conn:
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
            for text, run in steps:
                try:
                    run(conn)
                except sqlite3.IntegrityError as exc:  # rows an older version let in break a rule now in the file
                    raise RuleViolation(
                        f"无法升级,未做任何修改:{text.split(':')[0]} 时有记录不满足约束({exc});请先修正这些记录",
                        f"cannot upgrade: {exc}",
                    ) from None
            conn.executemany(
                f"INSERT INTO {META_TABLE} VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [("schema_version", SCHEMA_VERSION), ("upgraded_at", stamp)],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return report
