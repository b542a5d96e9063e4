"""The store on a PostgreSQL database with PostGIS: one register for many counties, officers and server
processes. Same layer model, same behaviour as the GeoPackage (:mod:`mzgis.store.geopackage`): versions,
one audit row per change committed with it, changesets, derived fields, notes, accounts and documents.

Writers do not take one lock for the whole register: an edit locks the row it changes (``FOR UPDATE``:
a second editor of the same version waits, then gets a Conflict) and the scopes whose names it compares
(an advisory lock per scope key, :meth:`Transaction.lock_scopes`), so editors in different townships never
wait for each other. A layer's revision is a counter raised at commit (its row lock orders the commits), so
a cache keyed by it never misses a change committed by another process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
import shapely
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from shapely.geometry.base import BaseGeometry

from mzgis.crs import STORAGE_EPSG
from mzgis.errors import Conflict, InvalidStore, MzgisError
from mzgis.layers import LAYERS, Layer, get_layer
from mzgis.store.base import (
    SYSTEM_TABLES,
    Backend,
    Feature,
    Loader,
    Transaction,
    account_values,
    fill_sql,
    require_user,
    utc_now,
)
from mzgis.store.location import public_url
from mzgis.store.postgis.accounts import PostgresAccounts, PostgresDocuments
from mzgis.store.postgis.connection import Pool, server_error
from mzgis.store.postgis.names import SEARCH_FUNCTIONS, PgNames, has_search, install_search
from mzgis.store.postgis.schema import (
    HISTORY_SQL,
    REVISIONS_TABLE,
    add_account_columns,
    constraint_rules,
    create_schema,
    history_kept,
    keep_history,
    outdated_functions,
    replace_functions,
    schema_problems,
)
from mzgis.store.rows import (
    checked_rows,
    pinned_read,
)
from mzgis.store.seal import SEAL_TABLE, seal_pending
from mzgis.store.sql import Dialect, SqlStore, SqlTransaction, inserted, meta_upsert
from mzgis.store.tables import (
    ACCOUNT_TABLES,
    AUDIT_TABLE,
    CHANGESET_TABLE,
    DOCUMENTS_TABLE,
    GEOM,
    META_TABLE,
    SECURITY_TABLE,
    q,
)

__all__ = ["PostGISStore", "create_postgis"]

Bounds = tuple[float, float, float, float]


def create_postgis(url: str, *, clock: Callable[[], str] = utc_now, replace: bool = False) -> None:
    """Create mzgis's tables in the existing database ``url`` (PostGIS created when missing and allowed).
    A database that already holds mzgis tables is refused unless ``replace`` (they are dropped first)."""
    pool = Pool(url, lock_wait_s=30)
    try:
        with pool.connection() as conn:
            try:
                _ensure_postgis(conn, url)
                present = conn.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                    " AND table_name = ANY(%s)",
                    ([*LAYERS, META_TABLE, AUDIT_TABLE],),
                ).fetchone()
                if present and present[0] and not replace:
                    raise Conflict(
                        f"数据库 {public_url(url)} 中已有 mzgis 数据;如要清空重建请加 --force",
                        "the database already holds mzgis tables",
                    )
                with conn.transaction():
                    if replace:
                        _drop(conn)
                    create_schema(conn, stamp=clock())
                    keep_history(conn)
            except psycopg.Error as exc:
                raise server_error(exc, what="新建数据库结构") from None
    finally:
        pool.close()


def _ensure_postgis(conn: psycopg.Connection[Any], url: str) -> None:
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        raise InvalidStore(
            f"数据库 {public_url(url)} 没有 PostGIS 扩展,且无权创建({(exc.diag.message_primary or exc)!s});"
            "请数据库管理员执行 CREATE EXTENSION postgis 后再试",
            "PostGIS is missing and cannot be created",
        ) from None


def _drop(conn: psycopg.Connection[Any]) -> None:
    tables = [
        *LAYERS,
        AUDIT_TABLE,
        CHANGESET_TABLE,
        META_TABLE,
        REVISIONS_TABLE,
        DOCUMENTS_TABLE,
        *ACCOUNT_TABLES,
        SEAL_TABLE,
        SECURITY_TABLE,
    ]
    conn.execute("DROP TABLE IF EXISTS " + ", ".join(q(t) for t in tables) + " CASCADE")
    audit_args = "text, bigint, text, integer, text, jsonb, jsonb"
    for fn in (
        "mzgis_row_edit()",
        "mzgis_row_delete()",
        f"mzgis_audit_outside({audit_args})",
        "mzgis_outside()",
        "mzgis_now()",
        "mzgis_history_kept()",
        *SEARCH_FUNCTIONS,
    ):
        conn.execute(f"DROP FUNCTION IF EXISTS {fn}")


# ---------------------------------------------------------------- values


log = logging.getLogger(__name__)


class PostgresDialect(Dialect):
    """PostgreSQL with PostGIS: geometries as WKB in and out (in EPSG:4490), dates as ISO text, JSON as
    jsonb; a box query through the GiST index; a read that locks holds its rows until commit."""

    mark = "%s"
    no_limit = None  # LIMIT NULL: every row
    lock = " FOR UPDATE"

    def geom_out(self, column: str) -> str:
        return f"ST_AsBinary({column})"

    def geom_in(self) -> str:
        return f"ST_GeomFromWKB(%s, {STORAGE_EPSG})"

    def encode(self, geom: BaseGeometry | None) -> Any:
        return None if geom is None else shapely.to_wkb(geom)

    def decode_many(self, values: Sequence[Any]) -> list[BaseGeometry | None]:
        return list(shapely.from_wkb(list(values)))

    history_sql = HISTORY_SQL

    def history_kept(self, conn: Any) -> bool:
        return history_kept(conn)

    def has_table(self, conn: Any, name: str) -> bool:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (name,)).fetchone()
        return bool(row and row["present"])

    def extent_sql(self, lay: Layer) -> str:
        g = q(GEOM)
        return (
            f"SELECT ST_XMin(ST_Extent({g})) AS x0, ST_YMin(ST_Extent({g})) AS y0, ST_XMax(ST_Extent({g})) AS x1,"
            f" ST_YMax(ST_Extent({g})) AS y1 FROM {q(lay.name)}"
        )

    def bbox(self, lay: Layer, bounds: Bounds) -> tuple[str, list[Any]]:
        return f"{q(GEOM)} && ST_MakeEnvelope(%s, %s, %s, %s, {STORAGE_EPSG})", list(bounds)

    def any_value(self, column: str, values: list[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [values]

    def value_out(self, f_type: str, value: Any) -> Any:
        return value.isoformat() if f_type == "date" and isinstance(value, dt.date) else value

    def json_in(self, value: Any) -> Any:
        return None if value is None else Jsonb(value)

    def json_out(self, value: Any) -> Any:
        return value  # psycopg decodes jsonb

    def refusal(self, lay: Layer, exc: Exception, clean: Mapping[str, Any]) -> MzgisError | None:
        if not isinstance(exc, psycopg.Error):
            return None
        return server_error(exc, rules=constraint_rules(lay), what=lay.label_zh)


POSTGRES = PostgresDialect()


# ---------------------------------------------------------------- transactions


class _PgTransaction(SqlTransaction):
    """Each edit locks the rows it changes and the scopes it compares names in, not the whole register."""

    dialect = POSTGRES

    def __init__(self, conn: psycopg.Connection[Any], changeset: int, user: str, reason: str, stamp: str) -> None:
        super().__init__(conn, changeset, user, reason, stamp)
        self._scopes: set[str] = set()

    def lock_scopes(self, keys: Iterable[str]) -> None:
        wanted = sorted(set(keys) - self._scopes)  # in one order: two savers never wait on each other's locks
        if wanted:
            self._conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('mzgis scope ' || k, 0)) FROM unnest(%s::text[]) AS k",
                (wanted,),
            )
            self._scopes.update(wanted)

    def insert(self, layer: str, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> Feature:
        lay = get_layer(layer)
        self.check_gate(lay)
        (clean,), (geom,) = checked_rows(lay, [(properties, geometry)])
        (fid,) = self._insert_checked(lay, [clean], [geom], [self._reason])
        return Feature(lay.name, fid, 1, clean, geom, self.stamp, self.user)  # as stored: no read back

    def _insert_checked(
        self, lay: Layer, clean_rows: list[dict[str, Any]], geometries: list[BaseGeometry | None], reasons: list[str]
    ) -> list[int]:
        """Checked rows written with ids from the layer's sequence, each with its audit row in the same statement
        (one round trip per batch of rows: a save's own cost on a busy server)."""
        if not clean_rows:
            return []
        fields = list(lay.field_names)
        cols = [*fields, "version", "updated_at", "updated_by"]
        marks = ["%s"] * len(cols)
        if lay.geometry:
            cols.append(GEOM)
            marks.append(POSTGRES.geom_in())
        sql = (
            f"WITH added AS (INSERT INTO {q(lay.name)} ({', '.join(q(c) for c in cols)}) VALUES ({', '.join(marks)})"
            " RETURNING id)"
            f" INSERT INTO {AUDIT_TABLE} (changeset_id, changed_at, changed_by, layer, feature_id, action, version,"
            " reason, before, after) SELECT %s, %s, %s, %s, added.id, 'insert', 1, %s, NULL, %s FROM added"
            " RETURNING feature_id"
        )
        values = []
        for c, g, reason in zip(clean_rows, geometries, reasons, strict=True):
            after = inserted(lay, c, g)
            values.append(
                [
                    *(c[f] for f in fields), 1, self.stamp, self.user, *([POSTGRES.encode(g)] if lay.geometry else []),
                    self.changeset, self.stamp, self.user, lay.name, reason, POSTGRES.json_in(after),
                ]
            )  # fmt: skip
        ids: list[int] = []
        try:
            with self._conn.cursor() as cur:
                cur.executemany(sql, values, returning=True)
                while True:
                    ids.append(int(cur.fetchone()["feature_id"]))
                    if not cur.nextset():
                        break
        except psycopg.Error as exc:
            raise server_error(exc, rules=constraint_rules(lay), what=lay.label_zh) from None
        self.touched.add(lay.name)
        return ids

    def finish(self, *, history_known: bool) -> None:
        """Raise the revision of every layer changed (in name order), stamp this changeset's audit rows and
        seal them (``history_known``: the seal table and the triggers that keep the history were seen before, no
        need to look for them)."""
        for layer in sorted(self.touched):
            self._conn.execute(
                f"WITH raised AS (UPDATE {REVISIONS_TABLE} SET revision = revision + 1 WHERE layer = %s"
                f" RETURNING revision) UPDATE {AUDIT_TABLE} SET revision = raised.revision FROM raised"
                " WHERE changeset_id = %s AND layer = %s",
                (layer, self.changeset, layer),
            )
        # the history sealed in commit order: one committing writer at a time takes the chain's next links
        self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('mzgis seal', 0))")
        if not history_known and not POSTGRES.has_table(self._conn, SEAL_TABLE):
            self._conn.execute(POSTGRES.history_sql[0])  # the seals; the triggers come at the next opening
        seal_pending(self._conn, "%s", self.changeset)


