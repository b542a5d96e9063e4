#!/usr/bin/env python3
"""The PostGIS backend against the GeoPackage, in one run, at three sizes of register (1,000, 100,000 and
1,000,000 names by default): what a city's database costs and gains.

For each size the synthetic register of scripts/bench_edits.py (40,000 townships in 50 counties, names with
their scope keys and pinyin) is built as a GeoPackage, then copied into a throwaway PostgreSQL 15 + PostGIS
cluster with ``copy_store`` (the ``mzgis copy`` service: every table read back and compared by count and
checksum). Measured on both backends:

- create and rename p50/p95 through the gazetteer service (each passing the rules and romanization);
- the throughput of 20 editors in 20 different townships saving at once, each in its own process (as
  server workers are): saves per second on PostGIS and on the GeoPackage (whose writers take turns), and
  the machine's busy CPU time per save while they run (every process, the database server included);
- start-up: opening the store and answering a first search (on the GeoPackage the process builds its
  in-memory index then; on PostGIS the search asks the database's indexes);
- search p95 of Chinese, full-pinyin, initials and one-typo queries, against a plain ``pg_trgm`` peer on
  the same database (GIN trigram indexes on the name and the pinyin keys): ``LIKE 'q%'`` for the prefix
  kinds, ``%`` ordered by ``similarity`` for typos. Before timing, the script checks that mzgis returns as
  many names of each prefix kind as the peer (up to the page of 20), each starting with the query, and that
  every typo hit is one edit from the query; it reports how often each found the name a typo came from.

The copy is checked in code (``copy_store`` reads it back and compares every table's count and checksum
with the source's, and raises when they differ) before anything else is timed, and the concurrent saves
are counted afterwards (every acknowledged save is in the store, once). The copy's time includes that
read-back.

    python scripts/bench_postgis.py                     # 1,000, 100,000 and 1,000,000 names
    python scripts/bench_postgis.py --sizes 1000 100000 --editors 20 --saves 20
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import psycopg
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_edits import (
    CELL,
    CHARS,
    KINDS,
    OVERRIDE,
    _township,
    build_register,
    measure_saves,
)
from mzgis.gazetteer.search import one_edit_variants, pinyin_keys
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Backend, open_store
from mzgis.store.copy import copy_store
from mzgis.store.postgis import PostGISStore
from pg_temp import temporary_cluster


def _p(values: list[float], k: float) -> float:
    return float(np.percentile(values, k))


def _names_in(town: int, count: int, seed: int) -> list[tuple[dict[str, object], Point]]:
    """New names in one township (none of them in the register: a different seed and a fixed prefix)."""
    rng = np.random.default_rng(seed)
    _, code, (x, y) = _township(town)
    out: list[tuple[dict[str, object], Point]] = []
    for _ in range(count):
        category, generic = KINDS[int(rng.integers(0, len(KINDS)))]
        name = "新" + "".join(CHARS[int(i)] for i in rng.integers(0, len(CHARS), 3)) + generic
        px, py = rng.uniform(0.005, CELL - 0.005, 2)
        out.append(({"name": name, "category": category, "admin_code": code}, Point(x + px, y + py)))
    return out


def _editor(location: str, town: int, count: int, barrier: Any, queue: Any) -> None:
    """One editor's process: ready (store open, admin units read), then at the barrier saves ``count`` names."""
    store = open_store(location)
    gaz = Gazetteer(store)
    gaz.admin()
    rows = _names_in(town, count, seed=town)
    barrier.wait()
    start = time.perf_counter()
    saved = 0
    for props, point in rows:
        gaz.create(props, point, user=f"编辑{town}", reason="并发", override_reason=OVERRIDE)
        saved += 1
    queue.put((start, time.perf_counter(), saved))
    store.close()


