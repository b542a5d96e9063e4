#!/usr/bin/env python3
"""How the cost of a save grows with the register: create and rename p50/p95 through the gazetteer
service with 1,000 and 1,000,000 names (and sizes between), a `names import` of 100,000 names, and the
clean-up report over the largest register, all in one run.

The saves are measured against a peer, what a competent developer writes for the same save without mzgis:
a plain SQLite table of the names with a B-tree index on the naming scope, the same rules (``check_name``
over the scope's names, read with one indexed query), the same romanization, and the row with an audit row
inserted in one transaction. Both take the same new names (none needs an override: the saves are refused
on any error, so a change that skipped the rules could not look faster), and the script checks in code that
both accept every one with the same spelling, pinyin and scope before it prints the figures.

The registers are synthetic and deterministic: 40,000 townships (800 per county, 0.05° squares over
100–110°E, 25–35°N) and names of roads, bridges, settlements and rivers in them (about 25 per township at
a million), each with its scope key and pinyin as the gazetteer gives them. Every size uses the same admin units, so
only the number of names differs.

    python scripts/bench_edits.py                 # sizes 1,000 / 100,000 / 1,000,000; import 100,000
    python scripts/bench_edits.py --sizes 1000 10000 --import-rows 5000
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Point, box

from mzgis.gazetteer.names import split_name
from mzgis.gazetteer.romanize import _general
from mzgis.gazetteer.rules import NameRecord, load_rules, scope_key, spell
from mzgis.gazetteer.service import PINYIN_READINGS, Gazetteer
from mzgis.io.names import import_names
from mzgis.store import GeoPackageStore, Store
from mzgis.store.base import Feature

TOWNSHIPS_PER_COUNTY = 800
COUNTIES = 50
CELL = 0.05
COLUMNS = 200
CHARS = (
    "安宝北滨长城川春大德东方丰凤福港高光广海和河红洪华惠吉佳江金锦景康乐利连林龙隆茂美明南宁平浦"
    "齐青清庆泉仁荣瑞三山上胜盛石市水顺泰桃天田通同万文西溪霞祥新兴秀阳洋永玉元云泽珍正中竹"
)
KINDS = [("transport_facility", "路"), ("transport_facility", "桥"), ("settlement", "新村"), ("land_water_body", "河")]
OVERRIDE = "基准测试:合成数据"  # the synthetic register and the import only; the timed saves need none
RULES = load_rules()
LISTED = {w for words in RULES.words.values() for w in words}


def _township(i: int) -> tuple[str, str, tuple[float, float]]:
    county = f"{510000 + i // TOWNSHIPS_PER_COUNTY * 100:06d}"
    code = f"{county}{i % TOWNSHIPS_PER_COUNTY + 1:03d}"
    return county, code, (100.0 + (i % COLUMNS) * CELL, 25.0 + (i // COLUMNS) * CELL)


def build_admin(store: GeoPackageStore) -> None:
    rows = []
    for c in range(COUNTIES):
        first = _township(c * TOWNSHIPS_PER_COUNTY)
        last = _township((c + 1) * TOWNSHIPS_PER_COUNTY - 1)
        outline = box(first[2][0], first[2][1], last[2][0] + CELL, last[2][1] + CELL)
        rows.append(({"code": first[0], "name": f"合成{c + 1}县", "level": "county"}, outline))
    for i in range(COUNTIES * TOWNSHIPS_PER_COUNTY):
        county, code, (x, y) = _township(i)
        name = f"合成{i + 1}镇"
        rows.append(
            ({"code": code, "name": name, "level": "township", "parent_code": county}, box(x, y, x + CELL, y + CELL))
        )
    with store.transaction(user="bench", reason="合成行政区划") as tx:
        tx.insert_many("admin_units", rows)


def _names(n: int, seed: int) -> Iterator[tuple[dict[str, object], Point]]:
    rng = np.random.default_rng(seed)
    towns = rng.integers(0, COUNTIES * TOWNSHIPS_PER_COUNTY, n)
    picks = rng.integers(0, len(CHARS), (n, 3))
    kinds = rng.integers(0, len(KINDS), n)
    offsets = rng.uniform(0.005, CELL - 0.005, (n, 2))
    for i in range(n):
        _, code, (x, y) = _township(int(towns[i]))
        category, generic = KINDS[int(kinds[i])]
        specific = "".join(CHARS[int(p)] for p in picks[i])
        name = specific + generic
        props: dict[str, object] = {
            "name": name,
            "specific": specific,
            "generic": generic,
            "category": category,
            "admin_code": code,
            "status": "current",
        }
        props["scope_key"] = scope_key(NameRecord(name, category, code, None, generic))
        props["pinyin"] = spell(name, RULES)
        yield props, Point(x + offsets[i, 0], y + offsets[i, 1])


def build_register(path: Path, n: int) -> GeoPackageStore:
    store = GeoPackageStore.create(path)
    build_admin(store)
    batch: list[tuple[dict[str, object], Point]] = []
    for row in _names(n, seed=n):
        batch.append(row)
        if len(batch) == 50_000:
            _write(store, batch)
            batch = []
    if batch:
        _write(store, batch)
    store.set_derived("place_names", {}, meta={PINYIN_READINGS: RULES.readings.digest})  # as the gazetteer notes
    _forget_pinyin()
    return store


def _forget_pinyin() -> None:
    """The process forgets the pinyin it worked out while building: what is measured works it out itself."""
    RULES.spelled.clear()
    RULES.romanized.clear()
    _general.cache_clear()


def _write(store: GeoPackageStore, rows: list[tuple[dict[str, object], Point]]) -> None:
    with store.transaction(user="bench", reason="合成地名") as tx:
        tx.admit("place_names")  # synthetic names written directly; the saves measured below pass the gate
        tx.insert_many("place_names", rows)


def _timed(op: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        op()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def _clean_names(n: int, seed: int) -> list[tuple[dict[str, object], Point]]:
    """New names no rule refuses: a specific of four characters starting with 测 (no stored name has it),
    none holding a listed word, each name once."""
    out, seen = [], set()
    for props, point in _names(n * 3 + 10, seed):
        name = "测" + str(props["name"])
        if name in seen or any(w in name for w in LISTED):
            continue
        seen.add(name)
        out.append(({"name": name, "category": props["category"], "admin_code": props["admin_code"]}, point))
        if len(out) == n:
            return out
    raise SystemExit("not enough clean synthetic names")


class Peer:
    """The same save without mzgis: a plain SQLite table with a B-tree on the scope, the same rules."""

    def __init__(self, path: Path, store: GeoPackageStore) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT, category TEXT, admin_code TEXT, subcategory TEXT,"
            " generic TEXT, status TEXT, romanized TEXT, pinyin TEXT, scope_key TEXT, lon REAL, lat REAL)"
        )
        self.conn.execute("CREATE INDEX names_scope ON names (scope_key)")
        self.conn.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, name_id INTEGER, at TEXT, who TEXT, what TEXT)")
        rows = [
            (f.id, *(f.properties.get(k) for k in ("name", "category", "admin_code", "subcategory", "generic",
                                                   "status", "romanized", "pinyin", "scope_key")), None, None)
            for f in store.iter_features("place_names")
        ]  # fmt: skip
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO names VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        self.conn.execute("COMMIT")

    def create(self, props: dict[str, object], point: Point) -> tuple[str, str, str]:
        from mzgis.gazetteer.rules import check_name, has_errors
        from mzgis.gazetteer.service import romanize_name

        name, category, code = str(props["name"]), str(props["category"]), str(props["admin_code"])
        record = NameRecord(name, category, code)
        key = scope_key(record)
        rivals = [
            NameRecord(n, c, a, s, g, id=i, status=st, pinyin=p)
            for i, n, c, a, s, g, st, p in self.conn.execute(
                "SELECT id, name, category, admin_code, subcategory, generic, status, pinyin FROM names"
                " WHERE scope_key = ?",
                (key,),
            )
        ]
        findings = check_name(record, rivals, rules=RULES)
        if has_errors(findings):
            raise SystemExit(f"the peer refused {name}: {[f.rule for f in findings]}")
        romanized, pinyin = romanize_name(name, category, rules=RULES), spell(name, RULES)
        generic = split_name(name, category)[1]
        self.conn.execute("BEGIN IMMEDIATE")
        cur = self.conn.execute(
            "INSERT INTO names (name, category, admin_code, generic, status, romanized, pinyin, scope_key, lon, lat)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (name, category, code, generic, "current", romanized, pinyin, key, point.x, point.y),
        )
        self.conn.execute(
            "INSERT INTO audit (name_id, at, who, what) VALUES (?, datetime('now'), 'bench', 'create')",
            (cur.lastrowid,),
        )
        self.conn.execute("COMMIT")
        return romanized, pinyin, key


def measure_saves(store: Store, runs: int, seed: int, peer: Peer | None = None) -> dict[str, list[float]]:
    """Creates (in turns with the peer's, when given, checked to give the same results) and renames."""
    gaz = Gazetteer(store)
    gaz.admin()  # the admin units are read once per revision; the first save pays it
    clean = _clean_names(runs + 1, seed)
    ids = [f.id for f in store.features("place_names", limit=runs * 3)]
    ours: list[tuple[str, str, str]] = []
    theirs: list[tuple[str, str, str]] = []
    mine, peers = iter(clean), iter(clean)

    def create() -> None:
        props, point = next(mine)
        saved = gaz.create(props, point, user="bench")  # no override: a refused save stops the run
        ours.append(tuple(str(saved.properties[k]) for k in ("romanized", "pinyin", "scope_key")))  # type: ignore[arg-type]

    def peer_create() -> None:
        if peer is None:
            return
        props, point = next(peers)
        theirs.append(peer.create(props, point))

    renamed = iter(ids)

    def rename() -> None:
        fid = next(renamed)
        current = store.get("place_names", fid)
        # 改 before the old name: a name no other holds, with its generic kept; no override needed
        gaz.rename(
            fid, "改" + str(current.properties["name"]), expected_version=current.version, user="bench", reason="更名"
        )

    create()  # warm-up (first transaction, caches)
    peer_create()
    times = {"create": [], "peer_create": []}  # type: dict[str, list[float]]
    for _ in range(runs):  # in turns, so a busy moment of the machine lands on both alike
        times["create"] += _timed(create, 1)
        times["peer_create"] += _timed(peer_create, 1)
    if peer is not None and ours != theirs:
        differ = next(i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
        raise SystemExit(f"mzgis and the peer differ at save {differ}: {ours[differ]} vs {theirs[differ]}")
    times["rename"] = _timed(rename, runs)
    return times


def measure_import(store: GeoPackageStore, rows: int, folder: Path) -> tuple[float, float]:
    """(seconds for the whole import, seconds the write lock was held)."""
    path = folder / "import.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "category", "admin_code", "lon", "lat"])
        for props, point in _names(rows, seed=7):
            writer.writerow([props["name"], props["category"], props["admin_code"], f"{point.x:.6f}", f"{point.y:.6f}"])
    held: list[float] = []

    class Timed(Gazetteer):
        """The gazetteer, noting how long its write (under the lock) takes."""

        def apply(self, *args: Any, **kwargs: Any) -> list[Feature]:
            start = time.perf_counter()
            try:
                return super().apply(*args, **kwargs)
            finally:
                held.append(time.perf_counter() - start)

    gaz = Timed(store)
    start = time.perf_counter()
    report = import_names(gaz, path, user="bench", override_reason=OVERRIDE)
    total = time.perf_counter() - start
    assert report.written == rows, report.summary_zh()
    return total, held[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=200, help="creates and renames timed per size")
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()
    results: dict[int, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        largest: GeoPackageStore | None = None
        for n in args.sizes:
            start = time.perf_counter()
            store = build_register(folder / f"r{n}.gpkg", n)
            print(f"built {n:,} names in {time.perf_counter() - start:.1f} s", flush=True)
            peer = Peer(folder / f"peer{n}.sqlite", store)
            results[n] = measure_saves(store, args.runs, seed=n + 1, peer=peer)
            largest = store
        assert largest is not None
        print("checked: mzgis and the peer accepted every save with the same spelling, pinyin and scope")
        print(
            "\n| names | create p50 | create p95 | peer create p50 | peer p95 | mzgis / peer (p50) | rename p50 |"
            " rename p95 |\n|---|---|---|---|---|---|---|---|"
        )
        for n, r in results.items():
            print(
                f"| {n:,} | {statistics.median(r['create']):.1f} ms | {_p95(r['create']):.1f} ms | "
                f"{statistics.median(r['peer_create']):.1f} ms | {_p95(r['peer_create']):.1f} ms | "
                f"{statistics.median(r['create']) / statistics.median(r['peer_create']):.2f}× | "
                f"{statistics.median(r['rename']):.1f} ms | {_p95(r['rename']):.1f} ms |"
            )
        small, big = results[min(results)], results[max(results)]
        for op in ("create", "rename"):
            print(f"{op} p95 at {max(results):,} / at {min(results):,}: {_p95(big[op]) / _p95(small[op]):.2f}×")
        total, held = measure_import(largest, args.import_rows, folder)
        into = f"{max(results):,}"
        print(f"\nnames import of {args.import_rows:,} names into {into}: {total:.1f} s (write lock held {held:.1f} s)")
        start = time.perf_counter()
        flagged = Gazetteer(largest).check_all()
        elapsed = time.perf_counter() - start
        count = largest.count("place_names")
        print(f"clean-up report over {count:,} names: {elapsed:.1f} s ({len(flagged):,} names with findings)")


if __name__ == "__main__":
    main()
