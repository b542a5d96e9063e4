#!/usr/bin/env python3
"""Benchmark of place-name search on synthetic national-scale data, against SQLite FTS5 in the same run.

Builds N deterministic synthetic names (common place-name characters, the real generics), indexes them
with mzgis's NameIndex and with an SQLite FTS5 table (trigram tokenizer) over name, pinyin and initials,
then times the same queries on both: Chinese name prefix, full pinyin, initials, typo-tolerant pinyin.
Prints p50/p95 per query kind (milliseconds), build times and memory.

Usage: python scripts/bench_names.py [--names 1000000] [--queries 300] [--seed 7]
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

from mzgis.gazetteer.search import IndexRecord, NameIndex

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


def build_fts(index: NameIndex) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE names USING fts5(name, pinyin, initials, tokenize='trigram')")
    conn.executemany(
        "INSERT INTO names (rowid, name, pinyin, initials) VALUES (?, ?, ?, ?)",
        ((r.id, r.name, index.pinyin[i], index.initials[i]) for i, r in enumerate(index.records)),
    )
    conn.commit()
    return conn


def fts_query(conn: sqlite3.Connection, kind: str, q: str) -> list[int]:
    """The plain FTS5 way: substring match on the column (LIKE 'q%' for short prefixes, which FTS5's
    trigram tokenizer cannot index below three characters), trigram OR-match ranked by bm25 for typos."""
    if kind == "name_prefix":
        sql, arg = "SELECT rowid FROM names WHERE name LIKE ? LIMIT 20", q + "%"
    elif kind == "pinyin":
        sql, arg = "SELECT rowid FROM names WHERE pinyin MATCH ? LIMIT 20", f'"{q}"'
    elif kind == "initials":
        column = "initials MATCH ?" if len(q) >= 3 else "initials LIKE ?"
        sql, arg = f"SELECT rowid FROM names WHERE {column} LIMIT 20", (f'"{q}"' if len(q) >= 3 else q + "%")
    else:
        grams = " OR ".join(f'"{q[i : i + 3]}"' for i in range(len(q) - 2))
        sql, arg = "SELECT rowid FROM names WHERE pinyin MATCH ? ORDER BY bm25(names) LIMIT 20", grams
    return [r[0] for r in conn.execute(sql, (arg,))]


def p(values: list[float], k: float) -> float:
    return float(np.percentile(values, k))


def timed(fn: Callable[[], Sized]) -> tuple[float, int]:
    """Milliseconds taken and the number of results."""
    start = time.perf_counter()
    found = fn()
    return (time.perf_counter() - start) * 1000.0, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t0 = time.perf_counter()
    records = synthetic(args.names, args.seed)
    t1 = time.perf_counter()
    index = NameIndex(records)
    t2 = time.perf_counter()
    conn = build_fts(index)
    t3 = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.names:,} names: generated in {t1 - t0:.1f} s; mzgis index built in {t2 - t1:.1f} s "
        f"(pinyin of every name included); FTS5 table built in {t3 - t2:.1f} s; peak RSS {rss_mb:,.0f} MB"
    )
    # after an edit the gazetteer rebuilds its index from the previous one: only new names are spelled
    edited = [*records[1:], IndexRecord(len(records) + 1, "新建大桥", "transport_facility", "331004001", "current")]
    t4 = time.perf_counter()
    index = NameIndex(edited, previous=index)
    t5 = time.perf_counter()
    print(f"rebuilt after one edit (the previous index's pinyin taken over) in {t5 - t4:.1f} s")
    qs = queries(index, args.queries, args.seed)
    print(f"{'query':<12} {'mzgis p50':>10} {'p95':>8} {'FTS5 p50':>10} {'p95':>8}   (ms, {args.queries} each)")
    for kind, items in qs.items():
        ours, base = [], []
        empty_ours = empty_base = 0
        for q in items:
            ms, n = timed(partial(index.search, q, limit=20))
            ours.append(ms)
            empty_ours += n == 0
            ms, n = timed(partial(fts_query, conn, kind, q))
            base.append(ms)
            empty_base += n == 0
        print(
            f"{kind:<12} {statistics.median(ours):>10.2f} {p(ours, 95):>8.2f} "
            f"{statistics.median(base):>10.2f} {p(base, 95):>8.2f}   no result: {empty_ours} / {empty_base}"
        )
    found = index.search(qs["fuzzy"][0], limit=5)
    print(f"sample: fuzzy {qs['fuzzy'][0]!r} → {[h.record.name for h in found]}")


if __name__ == "__main__":
    main()
