"""The PostgreSQL/PostGIS schema, derived from the same layer model as the GeoPackage's: a table per layer
with ``geometry(…, 4490)`` and a GiST index, every rule of the layer model as a CHECK (named by the rule in
Chinese where PostgreSQL's 63-byte names allow, and commented with it always), the natural keys and looked-up
fields indexed, and PL/pgSQL triggers that keep the register's integrity whatever tool writes it (psql, QGIS's
PostGIS provider, ogr2ogr):

- an insert, update or delete made outside mzgis (the transaction-local setting ``mzgis.user`` unset: mzgis
  sets it in its own transactions only) leaves a changeset and an audit row ("在 mzgis 之外修改"), raises the
  layer's revision, and an update that does not raise ``version`` gets ``version + 1``, ``updated_at`` and
  ``updated_by`` as in the GeoPackage;
- derived fields (a place name's scope key and pinyin) are cleared by such edits, so the gazetteer works them
  out again; a place name added without its specific part gets its whole name as specific;
- a place name is never deleted.

Beside the layers: changesets, audit, per-layer revisions (raised once per committed change, in commit order:
what caches compare), notes, accounts and documents. Codes are compared byte-wise (``COLLATE "C"``) whatever
the database's locale, so a prefix is a range an index serves.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from mzgis.crs import STORAGE_EPSG
from mzgis.layers import CODE_PATTERN, LAYERS, SYSTEM_FIELDS, Field, Layer
from mzgis.store.postgis.names import install_search
from mzgis.store.seal import HISTORY_KEPT, HISTORY_TABLES, SEAL_TABLE
from mzgis.store.tables import (
    ACCOUNT_TABLES,
    AUDIT_TABLE,
    CHANGESET_TABLE,
    CONTROL_POINTS,
    DOCUMENTS_TABLE,
    EXTERNAL_REASON,
    GEOM,
    INVISIBLE_POINTS,
    META_TABLE,
    MULTILINE_CONTROL_POINTS,
    SCHEMA_VERSION,
    SECURITY_TABLE,
    STORE_ID_KEY,
    column_constraints,
    field_rules,
    q,
    record_checks,
)

__all__ = [
    "REVISIONS_TABLE",
    "constraint_rules",
    "create_schema",
    "outdated_functions",
    "replace_functions",
    "schema_problems",
    "table_sql",
]

REVISIONS_TABLE = "mzgis_revisions"
_GEOMETRY = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "LINESTRING": "LineString", "GEOMETRY": "Geometry"}
_TYPES = {"text": "text", "integer": "bigint", "real": "double precision", "boolean": "boolean", "date": "date"}
# columns the account tables got after their first version (made with the tables now, added to older ones)
ACCOUNT_COLUMNS_ADDED = (
    ("mzgis_users", "password_changed_at text"),
    ("mzgis_users", "must_change boolean NOT NULL DEFAULT false"),
    ("mzgis_users", "password_history text NOT NULL DEFAULT '[]'"),
    ("mzgis_users", "totp_secret text"),
    ("mzgis_users", "totp_used_step bigint"),
    ("mzgis_tokens", "last_seen text"),
)
_NOW = """to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


def _chars(points: tuple[int, ...]) -> str:
    """A regular-expression bracket of code points (PostgreSQL's \\uXXXX escapes)."""
    return "[" + "".join(f"\\u{p:04x}" for p in points) + "]"


def _byte_wise(f: Field) -> bool:
    """Codes and scope keys compare byte-wise (prefix ranges), whatever the database's collation."""
    return f.pattern == CODE_PATTERN or f.name == "scope_key"


def _check_sql(f: Field, kind: str, arg: Any) -> str | None:
    """The PostgreSQL expression of one rule (None where the column type already enforces it)."""
    c = q(f.name)
    if kind == "length":
        return f"char_length({c}) <= {arg}"
    if kind == "controls":
        return f"{c} !~ '{_chars(MULTILINE_CONTROL_POINTS if arg else CONTROL_POINTS)}'"
    if kind == "invisible":
        return f"{c} !~ '{_chars(INVISIBLE_POINTS)}'"
    if kind == "type":
        return None  # bigint, double precision, boolean and date columns take nothing else
    if kind == "choices":
        return f"{c} IN ({', '.join(chr(39) + v + chr(39) for v in arg)})"
    if kind == "code":
        return f"{c} ~ '^([0-9]{{6}}|[0-9]{{9}}|[0-9]{{12}})$'"
    if kind == "plain":
        return f"{c} !~ '[/\\\\:*?\"<>|]' AND left({c}, 1) <> '.'"
    if kind == "minimum":
        return f"{c} >= {arg:g}"
    return f"{c} <= {arg:g}"


