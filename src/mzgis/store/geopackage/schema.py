"""The GeoPackage schema, derived from the layer model: tables with every constraint as a CHECK, system
fields with defaults, the R-tree and its standard triggers, and the triggers that keep the register's
integrity whatever tool writes the file (QGIS, ogr2ogr, sqlite3).

Shared by :mod:`mzgis.store.geopackage` (creation) and :mod:`mzgis.store.geopackage.upgrade` (rebuilding older
tables); nothing else writes DDL. Only core SQLite is used (``json_object``, ``strftime``, ``RAISE``), so
every SQLite, GDAL and QGIS obeys the same rules.

Integrity triggers, per layer:

- an insert, update or delete made outside mzgis (no row in :data:`SESSION_TABLE`, which mzgis fills
  inside its own transactions only) leaves a changeset and an audit row ("在 mzgis 之外修改", who as far
  as known: the ``updated_by`` the tool wrote, else ``external``, before/after as JSON);
- such an update that does not raise ``version`` gets ``version + 1``, a new ``updated_at`` and the
  ``updated_by`` above;
- a place name is never deleted (refused in the file: retire it instead);
- a place name added outside mzgis without its specific part gets its whole name as specific (the
  gazetteer's clean-up report then checks it like any other).

mzgis's own writes carry their audit rows themselves (with the reason and the changeset of the edit), so
every change leaves exactly one audit row.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from pyproj import CRS
from pyproj.enums import WktVersion

from mzgis.crs import STORAGE_EPSG
from mzgis.errors import InvalidStore, NotFound
from mzgis.layers import LAYERS, SYSTEM_FIELDS, Field, Layer
from mzgis.store.tables import (
    AUDIT_TABLE,
    CHANGESET_TABLE,
    CONTROL_POINTS,
    EXTERNAL_REASON,
    GEOM,
    INVISIBLE_POINTS,
    META_TABLE,
    MULTILINE_CONTROL_POINTS,
    column_constraints,
    field_rules,
    q,
    record_checks,
)

__all__ = [
    "APPLICATION_ID",
    "CORE_SQL",
    "SESSION_TABLE",
    "USER_VERSION",
    "check_file",
    "create_layer",
    "current_layer_sql",
    "index_sql",
    "integrity_sql",
    "rebuild_layer",
    "rtree_name",
    "rtree_sql",
    "srs_rows",
    "table_sql",
]

SESSION_TABLE = "mzgis_session"  # one row while mzgis itself writes, inside its transaction; never committed
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2: read fully by GDAL 3.6 / QGIS 3.22 (1.4 made them warn on every open)

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def rtree_name(layer: str) -> str:
    return f"rtree_{layer}_{GEOM}"


def _name(text: str) -> str:
    """A constraint's name: the rule in Chinese, so QGIS and sqlite3 show it when they refuse a row."""
    return '"' + text.replace('"', "'") + '"'


def _sqlite_chars(points: tuple[int, ...]) -> str:
    return "char(" + ", ".join(str(c) for c in points) + ")"


def _field_checks(f: Field) -> list[tuple[str, str]]:
    """(name, SQLite expression) of every rule of one field (NULL passes: required fields are NOT NULL)."""
    c = q(f.name)
    out: list[tuple[str, str]] = []
    for name, kind, arg in field_rules(f):
        if kind == "length":
            sql = f"length({c}) <= {arg}"
        elif kind == "controls":
            chars = _sqlite_chars(MULTILINE_CONTROL_POINTS if arg else CONTROL_POINTS)
            sql = f"{c} NOT GLOB '*[' || {chars} || ']*'"
        elif kind == "invisible":
            sql = f"{c} NOT GLOB '*[' || {_sqlite_chars(INVISIBLE_POINTS)} || ']*'"
        elif kind == "type":
            sql = {
                "integer": f"typeof({c}) IN ('integer', 'null')",
                "real": f"typeof({c}) IN ('integer', 'real', 'null')",
                "boolean": f"{c} IN (0, 1)",
                "date": f"date({c}) IS {c}",
            }[arg]
        elif kind == "choices":
            sql = f"{c} IN ({', '.join(chr(39) + v + chr(39) for v in arg)})"
        elif kind == "code":
            sql = f"length({c}) IN (6, 9, 12) AND {c} NOT GLOB '*[^0-9]*'"
        elif kind == "plain":
            sql = f"{c} NOT GLOB '*[/\\:*?\"<>|]*' AND substr({c}, 1, 1) != '.'"
        elif kind == "minimum":
            sql = f"{c} >= {arg:g}"
        else:
            sql = f"{c} <= {arg:g}"
        out.append((name, sql))
    return out


