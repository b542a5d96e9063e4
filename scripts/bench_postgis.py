#!/usr/bin/env python3
"""The PostGIS backend against the GeoPackage, in one run, at two sizes of register (1,000 and 1,000,000
names by default): what a city's database costs and gains.

For each size the synthetic register of scripts/bench_edits.py (40,000 townships in 50 counties, names with
their scope keys and pinyin) is built as a GeoPackage, then copied into a throwaway PostgreSQL 15 + PostGIS
cluster with ``copy_store`` (the ``mzgis copy`` service: every table read back and compared by count and
checksum). Measured on both backends:

- create and rename p50/p95 through the gazetteer service (each passing the rules and romanization);
- the throughput of 20 editors in 20 different townships saving at once, each in its own process (as
  server workers are): saves per second on PostGIS and on the GeoPackage (whose writers take turns);
- start-up: opening the store and answering a first search (the process builds its search index then);
- search p95 of Chinese, full-pinyin and initials queries once the index is built (the same index on both:
  the per-process index reads its names from either store, so the figures should agree).

The copy is checked in code (``copy_store`` reads it back and compares every table's count and checksum
with the source's, and raises when they differ) before anything else is timed, and the concurrent saves
are counted afterwards (every acknowledged save is in the store, once). The copy's time includes that
read-back.

    python scripts/bench_postgis.py                     # 1,000 and 1,000,000 names
    python scripts/bench_postgis.py --sizes 1000 100000 --editors 20 --saves 20
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
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


def concurrent_throughput(location: str, editors: int, saves: int) -> tuple[float, int]:
    """Saves per second of ``editors`` processes in distinct townships; and how many were acknowledged."""
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(editors), ctx.Queue()
    towns = [i * 997 % 40_000 for i in range(1, editors + 1)]  # spread over the counties
    procs = [ctx.Process(target=_editor, args=(location, t, saves, barrier, queue)) for t in towns]
    for p in procs:
        p.start()
    spans = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    total = sum(s for _, _, s in spans)
    elapsed = max(e for _, e, _ in spans) - min(s for s, _, _ in spans)
    return total / elapsed, total


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


def _queries(store: Backend, count: int) -> dict[str, list[str]]:
    names = store.features("place_names", limit=count, geometry=False)
    chinese = [str(f.properties["name"])[:2] for f in names]
    pinyin = ["".join(str(f.properties["pinyin"]).split()[:2]) for f in names]
    initials = ["".join(s[0] for s in str(f.properties["pinyin"]).split()) for f in names]
    return {"Chinese": chinese, "pinyin": pinyin, "initials": initials}


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
    throughput = {}
    for label, location in (("GeoPackage", str(gpkg.path)), ("PostGIS", url)):
        before = open_store(location).count("place_names")
        rate, acknowledged = concurrent_throughput(location, args.editors, args.saves)
        after = open_store(location)
        assert after.count("place_names") == before + acknowledged == before + args.editors * args.saves
        after.close()
        throughput[label] = rate
    queries = _queries(pg, args.queries)
    starts = {}
    search = {}
    for label, location in (("GeoPackage", str(gpkg.path)), ("PostGIS", url)):
        starts[label], search[label] = startup_and_search(location, queries)
    pg.close()
    out = [*rows, ""]
    ratio = throughput["PostGIS"] / throughput["GeoPackage"]
    out.append(
        f"{n:,} names: {args.editors} editors at once: PostGIS {throughput['PostGIS']:.0f} saves/s, "
        f"GeoPackage {throughput['GeoPackage']:.0f} saves/s ({ratio:.1f}×); copy into PostGIS {copy_s:.1f} s; "
        f"start-up to a first search: PostGIS {starts['PostGIS']:.2f} s, GeoPackage {starts['GeoPackage']:.2f} s"
    )
    for kind in queries:
        out.append(
            f"  search {kind}: p95 PostGIS {_p(search['PostGIS'][kind], 95):.2f} ms, "
            f"GeoPackage {_p(search['GeoPackage'][kind], 95):.2f} ms"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
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