_SYSTEM = {
    "changesets": (CHANGESET_TABLE, "id"),
    "audit": (AUDIT_TABLE, "id"),
    "meta": (META_TABLE, "key"),
    "accounts": ("mzgis_users", "name"),
    "documents": (DOCUMENTS_TABLE, "id"),
}


class _PgLoader(Loader):
    """Rows copied in with COPY (geometries as hex EWKB in 4490), in the loading transaction."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def features(self, layer: str, features: Sequence[Feature]) -> None:
        lay = get_layer(layer)
        cols = ["id", *lay.field_names, "version", "updated_at", "updated_by", *([GEOM] if lay.geometry else [])]
        with (
            self._conn.cursor() as cur,
            cur.copy(f"COPY {q(lay.name)} ({', '.join(q(c) for c in cols)}) FROM STDIN") as cp,
        ):
            for f in features:
                row = [f.id, *(f.properties.get(n) for n in lay.field_names), f.version, f.updated_at, f.updated_by]
                if lay.geometry:
                    g = None if f.geometry is None else shapely.set_srid(f.geometry, STORAGE_EPSG)
                    row.append(None if g is None else shapely.to_wkb(g, hex=True, include_srid=True))
                cp.write_row(row)

    def rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        fields = SYSTEM_TABLES[table]
        name, _ = _SYSTEM[table]
        if table == "meta":  # the target's own notes (when it was made) give way to the source's
            with self._conn.cursor() as cur:
                cur.executemany(meta_upsert(POSTGRES), [(r["key"], r["value"]) for r in rows])
            return
        with self._conn.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(fields)}) FROM STDIN") as cp:
            for row in rows:
                values = account_values(row) if table == "accounts" else [row[f] for f in fields]
                if table == "audit":
                    values[-2:] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values[-2:]]
                cp.write_row(values)


# ---------------------------------------------------------------- the store


class PostGISStore(SqlStore, Backend, PostgresAccounts, PostgresDocuments):
    """The store on a PostgreSQL database with PostGIS (a URL ``postgresql://user@host/db``)."""

    dialect = POSTGRES
    revision_column = "revision"  # raised at commit, in commit order (ids are taken before, out of order)

    def __init__(self, url: str, *, clock: Callable[[], str] = utc_now, write_wait_s: float = 10.0) -> None:
        self.url = url
        self._clock = clock
        self.write_wait_s = write_wait_s
        self._pool = Pool(url, lock_wait_s=write_wait_s)
        self._snapshots = threading.local()  # a connection pinned by snapshot(), per thread
        self._search: bool | None = None  # whether the database holds the gazetteer's search, once asked
        self._history_known = False  # the history's seal table and triggers seen (one look per store, not per save)
        weakref.finalize(self, self._pool.close)  # a store dropped without close() closes its connections
        with self._connection() as conn:
            problems = schema_problems(conn)
            if not problems:
                self._bring_up(conn)
        if problems:
            where = public_url(url)
            if len(problems) >= len(LAYERS):
                raise InvalidStore(
                    f"数据库 {where} 中没有 mzgis 数据(可用 mzgis init {where} 新建)", "no mzgis tables in the database"
                )
            raise InvalidStore(
                f"数据库 {where} 的结构不符合 mzgis 图层模型:" + ";".join(problems),
                "the database does not match the mzgis layer model",
                problems=problems,
            )

    def _bring_up(self, conn: psycopg.Connection[Any]) -> None:
        """Give a database made by an earlier version what this one adds at opening: the columns of the
        account tables, the history's seal table and the triggers that keep its rows. Their DDL waits for
        the writers in progress on those tables (never inside a write: another writer's lock on them would
        wait for ours); a database whose role may not alter them, or whose writers hold on past the wait, is
        left as it is and tried again at the next opening (``mzgis upgrade`` says so)."""
        try:
            with conn.transaction():
                add_account_columns(conn)
                if not POSTGRES.history_kept(conn):
                    keep_history(conn)
        except psycopg.Error as exc:
            log.warning("数据库结构未能补全(账号字段、修改记录保护),下次打开时再试:%s", exc.diag.message_primary or exc)

    def history_guarded(self) -> bool:
        """Whether the database has the history's seal table and the triggers that keep its rows."""
        with self._connection() as conn:
            return POSTGRES.history_kept(conn)

    @classmethod
    def create(cls, url: str, *, clock: Callable[[], str] = utc_now, replace: bool = False) -> PostGISStore:
        create_postgis(url, clock=clock, replace=replace)
        return cls(url, clock=clock)

    @property
    def location(self) -> str:
        return public_url(self.url)

    @property
    def schema(self) -> str:
        """The schema that holds mzgis's tables (the connection's current schema)."""
        with self._connection() as conn:
            row = conn.execute("SELECT current_schema() AS s").fetchone()
        return str(row["s"]) if row else "public"

    def name_source(self) -> PgNames | None:
        if self._search is None:
            with self._connection() as conn:
                self._search = has_search(conn)
        return PgNames(self._connection) if self._search else None

    def refresh_functions(self, *, dry_run: bool = False) -> list[str]:
        """Bring the trigger functions of a database made by an earlier version up to this one's (``mzgis
        upgrade``); returns the names of those replaced (or, ``dry_run``, of those that would be)."""
        with self._connection() as conn:
            names = outdated_functions(conn)
            if names and not dry_run:
                with conn.transaction():
                    replace_functions(conn, names)
        return names

    def install_search(self) -> bool:
        """Give a database made before the gazetteer's search lived in it that search (its functions and
        indexes; ``mzgis upgrade``). Returns whether anything was made."""
        with self._connection() as conn:
            if has_search(conn):
                return False
            with conn.transaction():
                install_search(conn)
        self._search = True
        return True

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        pinned = getattr(self._snapshots, "conn", None)
        if pinned is not None:  # inside snapshot(): its one transaction
            try:
                yield pinned
            except psycopg.Error as exc:
                raise server_error(exc) from None
            return
        with self._pooled() as conn:
            try:
                yield conn
            except psycopg.Error as exc:
                raise server_error(exc) from None

    @contextmanager
    def _pooled(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection of the pool, giving rows as dicts."""
        with self._pool.connection() as conn:
            conn.row_factory = dict_row
            yield conn

    def _read(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._connection()

    def close(self) -> None:
        self._pool.close()

    def snapshot(self) -> AbstractContextManager[None]:
        return pinned_read(self._snapshots, self._pooled, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "SELECT 1")

    def system_rows(self, table: str, *, after: Any = None, limit: int = 5000) -> list[dict[str, Any]]:
        fields = SYSTEM_TABLES[table]
        name, key = _SYSTEM[table]
        order = key if key == "id" else f'{key} COLLATE "C"'  # as the GeoPackage orders text: by bytes
        where, params = ("", []) if after is None else (f" WHERE {order} > %s", [after])
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(fields)} FROM {name}{where} ORDER BY {order} LIMIT %s", [*params, limit]
            ).fetchall()
        return [dict(r) | ({"data": bytes(r["data"])} if table == "documents" else {}) for r in rows]

    @contextmanager
    def bulk_load(self, *, merge: bool = False) -> Iterator[Loader]:
        with self._connection() as conn, conn.transaction():
            held = [t for t in (*LAYERS, AUDIT_TABLE) if conn.execute(f"SELECT 1 FROM {q(t)} LIMIT 1").fetchone()]
            if held and not merge:
                raise Conflict(
                    f"数据库 {self.location} 已有数据({'、'.join(held)}),只能复制到空的数据库", "target not empty"
                )
            conn.execute("SELECT set_config('mzgis.user', 'mzgis copy', true)")  # the triggers stay silent
            yield _PgLoader(conn)
            for table in (*LAYERS, CHANGESET_TABLE, AUDIT_TABLE, DOCUMENTS_TABLE):
                conn.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    f" coalesce((SELECT max(id) FROM {q(table)}), 0) + 1, false)",
                    (table,),
                )
            if merge:  # the rows brought are one more change of each layer they touch
                conn.execute(
                    f"UPDATE {REVISIONS_TABLE} AS v SET revision = revision + 1 WHERE EXISTS"
                    f" (SELECT 1 FROM {AUDIT_TABLE} AS a WHERE a.layer = v.layer AND a.revision IS NULL)"
                )
                conn.execute(
                    f"UPDATE {AUDIT_TABLE} AS a SET revision = v.revision FROM {REVISIONS_TABLE} AS v"
                    " WHERE a.layer = v.layer AND a.revision IS NULL"
                )
            else:  # each layer's history in order, counted: its revision
                conn.execute(
                    f"UPDATE {AUDIT_TABLE} AS a SET revision = r.n FROM (SELECT id, row_number() OVER"
                    f" (PARTITION BY layer ORDER BY id) AS n FROM {AUDIT_TABLE}) AS r WHERE a.id = r.id"
                )
                conn.execute(
                    f"UPDATE {REVISIONS_TABLE} AS v SET revision = coalesce((SELECT max(revision) FROM {AUDIT_TABLE}"
                    " AS a WHERE a.layer = v.layer), 0)"
                )
        with self._connection() as conn:  # after the commit: the loaded rows as the planner and indexes need them
            conn.execute("ANALYZE")  # statistics now, not whenever autovacuum comes by (the search's plans use them)
            if has_search(conn):  # the pending entries of the names' grams merged now: no first save pays for it
                conn.execute("SELECT gin_clean_pending_list('place_names_search_grams'::regclass)")

    @contextmanager
    def transaction(self, *, user: str, reason: str = "") -> Iterator[Transaction]:
        require_user(user)
        with self._connection() as conn:
            try:
                with conn.transaction() as block:
                    # while set (only inside this transaction) the database's triggers know mzgis writes
                    stamp = self._clock()
                    row = conn.execute(  # the setting first, in the statement that records the changeset
                        f"WITH who AS (SELECT set_config('mzgis.user', %s, true))"
                        f" INSERT INTO {CHANGESET_TABLE} (created_at, created_by, comment) SELECT %s, %s, %s FROM who"
                        " RETURNING id",
                        (user, stamp, user, reason),
                    ).fetchone()
                    tx = _PgTransaction(conn, int(row["id"]) if row else 0, user, reason, stamp)
                    yield tx
                    if tx.touched:
                        tx.finish(history_known=self._history_known)
                    else:
                        raise psycopg.Rollback(block)  # an empty changeset is not recorded
            except psycopg.Error as exc:
                raise server_error(exc) from None
            self._history_known = self._history_known or bool(tx.touched)  # committed: they are there

    def _write_derived(self, lay: Layer, values: Mapping[int, Mapping[str, Any]], meta: Mapping[str, str]) -> None:
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT set_config('mzgis.user', 'mzgis', true)")  # not an edit: no audit row, no version
            by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
            for fid, row in values.items():
                by_columns.setdefault(tuple(row), []).append([*row.values(), fid])
            with conn.cursor() as cur:
                for cols, rows in by_columns.items():
                    sets = ", ".join(fill_sql(lay.name, c, "%s") for c in cols)
                    cur.executemany(f"UPDATE {q(lay.name)} SET {sets} WHERE id = %s", rows)
                cur.executemany(meta_upsert(POSTGRES), list(meta.items()))

    def set_meta(self, key: str, value: str | None, *, keep: bool = False) -> None:
        with self._connection() as conn:
            if value is None:
                conn.execute(f"DELETE FROM {META_TABLE} WHERE key = %s", (key,))
            else:
                conn.execute(meta_upsert(POSTGRES, keep=keep), (key, value))

    def revision(self, layer: str) -> int:
        lay = get_layer(layer)
        with self._connection() as conn:
            row = conn.execute(f"SELECT revision FROM {REVISIONS_TABLE} WHERE layer = %s", (lay.name,)).fetchone()
        return int(row["revision"]) if row else 0