def table_sql(layer: Layer, *, table: str | None = None) -> str:
    """The CREATE TABLE statement of ``layer`` (under another ``table`` name while rebuilding)."""
    cols = ['"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL']
    if layer.geometry:
        cols.append(f'"{GEOM}" {layer.geometry}')
    checks: list[str] = []
    for f in layer.fields:
        cols.append(f"{q(f.name)} {f.sql_type}{column_constraints(layer.name, f)}")
        checks += [f"CONSTRAINT {_name(n)} CHECK ({sql})" for n, sql in _field_checks(f)]
    checks += [f"CONSTRAINT {_name(n)} CHECK ({sql})" for n, sql in record_checks(layer)]
    # system fields: defaults for a tool that leaves them out, and the insert trigger fills them when a
    # tool sends NULL (QGIS sends every field of a new feature); mzgis always writes them
    cols += [
        f'"version" INTEGER DEFAULT 1 CONSTRAINT {_name("版本号应为正整数")} CHECK ("version" >= 1)',
        f'"updated_at" TEXT DEFAULT ({_NOW})',
        "\"updated_by\" TEXT DEFAULT 'external'",
    ]
    return f"CREATE TABLE {q(table or layer.name)} (\n  " + ",\n  ".join(cols + checks) + "\n)"


def rtree_sql(table: str, *, with_table: bool = True) -> list[str]:
    """The GeoPackage R-tree of ``table`` and its standard triggers (only the triggers: ``with_table=False``)."""
    t, c, r = q(table), q(GEOM), q(rtree_name(table))
    values = f"NEW.id, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})"
    non_empty = f"(NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))"
    empty = f"(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))"
    name = rtree_name(table)
    triggers = [
        f'CREATE TRIGGER "{name}_insert" AFTER INSERT ON {t} WHEN {non_empty} '
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES ({values}); END",
        f'CREATE TRIGGER "{name}_update5" AFTER UPDATE OF {c} ON {t} WHEN OLD.id = NEW.id AND {non_empty} '
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES ({values}); END",
        f'CREATE TRIGGER "{name}_update2" AFTER UPDATE OF {c} ON {t} WHEN OLD.id = NEW.id AND {empty} '
        f"BEGIN DELETE FROM {r} WHERE id = OLD.id; END",
        f'CREATE TRIGGER "{name}_update6" AFTER UPDATE ON {t} WHEN OLD.id != NEW.id AND {non_empty} '
        f"BEGIN DELETE FROM {r} WHERE id = OLD.id; INSERT OR REPLACE INTO {r} VALUES ({values}); END",
        f'CREATE TRIGGER "{name}_update7" AFTER UPDATE ON {t} WHEN OLD.id != NEW.id AND {empty} '
        f"BEGIN DELETE FROM {r} WHERE id = OLD.id; END",
        f'CREATE TRIGGER "{name}_delete" AFTER DELETE ON {t} WHEN OLD.{c} NOT NULL '
        f"BEGIN DELETE FROM {r} WHERE id = OLD.id; END",
    ]
    return ([f"CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy)"] if with_table else []) + triggers


def _row_json(layer: Layer, row: str) -> str:
    """``json_object`` of a row's fields (``row`` is NEW or OLD), derived ones left out as in mzgis's history."""
    return "json_object(" + ", ".join(f"'{f.name}', {row}.{q(f.name)}" for f in layer.fields if not f.derived) + ")"


def _as_mzgis(statement: str) -> str:
    """A trigger's own write, inside a session row: the outside-edit triggers do not count it."""
    return f" INSERT INTO {SESSION_TABLE} VALUES (1, 'trigger'); {statement}; DELETE FROM {SESSION_TABLE};"


def _wkb(row: str) -> str:
    """SQL for the well-known binary of a row's GeoPackage geometry blob: past the 8-byte header and the
    envelope, whose length the flags byte (the fourth) gives: none, 32, 48, 48 or 64 bytes (GeoPackage 2.1.3)."""
    g = f"{row}.{q(GEOM)}"
    flags = f"(instr('0123456789ABCDEF', substr(hex(substr({g}, 4, 1)), 1, 1)) - 1) * 16 + (instr('0123456789ABCDEF', substr(hex(substr({g}, 4, 1)), 2, 1)) - 1)"  # fmt: skip
    envelope = f"CASE (({flags}) >> 1) & 7 WHEN 1 THEN 32 WHEN 2 THEN 48 WHEN 3 THEN 48 WHEN 4 THEN 64 ELSE 0 END"
    return f"substr({g}, 9 + {envelope})"


