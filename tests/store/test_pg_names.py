"""The gazetteer's search in the database: the same hits as the in-memory index for the same names, keys
computed alike in SQL and Python, names edited in psql found at once, nothing loaded at start-up, and an
older database given the search by ``mzgis upgrade``."""

from __future__ import annotations

import psycopg
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.gazetteer.search import Filters, NameIndex, pinyin_keys
from mzgis.gazetteer.service import Gazetteer
from mzgis.store.postgis import PostGISStore
from mzgis.store.postgis.names import PgNames

runner = CliRunner()


def _hits(gaz: Gazetteer, query: str, **kw: object) -> list[tuple[int, str, float]]:
    return [(h.record.id, h.matched, h.score) for h in gaz.search(query, **kw)]  # type: ignore[arg-type]


def _in_memory(store: PostGISStore) -> Gazetteer:
    """A gazetteer on the same database that searches its in-memory index (as on a GeoPackage)."""
    gaz = Gazetteer(store)
    gaz._stored_names = lambda: None  # type: ignore[method-assign]
    return gaz


def test_keys_are_computed_alike_in_sql_and_python(demo_pg: PostGISStore) -> None:
    stored = ["lu nan jie dao", "A zuo da sha", "1203 gao di", "lü cun", "jing 5 lu", "x  y", "Ü", "", "da·sha"]
    with psycopg.connect(demo_pg.url) as conn:
        rows = conn.execute(
            "SELECT p, mzgis_pinyin_key(p), mzgis_initials(p) FROM unnest(%s::text[]) AS p", [stored]
        ).fetchall()
    assert [(p, key, ini) for p, key, ini in rows] == [(p, *pinyin_keys(p)) for p in stored]
    assert pinyin_keys("A zuo da sha") == ("azuodasha", "azds")
    assert pinyin_keys("1203 gao di") == ("gaodi", "gd")


QUERIES = [
    "",  # no query: a listing
    "路桥",
    "路南街道",
    "金清镇",
    "金青镇",  # homophone
    "村",  # contains, many
    "桥村",
    "luqiao",
    "lq",
    "lnjd",
    "jinqing",
    "jinqimg",  # one typo
    "jniqing",  # swapped
    "fengjiang",
    "xiaqiao",
    "z",
]


def test_the_database_gives_the_in_memory_hits(demo_pg: PostGISStore) -> None:
    in_db, in_memory = Gazetteer(demo_pg), _in_memory(demo_pg)
    assert in_db._stored_names() is not None and in_memory._stored_names() is None
    compared = 0
    for q in QUERIES:
        for kw in (
            {},
            {"limit": 5},
            {"status": "current"},
            {"township": "331004106"},
            {"category": "transport_facility"},
        ):
            expected = _hits(in_memory, q, **kw)
            assert _hits(in_db, q, **kw) == expected, (q, kw)
            compared += bool(expected)
    assert compared > 40  # most of the cases find something: the comparison is not of empty lists
    assert in_db._index is None  # the database answered: no name was loaded into memory
    # what the cases found, named: exact names, a homophone, a typo
    assert _hits(in_db, "金清镇", limit=1)[0][1:] == ("name", 100.0)
    assert [h.record.name for h in in_db.search("金青镇", limit=1)] == ["金清镇"]
    assert in_db.search("jinqimg", limit=1)[0].matched == "fuzzy"


def test_nearest_names_come_from_the_database_on_the_sphere(demo_pg: PostGISStore) -> None:
    in_db, in_memory = Gazetteer(demo_pg), _in_memory(demo_pg)
    for kw in ({}, {"within_m": 800.0}, {"category": "self_governing_org"}, {"limit": 3, "status": "current"}):
        got = in_db.search(near=(121.39, 28.58), **kw)
        want = in_memory.search(near=(121.39, 28.58), **kw)
        assert [(h.record.id, round(h.distance_m or 0, 3)) for h in got] == [
            (h.record.id, round(h.distance_m or 0, 3)) for h in want
        ], kw
        assert got, kw
    assert all((h.distance_m or 0) <= 800.0 for h in in_db.search(near=(121.39, 28.58), within_m=800.0))
    assert in_db._index is None and in_db._near is None


