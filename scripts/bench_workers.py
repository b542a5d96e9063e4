#!/usr/bin/env python3
"""What more server workers buy: ``mzgis serve --workers N`` on the demo in a throwaway PostGIS (commits
synced to disk, as a real server runs), editors in different townships saving names through the API at once
(separate client processes, each signed in with its own token), and a mix of searches; saves and searches per
second for each N, all in one run. The baseline is one worker. Before the figures are printed the script
checks, for every N, that every save the server acknowledged is stored with its audit row and nothing else
was (the same result whatever N).

    python scripts/bench_workers.py [--workers 1 2] [--editors 10] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from pg_temp import temporary_cluster  # noqa: E402

TOWNSHIPS = [f"331004{n:03d}" for n in (1, 2, 3, 4, 5, 6, 103, 104, 106, 107, 400, 401)]  # the demo's 12
DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    return "".join(DIGITS[int(d)] for d in str(n))


def _call(base: str, token: str, method: str, path: str, body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method), timeout=60) as r:
        return json.loads(r.read())


def _editor(
    base: str, token: str, tag: str, k: int, seconds: float, spots: dict[str, list[float]], out: mp.Queue[Any]
) -> None:
    """Save names in one township for ``seconds``, a search after each save; report ids and counts."""
    town = TOWNSHIPS[k % len(TOWNSHIPS)]
    lon, lat = spots[town]
    ids, searches, i = [], 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        i += 1
        body = {"name": f"{tag}{_cn(k)}甲{_cn(i)}号桥", "category": "transport_facility", "subcategory": "bridge",
                "admin_code": town, "geometry": {"type": "Point", "coordinates": [lon, lat]}}  # fmt: skip
        ids.append(int(_call(base, token, "POST", "/api/names", body)["id"]))  # type: ignore[index]
        _call(base, token, "GET", "/api/names?q=" + quote("路南"))
        searches += 1
    out.put((k, ids, searches))


def _serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [sys.executable, "-c", "from mzgis.cli import main; main()", "serve", "--db", url, "--port", str(port)]
    proc = subprocess.Popen([*args, "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=1) as r:
                if json.loads(r.read())["workers"] == workers:
                    break
        except OSError:
            time.sleep(0.1)
    time.sleep(1.0 if workers > 1 else 0.2)  # every worker up, not only the first to answer
    return proc, base


def run(url: str, workers: int, editors: int, seconds: float, turn: int) -> dict[str, float]:
    import psycopg

    from mzgis.store import open_store
    from mzgis.users import Users

    store = open_store(url)
    users = Users(store)
    tokens = []
    for k in range(editors):
        name = f"编辑{turn}-{k}"
        users.add(name, "editor", "Bench-口令-2026", by="bench")
        tokens.append(users.issue_token(name, days=1).token)
    spots = {}
    for town in TOWNSHIPS:
        (unit,) = store.features("admin_units", where={"code": town})
        p = unit.geometry.representative_point()  # type: ignore[union-attr]
        spots[town] = [p.x, p.y]
    store.close()
    proc, base = _serve(url, workers)
    try:
        queue: mp.Queue[Any] = mp.Queue()
        tag = f"测{_cn(turn)}"  # each run's names its own
        args = [(base, tokens[k], tag, k, seconds, spots, queue) for k in range(editors)]
        ctx = [mp.Process(target=_editor, args=a) for a in args]
        start = time.perf_counter()
        for p in ctx:
            p.start()
        results = [queue.get(timeout=seconds + 120) for _ in ctx]
        elapsed = time.perf_counter() - start
        for p in ctx:
            p.join()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    acknowledged = {i for _, ids, _ in results for i in ids}
    pattern = f"{tag}%甲%号桥"
    with psycopg.connect(url) as conn:  # the same result whatever N: every acknowledged save, no other
        stored = {r[0] for r in conn.execute("SELECT id FROM place_names WHERE name LIKE %s", (pattern,))}
        orphans = conn.execute(
            "SELECT count(*) FROM place_names p WHERE name LIKE %s AND NOT EXISTS"
            " (SELECT 1 FROM mzgis_audit a WHERE a.layer = 'place_names' AND a.feature_id = p.id)",
            (pattern,),
        ).fetchone()[0]  # type: ignore[index]
    if stored != acknowledged or orphans:
        raise SystemExit(
            f"workers {workers}: {len(acknowledged)} acknowledged, {len(stored)} stored, {orphans} orphans"
        )
    saves = sum(len(ids) for _, ids, _ in results)
    return {"saves_per_s": saves / elapsed, "searches_per_s": sum(s for *_, s in results) / elapsed, "saves": saves}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--editors", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    from mzgis.settings import default_demo_path
    from mzgis.store import GeoPackageStore, create_store
    from mzgis.store.copy import copy_store

    print(f"cores: {os.cpu_count()}; editors: {args.editors}, each in its own township and process")
    with temporary_cluster("bench", durable=True) as dsn:
        sock = dsn.split("host=", 1)[1].split()[0]
        url = f"postgresql://postgres@{quote(sock, safe='')}/bench"
        copy_store(GeoPackageStore(default_demo_path()), create_store(url))
        rows = []
        for turn, n in enumerate(args.workers, start=1):
            rows.append((n, run(url, n, args.editors, args.seconds, turn)))
    base = rows[0][1]
    print("| workers | saves/s | searches/s | saves / 1 worker |")
    print("|---:|---:|---:|---:|")
    for n, r in rows:
        ratio = r["saves_per_s"] / base["saves_per_s"]
        print(f"| {n} | {r['saves_per_s']:.0f} | {r['searches_per_s']:.0f} | {ratio:.2f}× |")
    print("checked: every acknowledged save stored with its audit row, nothing else, for every worker count")


if __name__ == "__main__":
    main()