def _renamed_outside(t: str) -> str:
    """A name renamed in another tool keeps its old name among the former names (so QGIS shows it at once),
    and a name whose words changed without its romanization has the romanization cleared: mzgis spells it
    again at its next look (``Gazetteer.fill_derived``)."""
    words_changed = 'OLD."name" IS NOT NEW."name" OR OLD."specific" IS NOT NEW."specific" OR OLD."generic" IS NOT NEW."generic"'  # fmt: skip
    former = (
        """json_insert(coalesce(nullif("former_names", ''), '[]'), '$[#]', json_object('name', OLD."name","""
        """ 'romanized', OLD."romanized", 'from', OLD."approved_on", 'to', date('now', '+8 hours')))"""
    )
    return (
        f'UPDATE {t} SET "former_names" = CASE WHEN OLD."name" IS NOT NEW."name" THEN {former} ELSE "former_names" END,'
        f' "romanized" = CASE WHEN ({words_changed}) AND NEW."romanized" IS OLD."romanized" THEN NULL'
        ' ELSE "romanized" END WHERE id = NEW.id'
    )


def _inserted_fills(layer: Layer, who: str, derived: list[str]) -> list[str]:
    """What a row added outside mzgis is given: its system fields, its derived fields cleared (mzgis works
    them out) and, for a place name, its whole name as specific (the clean-up report splits it), not yet approved."""
    fills = [
        '"version" = coalesce("version", 1)',
        f'"updated_at" = coalesce("updated_at", {_NOW})',
        f'"updated_by" = {who}',
    ]
    fills += derived
    if layer.name == "place_names":
        fills += [
            '"generic" = CASE WHEN coalesce("specific", \'\') = \'\' THEN NULL ELSE "generic" END',
            '"specific" = CASE WHEN coalesce("specific", \'\') = \'\' THEN "name" ELSE "specific" END',
            '"status" = coalesce("status", \'proposed\')',
        ]
    return fills


def integrity_sql(layer: Layer) -> list[str]:
    """The triggers that version and audit edits made outside mzgis, and refuse deleting place names."""
    t = q(layer.name)
    outside = f"NOT EXISTS (SELECT 1 FROM {SESSION_TABLE})"
    who_new = "CASE WHEN NEW.updated_by NOT IN ('', 'external') THEN NEW.updated_by ELSE 'external' END"
    who_upd = "CASE WHEN NEW.updated_by IS NOT OLD.updated_by AND NEW.updated_by != '' THEN NEW.updated_by ELSE 'external' END"  # fmt: skip
    # a move is a change of the coordinates, not of the blob: GDAL rewrites the header (its envelope) on a save
    geometry_changed = f"{_wkb('OLD')} IS NOT {_wkb('NEW')}" if layer.geometry else "0"
    changeset = f"INSERT INTO {CHANGESET_TABLE} (created_at, created_by, comment) VALUES ({_NOW}, {{who}}, '{EXTERNAL_REASON}');"
    audit = (
        f"INSERT INTO {AUDIT_TABLE} (changeset_id, changed_at, changed_by, layer, feature_id, action, version, reason,"
        f" before, after) VALUES (last_insert_rowid(), {_NOW}, {{who}}, '{layer.name}', {{fid}}, '{{action}}',"
        f" {{version}}, '{EXTERNAL_REASON}', {{before}}, {{after}});"
    )
    row_new, old_json = _row_json(layer, "NEW"), _row_json(layer, "OLD")
    new_json = row_new
    if layer.geometry:  # the geometry is not turned into JSON here: the history says it changed
        new_json = f"json_set({row_new}, '$.geometry', CASE WHEN NEW.{q(GEOM)} IS NULL THEN NULL ELSE '{EXTERNAL_REASON}' END)"  # fmt: skip
    upd_after = f"CASE WHEN {geometry_changed} THEN json_set({row_new}, '$.geometry', '{EXTERNAL_REASON}') ELSE {row_new} END"  # fmt: skip
    new_version = "CASE WHEN NEW.version > OLD.version THEN NEW.version ELSE OLD.version + 1 END"
    derived = [
        f"{q(f.name)} = NULL" for f in layer.fields if f.derived
    ]  # worked out by mzgis, never taken from outside
    fills = _inserted_fills(layer, who_new, derived)
    statements = [
        f'CREATE TRIGGER "mzgis_{layer.name}_insert_outside" AFTER INSERT ON {t} WHEN {outside} BEGIN '
        + changeset.format(who=who_new)
        + audit.format(
            who=who_new,
            fid="NEW.id",
            action="insert",
            version="coalesce(NEW.version, 1)",
            before="NULL",
            after=new_json,
        )
        # filled as mzgis would, so the fill is not itself an edit made outside
        + _as_mzgis(f"UPDATE {t} SET {', '.join(fills)} WHERE id = NEW.id")
        + " END",
        f'CREATE TRIGGER "mzgis_{layer.name}_update_outside" AFTER UPDATE ON {t} WHEN {outside} BEGIN '
        + changeset.format(who=who_upd)
        + audit.format(
            who=who_upd, fid="NEW.id", action="update", version=new_version, before=old_json, after=upd_after
        )
        # a tool that turns recursive triggers on (GDAL does) must not see the bump as a second outside edit
        + _as_mzgis(
            f'UPDATE {t} SET "version" = OLD.version + 1, "updated_at" = {_NOW}, "updated_by" = {who_upd}'
            " WHERE id = NEW.id AND NEW.version <= OLD.version"
        )
        + (_as_mzgis(f"UPDATE {t} SET {', '.join(derived)} WHERE id = NEW.id") if derived else "")
        + (_as_mzgis(_renamed_outside(t)) if layer.name == "place_names" else "")
        + " END",
    ]
    if layer.name == "place_names":
        statements.append(
            f'CREATE TRIGGER "mzgis_{layer.name}_no_delete" BEFORE DELETE ON {t} BEGIN '
            "SELECT RAISE(ABORT, '标准地名不能删除;不再使用的地名请废止(status 改为 retired,填写废止原因)'); END"
        )
    else:
        statements.append(
            f'CREATE TRIGGER "mzgis_{layer.name}_delete_outside" AFTER DELETE ON {t} WHEN {outside} BEGIN '
            + changeset.format(who="'external'")
            + audit.format(
                who="'external'",
                fid="OLD.id",
                action="delete",
                version="OLD.version + 1",
                before=old_json,
                after="NULL",
            )
            + " END"
        )
    return statements