def _busy_cpu_s() -> float:
    """Seconds of CPU time the whole machine has spent busy (all cores, all processes: the editors and the
    database server alike), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def concurrent_throughput(location: str, editors: int, saves: int) -> tuple[float, int, float]:
    """Saves per second of ``editors`` processes in distinct townships; how many were acknowledged; and the
    machine's busy CPU milliseconds per save while they ran (what bounds the rate: cores / CPU per save)."""
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(editors + 1), ctx.Queue()
    towns = [i * 997 % 40_000 for i in range(1, editors + 1)]  # spread over the counties
    procs = [ctx.Process(target=_editor, args=(location, t, saves, barrier, queue)) for t in towns]
    for p in procs:
        p.start()
    barrier.wait()  # with the editors: they start saving now
    busy = _busy_cpu_s()
    spans = [queue.get(timeout=600) for _ in procs]
    busy = _busy_cpu_s() - busy
    for p in procs:
        p.join(timeout=60)
    total = sum(s for _, _, s in spans)
    elapsed = max(e for _, e, _ in spans) - min(s for s, _, _ in spans)
    return total / elapsed, total, 1000 * busy / total


def startup_and_search(location: str, queries: dict[str, list[str]]) -> tuple[float, dict[str, list[float]]]:
    """Seconds to open the store and answer a first search; then ms per query of each kind."""
    start = time.perf_counter()
    store = open_store(location)
    gaz = Gazetteer(store)
    gaz.search("新", limit=5)
    startup = time.perf_counter() - start
    times: dict[str, list[float]] = {}
    for kind, qs in queries.items():
        for q in qs:
            t = time.perf_counter()
            gaz.search(q, limit=20)
            times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    store.close()
    return startup, times


def _typo(pinyin: str, rng: np.random.Generator) -> str:
    """One letter of the first 8 substituted (not the first: officers get the first letter right)."""
    p = pinyin[:8]
    pos = int(rng.integers(1, len(p)))
    return p[:pos] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(0, 26))] + p[pos + 1 :]


def _queries(store: Backend, count: int) -> tuple[dict[str, list[str]], list[str]]:
    """Queries of each kind drawn from the names; and, for the typos, the name each was made from."""
    names = store.features("place_names", limit=count, geometry=False)
    keys = [pinyin_keys(str(f.properties["pinyin"])) for f in names]
    rng = np.random.default_rng(count)
    queries = {
        "Chinese": [str(f.properties["name"])[:2] for f in names],
        "pinyin": ["".join(str(f.properties["pinyin"]).split()[:2]) for f in names],
        "initials": [initials for _, initials in keys],
        "typo": [_typo(key, rng) for key, _ in keys],
    }
    return queries, [str(f.properties["name"]) for f in names]


# the peer: pg_trgm GIN indexes on the name and on the stored pinyin's keys, a plain query per kind
PEER_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS peer_name ON place_names USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS peer_pinyin ON place_names USING gin (mzgis_pinyin_key(pinyin) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS peer_initials ON place_names USING gin (mzgis_initials(pinyin) gin_trgm_ops)",
    "ANALYZE place_names",
]
PEER_QUERY = {
    "Chinese": "SELECT id, name FROM place_names WHERE name LIKE %(like)s ORDER BY name LIMIT 20",
    "pinyin": "SELECT id, name FROM place_names WHERE mzgis_pinyin_key(pinyin) LIKE %(like)s"
    " ORDER BY mzgis_pinyin_key(pinyin) LIMIT 20",
    "initials": "SELECT id, name FROM place_names WHERE mzgis_initials(pinyin) LIKE %(like)s"
    " ORDER BY mzgis_initials(pinyin) LIMIT 20",
    "typo": "SELECT id, name FROM place_names WHERE mzgis_pinyin_key(pinyin) %% %(q)s"
    " ORDER BY similarity(mzgis_pinyin_key(pinyin), %(q)s) DESC LIMIT 20",
}


