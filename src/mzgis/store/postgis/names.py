"""The gazetteer's search in the database: the candidates of :func:`mzgis.gazetteer.search.search_names`
answered by indexes, so a server on a database loads no names at start-up and every worker sees every
commit at once.

What the database keeps (made by ``mzgis init``, added to older databases by ``mzgis upgrade``):

- ``mzgis_pinyin_key(pinyin)`` and ``mzgis_initials(pinyin)``: the search keys of a stored pinyin, as
  :func:`mzgis.lookup.pinyin_keys` computes them, each with a byte-wise B-tree (prefix ranges, in
  key order, ties by id);
- the name itself with a byte-wise B-tree (exact and prefix);
- ``mzgis_grams(name)``: the name's characters and character pairs, with a GIN index (names containing a
  text: the query's grams must all be there, then the text is looked for). Not ``pg_trgm``: its trigrams
  skip characters the database's locale does not call letters, which under the C locale is every Chinese
  character; the grams work under any locale;
- the names' positions (``ST_PointOnSurface``, as shapely's ``representative_point``) as geography with a
  GiST index: the nearest names on the sphere (KNN).

A name whose pinyin is not stored (edited in another tool, awaiting the gazetteer's derived fields) has no
pinyin keys here; the gazetteer adds such names from memory.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from mzgis.crs import STORAGE_EPSG
from mzgis.lookup import END, Filters, IndexRecord, one_edit_variants, shared_prefix

__all__ = ["SEARCH_FUNCTIONS", "SEARCH_SQL", "PgNames", "has_search", "install_search"]

_KEY_EXPR = {
    "name": 'name COLLATE "C"',
    "pinyin": 'mzgis_pinyin_key(pinyin) COLLATE "C"',
    "initials": 'mzgis_initials(pinyin) COLLATE "C"',
}
_POINT = "ST_PointOnSurface(geom)::geography"

SEARCH_SQL = [
    # the syllables of letters only (digits and marks left out), ASCII letters lowered: as pinyin_keys does,
    # under any locale
    """CREATE OR REPLACE FUNCTION mzgis_pinyin_key(p text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(string_agg(translate(s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ''
     ORDER BY n), '')
   FROM regexp_split_to_table(p, ' ') WITH ORDINALITY AS t(s, n) WHERE s ~ '^[A-Za-zü]+$' $$""",
    """CREATE OR REPLACE FUNCTION mzgis_initials(p text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(string_agg(translate(left(s, 1), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ''
     ORDER BY n), '')
   FROM regexp_split_to_table(p, ' ') WITH ORDINALITY AS t(s, n) WHERE s ~ '^[A-Za-zü]+$' $$""",
    """CREATE OR REPLACE FUNCTION mzgis_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
     SELECT substr(t, i, 1) FROM generate_series(1, char_length(t)) AS i
     UNION ALL SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i) AS s(g) $$""",
    f"CREATE INDEX IF NOT EXISTS place_names_search_name ON place_names (({_KEY_EXPR['name']}), id)",
    f"CREATE INDEX IF NOT EXISTS place_names_search_pinyin ON place_names (({_KEY_EXPR['pinyin']}), id)",
    f"CREATE INDEX IF NOT EXISTS place_names_search_initials ON place_names (({_KEY_EXPR['initials']}), id)",
    "CREATE INDEX IF NOT EXISTS place_names_search_grams ON place_names USING gin (mzgis_grams(name))",
    f"CREATE INDEX IF NOT EXISTS place_names_search_point ON place_names USING gist (({_POINT}))",
]
SEARCH_FUNCTIONS = ["mzgis_pinyin_key(text)", "mzgis_initials(text)", "mzgis_grams(text)"]
_INDEXES = [
    "place_names_search_name",
    "place_names_search_pinyin",
    "place_names_search_initials",
    "place_names_search_grams",
    "place_names_search_point",
]


def install_search(conn: psycopg.Connection[Any]) -> None:
    """The search's functions and indexes (kept if there), in the caller's transaction."""
    for sql in SEARCH_SQL:
        conn.execute(sql.encode())


def has_search(conn: psycopg.Connection[Any]) -> bool:
    """Whether the database holds the search's indexes (a database made before them lacks them)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY(%s)",
            [_INDEXES],
        ).fetchone()
    return row is not None and row[0] == len(_INDEXES)


_COLUMNS = (
    "id, name, category, admin_code, status, romanized, pinyin,"
    " ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat"
)


def _filters(filters: Filters) -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    if filters.category:
        clauses.append("category = %s")
        params.append(filters.category)
    if filters.township:
        clauses.append("left(admin_code, char_length(%s)) = %s")
        params += [filters.township, filters.township]
    if filters.status:
        clauses.append("status = %s")
        params.append(filters.status)
    return " AND ".join(clauses), params


def _record(row: dict[str, Any]) -> IndexRecord:
    return IndexRecord(
        int(row["id"]),
        str(row["name"]),
        str(row["category"]),
        str(row["admin_code"]),
        str(row["status"]),
        row["lon"],
        row["lat"],
        str(row["romanized"] or ""),
        row["pinyin"],
    )


class PgNames:
    """Search candidates from the database's indexes (a :class:`mzgis.lookup.StoredNames`)."""

    def __init__(self, connection: Callable[[], AbstractContextManager[psycopg.Connection[Any]]]) -> None:
        self._connection = connection  # dict rows

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return list(conn.execute(sql.encode(), params).fetchall())

    def _passing(
        self, lookup: str, params: list[Any], filters: Filters, *, key: str = "", order: str = ""
    ) -> list[Any]:
        """The rows of ``lookup`` (a lookup's first candidates, ``c``) that pass ``filters``."""
        where, more = _filters(filters)
        return self._rows(f"SELECT {_COLUMNS}{key} FROM {lookup} AS c WHERE {where}{order}", [*params, *more])

    def starting(self, kind: str, key: str, cap: int, filters: Filters) -> list[tuple[IndexRecord, str]]:
        expr = _KEY_EXPR[kind]
        lookup = (
            f"(SELECT *, {expr} AS k FROM place_names WHERE {expr} >= %s AND {expr} < %s ORDER BY {expr}, id LIMIT %s)"
        )
        rows = self._passing(lookup, [key, key + END, cap], filters, key=", k", order=" ORDER BY k, id")
        return [(_record(r), str(r["k"])) for r in rows]

    def containing(self, text: str, cap: int, filters: Filters) -> list[IndexRecord]:
        lookup = (
            "(SELECT * FROM place_names WHERE mzgis_grams(name) @> mzgis_grams(%s) AND strpos(name, %s) > 0"
            " ORDER BY id LIMIT %s)"
        )
        return [_record(r) for r in self._passing(lookup, [text, text, cap], filters, order=" ORDER BY id")]

    def one_edit(self, q: str, cap: int, filters: Filters) -> list[IndexRecord]:
        expr = _KEY_EXPR["pinyin"]
        neighbours = self._rows(
            f"(SELECT {expr} AS k FROM place_names WHERE {expr} < %s ORDER BY {expr} DESC LIMIT 1)"
            f" UNION ALL (SELECT {expr} FROM place_names WHERE {expr} >= %s ORDER BY {expr} LIMIT 1)",
            [q, q],
        )
        variants = one_edit_variants(q, shared_prefix(q, (str(r["k"]) for r in neighbours)))
        lookup = (
            f"unnest(%s::text[]) AS v(v) CROSS JOIN LATERAL (SELECT * FROM place_names"
            f" WHERE {expr} >= v.v AND {expr} < v.v || %s ORDER BY {expr}, id LIMIT %s)"
        )
        return [_record(r) for r in self._passing(lookup, [variants, END, cap], filters)]

    def nearest(
        self, lon: float, lat: float, limit: int, *, within_m: float | None, filters: Filters
    ) -> list[IndexRecord]:
        """The ``limit`` names nearest to a point on the sphere (passing ``filters``; within ``within_m``)."""
        where, params = _filters(filters)
        point = f"ST_SetSRID(ST_MakePoint(%s, %s), {STORAGE_EPSG})::geography"
        if within_m is not None:
            where += f" AND ST_DWithin({_POINT}, {point}, %s, false)"
            params += [lon, lat, within_m]
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM place_names WHERE geom IS NOT NULL AND {where}"
            f" ORDER BY {_POINT} <-> {point} LIMIT %s",
            [*params, lon, lat, limit],
        )
        return [_record(r) for r in rows]