def test_a_name_edited_in_psql_is_found_at_once(demo_pg: PostGISStore) -> None:
    gaz = Gazetteer(demo_pg)
    before = gaz.search("新桥镇")
    assert before and before[0].matched == "name"
    fid = before[0].record.id
    with psycopg.connect(demo_pg.url) as conn:  # another tool: the trigger clears the stored pinyin
        conn.execute("UPDATE place_names SET name = '鑫桥镇', specific = '鑫桥' WHERE id = %s", [fid])
    hits = gaz.search("鑫桥镇")
    assert [(h.record.id, h.matched) for h in hits][:1] == [(fid, "name")]
    assert [(h.record.id, h.matched) for h in gaz.search("xinqiaozhen")][:1] == [(fid, "pinyin")]  # from memory
    assert fid not in [h.record.id for h in gaz.search("新桥镇") if h.matched == "name"]
    stored = demo_pg.name_source()
    assert stored is not None
    assert fid not in [r.id for r, _ in stored.starting("pinyin", "xinqiaozhen", 20, Filters())]  # no pinyin yet
    assert gaz.fill_derived() == 1  # the gazetteer's next save (or mzgis upgrade) writes it
    assert [(r.id, k) for r, k in stored.starting("pinyin", "xinqiaozhen", 20, Filters())] == [(fid, "xinqiaozhen")]


def test_an_older_database_is_given_the_search_by_upgrade(demo_pg: PostGISStore) -> None:
    with psycopg.connect(demo_pg.url, autocommit=True) as conn:
        for index in ("name", "pinyin", "initials", "grams", "point"):
            conn.execute(f"DROP INDEX place_names_search_{index}")
    older = PostGISStore(demo_pg.url)
    assert older.name_source() is None
    gaz = Gazetteer(older)
    assert [h.record.name for h in gaz.search("jinqingzhen")] == ["金清镇"]  # the in-memory index answers
    older.close()
    result = runner.invoke(app, ["upgrade", "--db", demo_pg.url])
    assert result.exit_code == 0, result.output
    assert "为地名检索建立了数据库索引" in result.output
    upgraded = PostGISStore(demo_pg.url)
    assert isinstance(upgraded.name_source(), PgNames)
    assert [h.record.name for h in Gazetteer(upgraded).search("jinqingzhen")] == ["金清镇"]
    upgraded.close()
    again = runner.invoke(app, ["upgrade", "--db", demo_pg.url])
    assert "为地名检索建立了数据库索引" not in again.output and "已是当前结构" in again.output


def test_the_in_memory_index_and_the_database_agree_on_a_capped_prefix(demo_pg: PostGISStore) -> None:
    """A lookup takes its first candidates in key order, then filters: both sources the same ones."""
    stored = demo_pg.name_source()
    assert stored is not None
    memory = _in_memory(demo_pg).index()
    assert isinstance(memory, NameIndex)
    for kind, key in (("pinyin", "l"), ("initials", "l"), ("name", "路")):
        db = [(r.id, k) for r, k in stored.starting(kind, key, 5, Filters())]
        mem = [(r.id, k) for r, k in memory.starting(kind, key, 5, Filters())]
        assert db == mem and len(db) == 5, kind
    assert [k for _, k in stored.starting("name", "路", 5, Filters())] == [
        "路东社区",
        "路北街道",
        "路南街道",
        "路桥3号路",
        "路桥区",
    ]
    db_c = [r.id for r in stored.containing("桥", 9, Filters())]
    assert db_c == [r.id for r in memory.containing("桥", 9, Filters())] and len(db_c) == 9