def _checks(layer: Layer) -> list[tuple[str, str]]:
    """(rule in Chinese, expression) of every CHECK of ``layer``."""
    out = []
    for f in layer.fields:
        for name, kind, arg in field_rules(f):
            sql = _check_sql(f, kind, arg)
            if sql is not None:
                out.append((name, sql))
    out += record_checks(layer)
    out.append(("版本号应为正整数", '"version" >= 1'))
    return out


def _fits(text: str) -> str:
    """``text`` cut at a character to PostgreSQL's 63-byte names, an ellipsis marking the cut."""
    if len(text.encode()) <= 63:
        return text
    while len((text + "…").encode()) > 63:
        text = text[:-1]
    return text + "…"


def constraint_rules(layer: Layer) -> dict[str, str]:
    """Each CHECK's name in the database → the rule in Chinese. The name is the rule itself, cut to 63 bytes
    where longer (``类型(kind)只能取 institution、home_car…``: what psql, GDAL and QGIS print when they are
    refused), and the whole rule is the constraint's comment."""
    out: dict[str, str] = {}
    for i, (rule, _) in enumerate(_checks(layer)):
        name = _fits(rule.replace('"', "'"))
        out[name if name not in out else f"{layer.name}_rule_{i}"] = rule
    return out


def table_sql(layer: Layer) -> list[str]:
    """The CREATE TABLE of ``layer`` with its CHECKs, indexes and constraint comments."""
    t = q(layer.name)
    cols = ['"id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY']
    if layer.geometry:
        cols.append(f'"{GEOM}" geometry({_GEOMETRY[layer.geometry]}, {STORAGE_EPSG})')
    for f in layer.fields:
        collation = ' COLLATE "C"' if _byte_wise(f) else ""
        cols.append(f"{q(f.name)} {_TYPES[f.type]}{collation}{column_constraints(layer.name, f)}")
    cols += [
        '"version" integer NOT NULL DEFAULT 1',
        f'"updated_at" text NOT NULL DEFAULT {_NOW}',
        "\"updated_by\" text NOT NULL DEFAULT 'external'",
    ]
    names = list(constraint_rules(layer))
    checks = [f'CONSTRAINT "{n}" CHECK ({sql})' for n, (_, sql) in zip(names, _checks(layer), strict=True)]
    out = [f"CREATE TABLE {t} (\n  " + ",\n  ".join(cols + checks) + "\n)"]
    out += [
        f"COMMENT ON CONSTRAINT \"{n}\" ON {t} IS '{rule}'" for n, rule in constraint_rules(layer).items() if n != rule
    ]
    out.append(f"COMMENT ON TABLE {t} IS '{(layer.label_zh + ' ' + layer.description).strip().replace(chr(39), '')}'")
    if layer.geometry:
        out.append(f"CREATE INDEX {q(layer.name + '_geom')} ON {t} USING gist ({q(GEOM)})")
    if len(layer.natural_key) > 1:
        key = ", ".join(q(k) for k in layer.natural_key)
        out.append(f"CREATE UNIQUE INDEX {q(layer.name + '_key')} ON {t} ({key})")
    indexed = {f.name for f in layer.fields if f.indexed} | set(layer.scope_fields)
    indexed -= {f.name for f in layer.fields if f.unique}  # a UNIQUE column has its index
    out += [f"CREATE INDEX {q(layer.name + '_' + n)} ON {t} ({q(n)})" for n in sorted(indexed)]
    derived = ", ".join(f"'{f.name}'" for f in layer.fields if f.derived)
    out += [
        f"CREATE TRIGGER mzgis_edit BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW"
        f" EXECUTE FUNCTION mzgis_row_edit({derived})",
        f"CREATE TRIGGER mzgis_delete BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION mzgis_row_delete({derived})",
        f"INSERT INTO {REVISIONS_TABLE} (layer) VALUES ('{layer.name}')",
    ]
    return out


