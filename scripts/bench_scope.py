#!/usr/bin/env python3
"""Benchmark of a save against the size of its scope: reading only the names that may compete with the
new one (the same name, the same sound, a name starting with its specific) against reading every name of
the scope, as saves did before. Both backends, one run.

The demo register gets one scope (roads of 金清镇, ``transport_facility|331004106``) filled with 100, 1,000
and 10,000 synthetic road names (each size a fresh copy; written in one transaction, then given their scope
key and pinyin by the gazetteer); the PostGIS copy is made by ``mzgis copy`` into a throwaway cluster that
syncs its commits (scripts/pg_temp.py). Before timing, the script checks in code that both ways give the
same findings for names that are duplicates, homophones and same-specific names of the filled scope, and
for new ones. Then creates of new names in that scope are timed, the two ways in turns, three rounds.

Usage: python scripts/bench_scope.py [--sizes 100 1000 10000] [--saves 20]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mzgis.gazetteer.scopes import Scopes
from mzgis.gazetteer.service import Gazetteer
from mzgis.settings import default_demo_path
from mzgis.store import Backend, Store, Transaction, open_store
from mzgis.store.copy import copy_store
from mzgis.store.postgis import PostGISStore
from pg_temp import temporary_cluster

CHARS = "东南西北中安平和兴福昌盛康宁泰华新民永长金山水田林石桥河港湾塘青松柏竹梅兰菊荷莲"
CATEGORY, TOWN = "transport_facility", "331004106"
ROAD = {"category": CATEGORY, "subcategory": "road", "admin_code": TOWN}
SPOT = Point(121.49, 28.525)  # in 金清镇
OVERRIDE = "基准测试"


class WholeScope(Gazetteer):
    """The gazetteer as it saved before: every name of the scope read for each save."""

    def scopes(
        self,
        reader: Store | Transaction | None = None,
        *,
        stored_pinyin: bool | None = None,
        narrow: bool = False,
    ) -> Scopes:
        return super().scopes(reader, stored_pinyin=stored_pinyin, narrow=False)


def road_names(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return list(dict.fromkeys("".join(rng.choice(CHARS) for _ in range(3)) + "路" for _ in range(count)))


def fill(store: Backend, count: int) -> int:
    names = road_names(count, seed=1)
    rows = [
        ({"name": n, "specific": n[:-1], "generic": "路", "romanized": "-", "status": "current"} | ROAD, SPOT)
        for n in names
    ]
    with store.transaction(user="基准", reason="填充") as tx:
        tx.admit("place_names")  # a benchmark's filler: the gazetteer's checks are what is timed below
        tx.insert_many("place_names", rows)
    Gazetteer(store).fill_derived()
    return len(names)


def same_findings(store: Backend) -> int:
    """Both ways find the same for names of the filled scope, their homophones, same-specific names and new
    names (each scope rule met at least once); returns how many names were compared."""
    stored = road_names(200, seed=1)[:40]
    sounds = str.maketrans("东安平和兴新金山林石", "冬庵萍禾星欣今珊琳时")  # the same syllable, another character
    homophones = [h for h in (n.translate(sounds) for n in stored[20:40]) if h not in stored][:10]
    probes = stored[:10] + [n[:-1] + "街" for n in stored[10:20]] + homophones + road_names(10, seed=7)
    narrow, whole = Gazetteer(store), WholeScope(store)
    rules: set[str] = set()
    for name in probes:
        mine = [(f.rule, f.related) for f in narrow.check(name, CATEGORY, TOWN, subcategory="road").findings]
        theirs = [(f.rule, f.related) for f in whole.check(name, CATEGORY, TOWN, subcategory="road").findings]
        if mine != theirs:
            raise SystemExit(f"{name}: rivals only {mine}, whole scope {theirs}")
        rules |= {rule for rule, related in mine if related}
    if not {"duplicate", "homophone", "near_duplicate"} <= rules:
        raise SystemExit(f"the probes met only {sorted(rules)} of the scope rules")
    return len(probes)


def creates(gaz: Gazetteer, count: int, seed: int) -> list[float]:
    out = []
    for name in road_names(count, seed):
        start = time.perf_counter()
        gaz.create({"name": "新" + name} | ROAD, SPOT, user="基准", override_reason=OVERRIDE)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(store: Backend, saves: int) -> tuple[float, float]:
    narrow, whole = Gazetteer(store), WholeScope(store)
    narrow.admin(), whole.admin()
    times: dict[str, list[float]] = {"narrow": [], "whole": []}
    for rnd in range(3):
        times["whole"] += creates(whole, saves, seed=100 + rnd)
        times["narrow"] += creates(narrow, saves, seed=200 + rnd)
    return statistics.median(times["narrow"]), statistics.median(times["whole"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--saves", type=int, default=20, help="creates per way and round")
    args = parser.parse_args()
    lines = [
        "| names in the scope | store | create p50, rivals only | create p50, whole scope | ratio |",
        "|---|---|---|---|---|",
    ]
    checked: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, temporary_cluster("scope", durable=True) as dsn:
        sock = dsn.split("host=", 1)[1].split()[0]
        url = f"postgresql://postgres@{quote(sock, safe='')}/scope"
        for size in args.sizes:
            path = Path(tmp) / f"d{size}.gpkg"
            shutil.copy(default_demo_path(), path)
            gpkg = open_store(str(path))
            n = fill(gpkg, size)
            pg = PostGISStore.create(url, replace=True)
            copy_store(gpkg, pg)
            stores: dict[str, Any] = {"GeoPackage": gpkg, "PostGIS": pg}
            for label, store in stores.items():
                compared = same_findings(store)
                mine, theirs = run(store, args.saves)
                lines.append(f"| {n:,} | {label} | {mine:.1f} ms | {theirs:.1f} ms | {theirs / mine:.1f}× |")
                print(lines[-1], flush=True)
            checked.append(f"{compared} names at {n:,}")
            pg.close()
    print("\n".join(lines))
    print("same findings both ways for " + ", ".join(checked))


if __name__ == "__main__":
    main()
