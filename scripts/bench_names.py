#!/usr/bin/env python3
"""Benchmark of place-name search against what a peer would build, at three sizes spanning 100×.

Builds N deterministic synthetic names (common place-name characters, the real generics) and indexes them
with mzgis's NameIndex and, as a peer would, in an SQLite table with B-tree indexes on the name, its
stored pinyin and its initials. The same queries run on both: a Chinese name prefix, a full-pinyin prefix,
initials, and pinyin with one typo. The peer answers prefixes with a B-tree range and typos by looking up
every one-edit variant of the query as a prefix (substitution, insertion, deletion, swapped neighbours: a
Levenshtein automaton of distance one, spelled out). Before timing, the script checks in code that both
find the same number of names (up to the page of 20) and that every name mzgis returns matches the peer's
predicate; it stops if not. mzgis takes its typo path only when the pinyin as typed finds fewer than 5
names and has a vowel and at least 3 letters; the report says how often that happened.

Usage: python scripts/bench_names.py [--sizes 10000 100000 1000000] [--queries 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import time
from collections.abc import Callable, Sized
from functools import partial

import numpy as np

from mzgis.gazetteer.romanize import syllables
from mzgis.gazetteer.search import IndexRecord, NameIndex, pinyin_keys

# characters common in Chinese place-name specifics, and generics with their categories
CHARS = (
    "东西南北中上下前后新老大小金银石山水河湖江溪林松竹梅桃李杨柳桥塘岙洋浦港湾岭峰岗坑田庄家王张陈刘黄周吴"
    "徐孙马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范廖石金"
    "华龙凤鹤云霞光明阳春秋安宁平和兴盛丰茂福寿康乐永长胜利红星文武德仁义礼智信忠孝清泉井台亭阁园庙寺观堂"
)
GENERICS = [
    ("村", "self_governing_org", 30),
    ("社区", "self_governing_org", 8),
    ("路", "transport_facility", 15),
    ("街", "transport_facility", 5),
    ("巷", "transport_facility", 3),
    ("大道", "transport_facility", 2),
    ("桥", "transport_facility", 5),
    ("小区", "settlement", 8),
    ("苑", "settlement", 3),
    ("家园", "settlement", 2),
    ("河", "land_water_body", 4),
    ("山", "land_terrain", 4),
    ("镇", "administrative_area", 1),
    ("街道", "administrative_area", 1),
]


def synthetic(n: int, seed: int) -> list[IndexRecord]:
    rng = np.random.default_rng(seed)
    weights = np.array([g[2] for g in GENERICS], dtype=float)
    gen_idx = rng.choice(len(GENERICS), size=n, p=weights / weights.sum())
    lengths = rng.choice([2, 3], size=n, p=[0.7, 0.3])
    chars = rng.integers(0, len(CHARS), size=(n, 3))
    lon = rng.uniform(74.0, 134.0, size=n)
    lat = rng.uniform(18.5, 53.0, size=n)
    town = rng.integers(0, 40_000, size=n)
    out = []
    for i in range(n):
        specific = "".join(CHARS[c] for c in chars[i, : lengths[i]])
        generic, category, _ = GENERICS[gen_idx[i]]
        code = f"{100000 + town[i] // 14:06d}{town[i] % 1000:03d}"
        out.append(IndexRecord(i + 1, specific + generic, category, code, "current", float(lon[i]), float(lat[i])))
    return out


def queries(index: NameIndex, count: int, seed: int) -> dict[str, list[str]]:
    """Realistic queries drawn from the data: what an officer types."""
    rng = np.random.default_rng(seed + 1)
    picks = rng.integers(0, len(index), size=count)
    letters = "abcdefghijklmnopqrstuvwxyz"
    fuzzy = []
    for i in picks:
        p = index.pinyin[i][:8]
        pos = int(rng.integers(1, len(p)))
        fuzzy.append(p[:pos] + letters[int(rng.integers(0, 26))] + p[pos + 1 :])  # one substitution
    return {
        # three characters: FTS5's trigram tokenizer matches nothing for shorter patterns
        "name_prefix": [index.records[i].name[:3] for i in picks],
        "pinyin": [index.pinyin[i][: max(3, len(index.pinyin[i]) - 2)] for i in picks],
        "initials": [index.initials[i] for i in picks],
        "fuzzy": fuzzy,
    }


LETTERS = "abcdefghijklmnopqrstuvwxyzü"
KIND_OF_HIT = {"name_prefix": "name", "pinyin": "pinyin", "initials": "initials", "fuzzy": "fuzzy"}


def build_btree(index: NameIndex) -> sqlite3.Connection:
    """The peer's table: name, pinyin and initials, each with a B-tree index."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE names (id INTEGER PRIMARY KEY, name TEXT, pinyin TEXT, initials TEXT)")
    conn.executemany(
        "INSERT INTO names VALUES (?, ?, ?, ?)",
        ((r.id, r.name, index.pinyin[i], index.initials[i]) for i, r in enumerate(index.records)),
    )
    for column in ("name", "pinyin", "initials"):
        conn.execute(f"CREATE INDEX names_{column} ON names ({column})")
    conn.commit()
    return conn


def one_edit(q: str) -> set[str]:
    """Every string one edit from ``q`` (at least 2 letters), as the peer enumerates them."""
    out = {q[:i] + c + q[i:] for i in range(len(q) + 1) for c in LETTERS}
    out |= {q[:i] + c + q[i + 1 :] for i in range(len(q)) for c in LETTERS}
    out |= {q[:i] + q[i + 1 :] for i in range(len(q))}
    out |= {q[:i] + q[i + 1] + q[i] + q[i + 2 :] for i in range(len(q) - 1)}
    return {v for v in out if len(v) >= 2 and v != q}