def _like(q: str) -> str:
    """A LIKE pattern for names starting with ``q``."""
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def peer_search(url: str, queries: dict[str, list[str]]) -> tuple[dict[str, list[float]], dict[str, list[set[int]]]]:
    """The pg_trgm peer on the same database: ms per query and the ids each query found."""
    times: dict[str, list[float]] = {}
    found: dict[str, list[set[int]]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in PEER_SQL:
            conn.execute(sql)
        for kind, qs in queries.items():
            for q in qs:
                t = time.perf_counter()
                rows = conn.execute(PEER_QUERY[kind], {"q": q, "like": _like(q)}).fetchall()
                times.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
                found.setdefault(kind, []).append({int(r[0]) for r in rows})
    return times, found


EXACT = {  # how mzgis says a hit matched, for the hits that answer the peer's queries of each kind
    "Chinese": ("name", "name_prefix"),
    "pinyin": ("pinyin", "pinyin_prefix", "initials", "initials_prefix"),
    "initials": ("pinyin", "pinyin_prefix", "initials", "initials_prefix"),
}
_KEYS = "SELECT id, name, mzgis_pinyin_key(pinyin), mzgis_initials(pinyin) FROM place_names WHERE id = ANY(%s)"


def same_results(url: str, queries: dict[str, list[str]], meant: list[str], found: dict[str, list[set[int]]]) -> str:
    """Stop unless mzgis (searching in the database) and the peer agree. For the prefix kinds: every name
    mzgis returns starts with the query (by name, or by pinyin or initials, as it says it matched), and it
    returns as many of them as the peer finds, up to the page of 20 (for pinyin and initials, the peer's
    queries of both kinds together, as mzgis looks up both). For typos: the name the typo was made from is
    every name mzgis returns as a typo starts with a string one edit from it; how often each finds the
    name the typo was made from is reported (they rank differently: mzgis shorter names first, pg_trgm by
    similarity). Returns how often mzgis took its typo path and how often each found the meant name."""
    store = open_store(url)
    gaz = Gazetteer(store)
    with psycopg.connect(url) as conn:
        for kind in EXACT:
            for i, q in enumerate(queries[kind]):
                peer = set(found[kind][i])
                if kind != "Chinese":
                    other = "initials" if kind == "pinyin" else "pinyin"
                    peer |= {int(r[0]) for r in conn.execute(PEER_QUERY[other], {"like": _like(q)})}
                hits = [h for h in gaz.search(q, limit=20) if h.matched in EXACT[kind]]
                if len(hits) != min(20, len(peer)):
                    raise SystemExit(f"{kind} {q!r}: mzgis found {len(hits)} names, the peer {len(peer)}")
                for _, name, key, initials in conn.execute(_KEYS, [[h.record.id for h in hits]]):
                    if not (name.startswith(q) if kind == "Chinese" else key.startswith(q) or initials.startswith(q)):
                        raise SystemExit(f"{kind} {q!r}: mzgis returned {name}, which the query does not match")
        typo_path = mine_meant = peer_meant = 0
        for q, name, peer in zip(queries["typo"], meant, found["typo"], strict=True):
            hits = gaz.search(q, limit=20)
            fuzzy = any(h.matched == "fuzzy" for h in hits)
            has = name in {h.record.name for h in hits}
            peer_has = name in {r[1] for r in conn.execute(_KEYS, [sorted(peer)])}
            typo_path, mine_meant, peer_meant = typo_path + fuzzy, mine_meant + has, peer_meant + peer_has
            variants = one_edit_variants(q, len(q))
            for _, hit, key, _ in conn.execute(_KEYS, [[h.record.id for h in hits if h.matched == "fuzzy"]]):
                if not any(key.startswith(v) for v in variants):
                    raise SystemExit(f"typo {q!r}: mzgis returned {hit}, which is not one edit from it")
    store.close()
    n = len(queries["typo"])
    return (
        f"typos: mzgis took its typo path {typo_path}/{n} and found the meant name {mine_meant}/{n}, "
        f"pg_trgm {peer_meant}/{n}"
    )


def run(n: int, folder: Path, url: str, args: argparse.Namespace) -> list[str]:
    t = time.perf_counter()
    gpkg = build_register(folder / f"r{n}.gpkg", n)
    print(f"built {n:,} names as a GeoPackage in {time.perf_counter() - t:.1f} s", flush=True)
    pg = PostGISStore.create(url, replace=True)
    t = time.perf_counter()
    report = copy_store(gpkg, pg)  # reads the copy back and compares every table's count and checksum
    copy_s = time.perf_counter() - t
    print(f"copied into PostGIS in {copy_s:.1f} s ({report.counts['place_names']:,} names)", flush=True)
    rows = []
    for label, store in (("GeoPackage", gpkg), ("PostGIS", pg)):
        saves = measure_saves(store, args.runs, seed=n + 3)
        rows.append(
            f"| {n:,} | {label} | {statistics.median(saves['create']):.1f} | {_p(saves['create'], 95):.1f} | "
            f"{statistics.median(saves['rename']):.1f} | {_p(saves['rename'], 95):.1f} |"
        )
    throughput, cpu = {}, {}
    for label, location in (("GeoPackage", str(gpkg.path)), ("PostGIS", url)):
        before = open_store(location).count("place_names")
        rate, acknowledged, cpu_ms = concurrent_throughput(location, args.editors, args.saves)
        after = open_store(location)
        assert after.count("place_names") == before + acknowledged == before + args.editors * args.saves
        after.close()
        throughput[label] = rate
        cpu[label] = cpu_ms
    queries, meant = _queries(pg, args.queries)
    peer_times, peer_found = peer_search(url, queries)
    checked = same_results(url, queries, meant, peer_found)
    starts = {}
    search = {}
    for label, location in (("GeoPackage", str(gpkg.path)), ("PostGIS", url)):
        starts[label], search[label] = startup_and_search(location, queries)
    pg.close()
    out = [*rows, ""]
    ratio = throughput["PostGIS"] / throughput["GeoPackage"]
    out.append(
        f"{n:,} names: {args.editors} editors at once: PostGIS {throughput['PostGIS']:.0f} saves/s, "
        f"GeoPackage {throughput['GeoPackage']:.0f} saves/s ({ratio:.1f}×); machine CPU per save: PostGIS "
        f"{cpu['PostGIS']:.1f} ms, GeoPackage {cpu['GeoPackage']:.1f} ms ({os.cpu_count()} cores); "
        f"copy into PostGIS {copy_s:.1f} s; "
        f"start-up to a first search: PostGIS {starts['PostGIS']:.2f} s, GeoPackage {starts['GeoPackage']:.2f} s"
    )
    for kind in queries:
        out.append(
            f"  search {kind}: p95 PostGIS {_p(search['PostGIS'][kind], 95):.2f} ms, "
            f"GeoPackage {_p(search['GeoPackage'][kind], 95):.2f} ms, "
            f"pg_trgm peer {_p(peer_times[kind], 95):.2f} ms"
        )
    out.append(f"  same results checked for every query; {checked}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=100, help="creates and renames timed per backend and size")
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--saves", type=int, default=20, help="names each concurrent editor saves")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    lines = [
        "| names | store | create p50 ms | create p95 ms | rename p50 ms | rename p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp, temporary_cluster("bench", durable=True) as dsn:
        sock = dsn.split("host=", 1)[1].split()[0]
        url = f"postgresql://postgres@{quote(sock, safe='')}/bench"
        tail: list[str] = []
        for n in args.sizes:
            out = run(n, Path(tmp), url, args)
            lines += [r for r in out if r.startswith("|")]
            tail += [r for r in out if r and not r.startswith("|")]
    print("\n".join([*lines, "", *tail]))


if __name__ == "__main__":
    main()