CORE_SQL = [
    """CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
    f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT)",
    f"""CREATE TABLE {CHANGESET_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '')""",
    f"""CREATE TABLE {AUDIT_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  changeset_id INTEGER NOT NULL REFERENCES {CHANGESET_TABLE}(id),
  changed_at TEXT NOT NULL, changed_by TEXT NOT NULL, layer TEXT NOT NULL, feature_id INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')), version INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '', before TEXT, after TEXT)""",
    f"CREATE INDEX mzgis_audit_feature ON {AUDIT_TABLE} (layer, feature_id)",
    f"CREATE INDEX mzgis_audit_layer ON {AUDIT_TABLE} (layer, id)",  # a layer's revision in one step
    f"CREATE TABLE {SESSION_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), user TEXT NOT NULL)",
]


def srs_rows() -> list[tuple[Any, ...]]:
    cgcs = CRS.from_epsg(STORAGE_EPSG).to_wkt(WktVersion.WKT1_GDAL)
    wgs = CRS.from_epsg(4326).to_wkt(WktVersion.WKT1_GDAL)
    return [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, wgs, "longitude/latitude coordinates in decimal degrees on WGS 84"),
        ("China Geodetic Coordinate System 2000", STORAGE_EPSG, "EPSG", STORAGE_EPSG, cgcs, "CGCS2000 (storage CRS)"),
    ]


def index_sql(layer: Layer) -> list[str]:
    """The layer's indexes: its natural key (unique) and the fields looked up by value."""
    out = []
    if len(layer.natural_key) > 1:
        cols = ", ".join(q(k) for k in layer.natural_key)
        out.append(f"CREATE UNIQUE INDEX {q(layer.name + '_key')} ON {q(layer.name)} ({cols})")
    out += [
        f"CREATE INDEX {q(layer.name + '_' + f.name)} ON {q(layer.name)} ({q(f.name)})"
        for f in layer.fields
        if f.indexed
    ]
    return out


def _indexes_and_triggers(conn: sqlite3.Connection, layer: Layer) -> None:
    for sql in [*index_sql(layer), *integrity_sql(layer)]:
        conn.execute(sql)


def create_layer(conn: sqlite3.Connection, layer: Layer, stamp: str) -> None:
    """A layer's table, its gpkg_contents (and geometry column, R-tree) rows, key index and triggers."""
    conn.execute(table_sql(layer))
    desc = f"{layer.label_zh} {layer.description}".strip()
    if layer.geometry:
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)"
            " VALUES (?, 'features', ?, ?, ?, ?)",
            (layer.name, layer.name, desc, stamp, STORAGE_EPSG),
        )
        conn.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
            (layer.name, GEOM, layer.geometry, STORAGE_EPSG),
        )
        for sql in rtree_sql(layer.name):
            conn.execute(sql)
        conn.execute(
            "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            (layer.name, GEOM),
        )
    else:
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
            " VALUES (?, 'attributes', ?, ?, ?)",
            (layer.name, layer.name, desc, stamp),
        )
    _indexes_and_triggers(conn, layer)