_CORE_SQL = [
    f"CREATE TABLE {META_TABLE} (key text PRIMARY KEY, value text)",
    f"""CREATE TABLE {CHANGESET_TABLE} (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, created_at text NOT NULL, created_by text NOT NULL,
  comment text NOT NULL DEFAULT '')""",
    f"""CREATE TABLE {AUDIT_TABLE} (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  changeset_id bigint NOT NULL REFERENCES {CHANGESET_TABLE} (id),
  changed_at text NOT NULL, changed_by text NOT NULL, layer text NOT NULL, feature_id bigint NOT NULL,
  action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')), version integer NOT NULL,
  reason text NOT NULL DEFAULT '', before jsonb, after jsonb,
  revision bigint)""",
    f"COMMENT ON TABLE {AUDIT_TABLE} IS '修改记录 (audit)'",
    f"COMMENT ON TABLE {CHANGESET_TABLE} IS '变更集 (changesets)'",
    f"CREATE INDEX mzgis_audit_feature ON {AUDIT_TABLE} (layer, feature_id)",
    f"CREATE INDEX mzgis_audit_revision ON {AUDIT_TABLE} (layer, revision)",
    f"CREATE INDEX mzgis_audit_changeset ON {AUDIT_TABLE} (changeset_id)",
    f"CREATE TABLE {REVISIONS_TABLE} (layer text PRIMARY KEY, revision bigint NOT NULL DEFAULT 0)",
    """CREATE TABLE mzgis_users (
  name text PRIMARY KEY CHECK (length(trim(name)) > 0),
  role text NOT NULL CHECK (role IN ('viewer', 'planner', 'editor', 'approver', 'admin')),
  password_hash text NOT NULL, disabled boolean NOT NULL DEFAULT false,
  created_at text NOT NULL, created_by text NOT NULL,
  scope text CHECK (scope ~ '^[0-9]{2,12}$'))""",
    """CREATE TABLE mzgis_tokens (
  token_hash text PRIMARY KEY, name text NOT NULL REFERENCES mzgis_users (name) ON DELETE CASCADE,
  created_at text NOT NULL, expires_at text NOT NULL, label text NOT NULL DEFAULT '')""",
    *(f"ALTER TABLE {table} ADD COLUMN {column}" for table, column in ACCOUNT_COLUMNS_ADDED),
    "CREATE TABLE mzgis_sign_in_failures (name text NOT NULL, failed_at text NOT NULL)",
    "CREATE INDEX mzgis_sign_in_failures_name ON mzgis_sign_in_failures (name, failed_at)",
    f"""CREATE TABLE {DOCUMENTS_TABLE} (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, procedure_id bigint NOT NULL,
  filename text NOT NULL CHECK (char_length(filename) BETWEEN 1 AND 120),
  media_type text NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
  bytes bigint NOT NULL CHECK (bytes > 0), sha256 text NOT NULL, note text NOT NULL DEFAULT '',
  data bytea NOT NULL, added_at text NOT NULL, added_by text NOT NULL)""",
    f"CREATE INDEX mzgis_documents_procedure ON {DOCUMENTS_TABLE} (procedure_id)",
    f"""CREATE FUNCTION mzgis_now() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT {_NOW} $$""",
    """CREATE FUNCTION mzgis_outside() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('mzgis.user', true), '') = '' $$""",
    f"""CREATE FUNCTION mzgis_audit_outside(p_layer text, p_fid bigint, p_action text, p_version integer,
  p_who text, p_before jsonb, p_after jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE cs bigint; rev bigint;
  -- the tool as far as the database knows it: the application name its session gave (QGIS, psql)
  why text := '{EXTERNAL_REASON}' || coalesce('(' || nullif(current_setting('application_name', true), '') || ')', '');
BEGIN
  INSERT INTO {CHANGESET_TABLE} (created_at, created_by, comment) VALUES (mzgis_now(), p_who, why)
    RETURNING id INTO cs;
  UPDATE {REVISIONS_TABLE} SET revision = revision + 1 WHERE layer = p_layer RETURNING revision INTO rev;
  INSERT INTO {AUDIT_TABLE} (changeset_id, changed_at, changed_by, layer, feature_id, action, version, reason,
    before, after, revision)
  VALUES (cs, mzgis_now(), p_who, p_layer, p_fid, p_action, p_version, why, p_before, p_after, rev);
END $$""",
    # TG_ARGV: the layer's derived fields (left out of the history, cleared by an edit made outside)
    f"""CREATE FUNCTION mzgis_row_edit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  skip text[] := ARRAY['id', '{GEOM}', 'version', 'updated_at', 'updated_by'] || TG_ARGV::text[];
  n jsonb; o jsonb; who text; patch jsonb := '{{}}'; after jsonb;
BEGIN
  IF NOT mzgis_outside() THEN RETURN NEW; END IF;
  n := to_jsonb(NEW);
  IF TG_OP = 'INSERT' THEN
    who := CASE WHEN coalesce(NEW.updated_by, '') IN ('', 'external') THEN 'external' ELSE NEW.updated_by END;
    patch := jsonb_build_object('version', coalesce(NEW.version, 1),
      'updated_at', coalesce(NEW.updated_at, mzgis_now()), 'updated_by', who);
    IF TG_TABLE_NAME = 'place_names' THEN
      IF coalesce(n ->> 'specific', '') = '' THEN
        patch := patch || jsonb_build_object('generic', NULL, 'specific', n ->> 'name');
      END IF;
      patch := patch || jsonb_build_object('status', coalesce(n ->> 'status', 'proposed'));
    END IF;
  ELSE
    o := to_jsonb(OLD);
    who := CASE WHEN NEW.updated_by IS DISTINCT FROM OLD.updated_by AND coalesce(NEW.updated_by, '') <> ''
      THEN NEW.updated_by ELSE 'external' END;
    IF NEW.version IS NULL OR NEW.version <= OLD.version THEN
      patch := jsonb_build_object('version', OLD.version + 1, 'updated_at', mzgis_now(), 'updated_by', who);
    END IF;
    IF TG_TABLE_NAME = 'place_names' THEN  -- a rename keeps the old name; changed words are spelt again by mzgis
      IF (n ->> 'name') IS DISTINCT FROM (o ->> 'name') THEN
        patch := patch || jsonb_build_object('former_names',
          (coalesce(nullif(o ->> 'former_names', ''), '[]')::jsonb || jsonb_build_array(jsonb_build_object(
            'name', o -> 'name', 'romanized', o -> 'romanized', 'from', o -> 'approved_on',
            'to', to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))))::text);
      END IF;
      IF ((n ->> 'name') IS DISTINCT FROM (o ->> 'name') OR (n ->> 'specific') IS DISTINCT FROM (o ->> 'specific')
          OR (n ->> 'generic') IS DISTINCT FROM (o ->> 'generic'))
          AND (n -> 'romanized') IS NOT DISTINCT FROM (o -> 'romanized') THEN
        patch := patch || jsonb_build_object('romanized', NULL);
      END IF;
    END IF;
  END IF;
  patch := patch || coalesce((SELECT jsonb_object_agg(d, NULL) FROM unnest(TG_ARGV::text[]) AS d), '{{}}');
  NEW := jsonb_populate_record(NEW, patch);
  n := to_jsonb(NEW);
  after := n - skip;
  IF n ? '{GEOM}' AND (TG_OP = 'INSERT' OR (n -> '{GEOM}') IS DISTINCT FROM (o -> '{GEOM}')) THEN
    after := after || jsonb_build_object('geometry',
      CASE WHEN jsonb_typeof(n -> '{GEOM}') = 'null' THEN NULL ELSE '{EXTERNAL_REASON}' END);
  END IF;
  PERFORM mzgis_audit_outside(TG_TABLE_NAME, NEW.id, lower(TG_OP), NEW.version, who,
    CASE WHEN TG_OP = 'UPDATE' THEN o - skip END, after);
  RETURN NEW;
END $$""",
    """CREATE FUNCTION mzgis_row_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE skip text[] := ARRAY['id', 'geom', 'version', 'updated_at', 'updated_by'] || TG_ARGV::text[];
BEGIN
  IF TG_TABLE_NAME = 'place_names' THEN
    RAISE EXCEPTION '标准地名不能删除;不再使用的地名请废止(status 改为 retired,填写废止原因)'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF mzgis_outside() THEN
    PERFORM mzgis_audit_outside(TG_TABLE_NAME, OLD.id, 'delete', OLD.version + 1, 'external',
      to_jsonb(OLD) - skip, NULL);
  END IF;
  RETURN OLD;
END $$""",
]