def btree_query(conn: sqlite3.Connection, kind: str, q: str, limit: int = 20) -> list[int]:
    """The peer: a B-tree range per prefix; for a typo, a range per one-edit variant."""
    column = {"name_prefix": "name", "pinyin": "pinyin", "initials": "initials"}.get(kind)
    sql = "SELECT id FROM names WHERE {c} >= ? AND {c} < ? ORDER BY {c} LIMIT ?"
    if column:
        return [r[0] for r in conn.execute(sql.format(c=column), (q, q + "\U0010ffff", limit))]
    found: dict[int, None] = {}  # distinct names, in the order found
    for v in sorted(one_edit(q)):
        found |= dict.fromkeys(r[0] for r in conn.execute(sql.format(c="pinyin"), (v, v + "\U0010ffff", limit)))
        if len(found) >= limit:
            break
    return list(found)[:limit]


def hit_matches(index: NameIndex, position: int, matched: str, q: str) -> bool:
    """Whether a name mzgis returned satisfies the predicate of how it says it matched."""
    name, pinyin, initials = index.records[position].name, index.pinyin[position], index.initials[position]
    if matched == "fuzzy":  # the one-edit variants are worked out only for the hits that need them
        return any(pinyin.startswith(v) for v in one_edit(q))
    if matched == "homophone":  # Chinese typed with a character of the same sound
        return pinyin.startswith(pinyin_keys(" ".join(syllables(q)))[0])
    return {
        "name": name == q,
        "name_prefix": name.startswith(q),
        "name_contains": q in name,
        "pinyin": pinyin == q,
        "pinyin_prefix": pinyin.startswith(q),
        "initials": initials == q,
        "initials_prefix": initials.startswith(q),
    }[matched]


EXACT = {
    "name_prefix": ("name", "name_prefix"),
    "pinyin": ("pinyin", "pinyin_prefix", "initials", "initials_prefix"),
    "initials": ("pinyin", "pinyin_prefix", "initials", "initials_prefix"),
    "fuzzy": ("pinyin", "pinyin_prefix", "initials", "initials_prefix", "fuzzy"),  # a typo: exact ones first
}


def same_results(index: NameIndex, conn: sqlite3.Connection, kind: str, q: str) -> bool:
    """Stop unless mzgis and the peer agree on ``q`` (every hit satisfies how it matched; as many names of
    the query's kind as the peer finds, up to the page); returns whether mzgis took its typo path."""
    hits = index.search(q, limit=20)
    if kind != "name_prefix":
        q = q.lower().replace("v", "ü")  # as typed on a keyboard: v stands for ü (lü, nü)
    position = {r.id: i for i, r in enumerate(index.records)}
    wrong = [h.record.name for h in hits if not hit_matches(index, position[h.record.id], h.matched, q)]
    if wrong:
        raise SystemExit(f"{kind} {q!r}: mzgis returned names the query does not match: {wrong[:5]}")
    typo_path = any(h.matched == "fuzzy" for h in hits)
    if kind == "fuzzy" and not typo_path:
        return False  # the typo still finds 5 names as typed: mzgis stays exact, as designed
    mine = [h for h in hits if h.matched in EXACT[kind]]
    if kind == "name_prefix":
        peer = set(btree_query(conn, "name_prefix", q))
    else:
        peer = set(btree_query(conn, "pinyin", q)) | set(btree_query(conn, "initials", q))
        if kind == "fuzzy":
            peer |= set(btree_query(conn, "fuzzy", q))
    if len(mine) != min(20, len(peer)):
        raise SystemExit(f"{kind} {q!r}: mzgis found {len(mine)} names, the peer {len(peer)}")
    return typo_path


def p(values: list[float], k: float) -> float:
    return float(np.percentile(values, k))


def timed(fn: Callable[[], Sized]) -> tuple[float, int]:
    """Milliseconds taken and the number of results."""
    start = time.perf_counter()
    found = fn()
    return (time.perf_counter() - start) * 1000.0, len(found)


def run(size: int, n_queries: int, seed: int) -> list[str]:
    records = synthetic(size, seed)
    t0 = time.perf_counter()
    index = NameIndex(records)
    t1 = time.perf_counter()
    conn = build_btree(index)
    t2 = time.perf_counter()
    print(f"{size:,} names: mzgis index {t1 - t0:.1f} s (pinyin of every name), peer table {t2 - t1:.1f} s", flush=True)
    rows = []
    for kind, items in queries(index, n_queries, seed).items():
        typo_paths = sum(same_results(index, conn, kind, q) for q in items)
        ours = [timed(partial(index.search, q, limit=20))[0] for q in items]
        base = [timed(partial(btree_query, conn, kind, q))[0] for q in items]
        note = f"mzgis took its typo path {typo_paths}/{len(items)}" if kind != "name_prefix" else ""
        rows.append(
            f"| {size:,} | {kind} | {statistics.median(ours):.3f} | {p(ours, 95):.3f} | "
            f"{statistics.median(base):.3f} | {p(base, 95):.3f} | {note} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines = [
        "| names | query | mzgis p50 ms | mzgis p95 ms | B-tree peer p50 ms | peer p95 ms | |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes:
        lines += run(size, args.queries, args.seed)
    print("\nsame results checked for every query\n" + "\n".join(lines))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