def rebuild_layer(conn: sqlite3.Connection, layer: Layer) -> None:
    """Re-create an existing layer's table with the current DDL, keeping every row, id and version (the
    SQLite way to add CHECKs and defaults); its R-tree triggers, key index and integrity triggers are
    created again. Rows that break the current constraints stop the rebuild (``sqlite3.IntegrityError``)."""
    present = [r[1] for r in conn.execute(f"PRAGMA table_info({q(layer.name)})")]
    temporary = f"{layer.name}_rebuild"
    conn.execute(table_sql(layer, table=temporary))
    cols = ", ".join(q(c) for c in present)
    conn.execute(f"INSERT INTO {q(temporary)} ({cols}) SELECT {cols} FROM {q(layer.name)}")
    conn.execute(f"DROP TABLE {q(layer.name)}")
    conn.execute(f"ALTER TABLE {q(temporary)} RENAME TO {q(layer.name)}")
    if layer.geometry:
        for sql in rtree_sql(layer.name, with_table=False):
            conn.execute(sql)
    _indexes_and_triggers(conn, layer)


def current_layer_sql(conn: sqlite3.Connection, layer: Layer) -> bool:
    """Whether the stored table is the one the layer model makes now (same DDL and every trigger)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (layer.name,)).fetchone()
    if row is None or row[0] != table_sql(layer):
        return False
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (layer.name,))}  # fmt: skip
    wanted = {re.search(r'INDEX "([^"]+)"', sql).group(1) for sql in index_sql(layer)}  # type: ignore[union-attr]  # fmt: skip
    triggers = {r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (layer.name,))}  # fmt: skip
    return wanted <= present and set(integrity_sql(layer)) <= triggers  # a trigger of an older version: rebuilt


def check_file(path: Path) -> None:
    """Refuse, with one clear message, a path that is not an mzgis GeoPackage."""
    if not path.exists():
        raise NotFound(f"找不到数据文件 {path}(可用 mzgis init 新建)", f"no such file: {path}", path=str(path))
    if path.is_dir():
        raise InvalidStore(f"{path} 是目录,不是 GeoPackage 文件", f"{path} is a directory, not a GeoPackage")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        raise InvalidStore(
            f"{path} 不是 GeoPackage 文件(不是 SQLite 数据库)", f"{path} is not a GeoPackage (not SQLite)"
        )
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if "gpkg_contents" not in tables or "gpkg_spatial_ref_sys" not in tables:
                raise InvalidStore(
                    f"{path} 不是 GeoPackage 文件(缺少 gpkg_contents 表)",
                    f"{path} is not a GeoPackage (no gpkg_contents)",
                )
            registered = {r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")}
            missing = [name for name in LAYERS if name not in registered or name not in tables]
            if missing:
                hint = "可运行 mzgis upgrade 补上" if len(missing) < len(LAYERS) else "可用 mzgis init 新建"
                raise InvalidStore(
                    f"{path} 不是 mzgis 数据文件:缺少图层 {'、'.join(missing)}({hint})",
                    f"{path} lacks layers: {', '.join(missing)}",
                    missing=missing,
                )
            problems = []
            for lay in LAYERS.values():
                cols = {r[1] for r in conn.execute(f"PRAGMA table_info({q(lay.name)})")}
                need = {*lay.field_names, *(f.name for f in SYSTEM_FIELDS), *([GEOM] if lay.geometry else [])}
                if need - cols:
                    problems.append(f"{lay.name} 缺少字段 {'、'.join(sorted(need - cols))}")
            for table in (AUDIT_TABLE, CHANGESET_TABLE):
                if table not in tables:
                    problems.append(f"缺少修改记录表 {table}")
            if SESSION_TABLE not in tables:
                problems.append("缺少保证完整性的约束和触发器(早期版本的文件)")
            if problems:
                raise InvalidStore(
                    f"{path} 的结构不符合 mzgis 图层模型:" + ";".join(problems) + "(可运行 mzgis upgrade 升级)",
                    f"{path} does not match the mzgis layer model",
                    problems=problems,
                )
    except sqlite3.DatabaseError as exc:
        raise InvalidStore(f"{path} 无法作为 GeoPackage 打开:{exc}", f"cannot open {path}: {exc}") from None