# ---------------------------------------------------------------- account columns added since the first version


def add_account_columns(conn: psycopg.Connection[Any]) -> list[str]:
    """Give the account tables of a database made by an earlier version the columns added since (every
    account's password then counts as set when the column came); returns those added."""
    present = {
        (r["table_name"], r["column_name"])
        for r in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ANY(%s)",
            (["mzgis_users", "mzgis_tokens"],),
        ).fetchall()
    }
    added = []
    for table, column in ACCOUNT_COLUMNS_ADDED:
        if (table, column.split()[0]) not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
            if column.startswith("password_changed_at"):  # the accounts' passwords count from now
                conn.execute(f"UPDATE {table} SET password_changed_at = {_NOW}")
            added.append(f"{table}.{column.split()[0]}")
    return added


# each function of the schema: its name → (its SQL, its body between the dollar quotes)
_FUNCTIONS = {
    m.group(1): (sql, m.group(2))
    for sql in _CORE_SQL
    if (m := re.match(r"CREATE FUNCTION (\w+)\(.*?\$\$(.*)\$\$", sql, re.S))
}


def outdated_functions(conn: psycopg.Connection[Any]) -> list[str]:
    """The trigger functions of a database made by an earlier version whose bodies differ from this one's."""
    with conn.cursor(row_factory=tuple_row) as cur:
        query = "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)"
        rows: dict[str, str] = {str(n): str(b) for n, b in cur.execute(query, (list(_FUNCTIONS),)).fetchall()}
    return sorted(name for name, (_, body) in _FUNCTIONS.items() if rows.get(name) != body)


def replace_functions(conn: psycopg.Connection[Any], names: list[str]) -> None:
    """Replace the named trigger functions with this version's (the triggers that call them stay)."""
    for name in names:
        conn.execute(_FUNCTIONS[name][0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1).encode())


def create_schema(conn: psycopg.Connection[Any], *, stamp: str) -> None:
    """Every table, function and trigger of an empty mzgis database, in the caller's transaction."""
    for sql in _CORE_SQL:
        conn.execute(sql.encode())
    for layer in LAYERS.values():
        for sql in table_sql(layer):
            conn.execute(sql.encode())
    install_search(conn)
    conn.execute(
        f"INSERT INTO {META_TABLE} VALUES ('schema_version', %s), ('created_at', %s), (%s, %s)",
        (SCHEMA_VERSION, stamp, STORE_ID_KEY, str(uuid.uuid4())),
    )


def schema_problems(conn: psycopg.Connection[Any]) -> list[str]:
    """What the database lacks of the current layer model (empty: it is an mzgis database as made now)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    problems = []
    for table in (META_TABLE, CHANGESET_TABLE, AUDIT_TABLE, REVISIONS_TABLE, DOCUMENTS_TABLE, *ACCOUNT_TABLES):
        if table not in columns:
            problems.append(f"缺少表 {table}")
    for lay in LAYERS.values():
        if lay.name not in columns:
            problems.append(f"缺少图层 {lay.name}")
            continue
        need = {*lay.field_names, *(f.name for f in SYSTEM_FIELDS), *([GEOM] if lay.geometry else [])}
        if need - columns[lay.name]:
            problems.append(f"{lay.name} 缺少字段 {'、'.join(sorted(need - columns[lay.name]))}")
    return problems


# ---------------------------------------------------------------- the history kept (安全审计)

_KEPT = "mzgis_history_kept"
# the history's seal table and the security log, and the triggers that refuse to change or delete their rows
# (or those of the audit and the changesets): made with the schema, and at the opening of an older database
HISTORY_SQL = (
    f"CREATE TABLE IF NOT EXISTS {SEAL_TABLE} (seq bigserial PRIMARY KEY, audit_id bigint NOT NULL UNIQUE,"
    " hash text NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {SECURITY_TABLE} (
  id bigint PRIMARY KEY, at text NOT NULL, account text NOT NULL, event text NOT NULL, success boolean NOT NULL,
  client text NOT NULL DEFAULT '', detail text NOT NULL DEFAULT '', hash text NOT NULL)""",
    # one update is allowed: the layer's revision stamped on the audit rows of the changeset that raised it
    f"""CREATE OR REPLACE FUNCTION mzgis_history_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = '{AUDIT_TABLE}' THEN
    IF OLD.revision IS NULL AND to_jsonb(NEW) - 'revision' = to_jsonb(OLD) - 'revision' THEN RETURN NEW; END IF;
  END IF;
  RAISE EXCEPTION '{HISTORY_KEPT}' USING ERRCODE = 'integrity_constraint_violation', DETAIL = TG_TABLE_NAME;
END $$""",
    *(
        f"CREATE OR REPLACE TRIGGER {_KEPT} BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW"
        " EXECUTE FUNCTION mzgis_history_kept()"
        for table in (*HISTORY_TABLES, SECURITY_TABLE)
    ),
    *(
        f"CREATE OR REPLACE TRIGGER {_KEPT}_truncate BEFORE TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION mzgis_history_kept()"
        for table in (*HISTORY_TABLES, SECURITY_TABLE)
    ),
)


def history_kept(conn: psycopg.Connection[Any]) -> bool:
    """Whether the seal table, the security log and every trigger that keeps them and the history are there."""
    tables = [*HISTORY_TABLES, SECURITY_TABLE]
    row = conn.execute(
        "SELECT count(*) AS n FROM pg_trigger WHERE tgname IN (%s, %s)"
        " AND tgrelid IN (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t)",
        (_KEPT, f"{_KEPT}_truncate", tables),
    ).fetchone()
    return bool(row and row["n"] == 2 * len(tables))


def keep_history(conn: psycopg.Connection[Any]) -> None:
    """Make the history's seal table, the security log and the triggers that refuse to change or delete rows."""
    for sql in HISTORY_SQL:
        conn.execute(sql)
