#!/usr/bin/env python3
"""Benchmark of the map page and the layer bbox endpoint.

Both signed in as a viewer (bearer token), as users are.
1. Time to first full draw of the demo page in headless Chromium (Debian's, driven by Playwright): from
   navigation to every layer drawn (the page sets body[data-ready]), median of 5 fresh page loads.
2. The layer bbox endpoint on a 100,000-point layer: p50/p95 of /api/layers/eldercare_facilities/features
   with random boxes returning at most 2,000 features, against the same store query without HTTP and JSON
   (the baseline in the same run, showing what the web layer adds).

Usage: python scripts/bench_web.py [--points 100000] [--requests 200]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import numpy as np
from shapely.geometry import Point

from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from mzgis.users import Users

WEST, SOUTH, EAST, NORTH = 121.29, 28.44, 121.67, 28.64


def make_store(folder: Path, points: int, seed: int) -> Path:
    path = folder / "bench.gpkg"
    with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    store = GeoPackageStore(path)
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(WEST, EAST, points), rng.uniform(SOUTH, NORTH, points)
    rows = [
        ({"name": f"测试站{i}", "kind": "day_care_station", "admin_code": "331004001002"}, Point(x, y))
        for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    ]
    with store.transaction(user="bench", reason="基准测试数据") as tx:
        tx.insert_many("eldercare_facilities", rows)
    return path


def viewer_token(db: Path) -> str:
    """A viewer account in the benchmark copy and its bearer token: reads are timed signed in."""
    users = Users(GeoPackageStore(db))
    users.add("bench", "viewer", "Timed-reads-2026", by="bench", temporary=False)  # as a viewer signs in
    return users.issue_token("bench", days=1).token


def serve(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from mzgis.cli import main; main()", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def first_draw(url: str, token: str, runs: int = 5) -> list[float]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium")
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            context.add_init_script(f"sessionStorage.setItem('mzgis-token', {token!r})")  # signed in already
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]", timeout=60_000)
            times.append(time.perf_counter() - start)
            context.close()
        browser.close()
    return times


def p(values: list[float], k: float) -> float:
    return float(np.percentile(values, k))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.gpkg"
        with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(demo)) as dst:
            src.backup(dst)
        token = viewer_token(demo)
        proc, url = serve(demo)
        try:
            draws = first_draw(url, token)
        finally:
            proc.terminate()
            proc.wait()
        print(
            f"first full draw of the demo page: median {statistics.median(draws):.2f} s "
            f"(runs: {', '.join(f'{t:.2f}' for t in draws)})"
        )

        t0 = time.perf_counter()
        db = make_store(Path(tmp), args.points, args.seed)
        print(f"{args.points:,} points added in {time.perf_counter() - t0:.1f} s")
        store = GeoPackageStore(db)
        auth = {"Authorization": f"Bearer {viewer_token(db)}"}
        rng = np.random.default_rng(args.seed + 1)
        # a box about 1.7 % of the extent holds about 1,700 of 100,000 points: at most 2,000 returned
        w, h = (EAST - WEST) * 0.13, (NORTH - SOUTH) * 0.13
        boxes = [
            (x, y, x + w, y + h)
            for x, y in zip(
                rng.uniform(WEST, EAST - w, args.requests), rng.uniform(SOUTH, NORTH - h, args.requests), strict=True
            )
        ]
        proc, url = serve(db)
        try:
            web, direct, counts = [], [], []
            for box in boxes:
                q = ",".join(f"{v:.6f}" for v in box)
                start = time.perf_counter()
                request = urllib.request.Request(
                    f"{url}/api/layers/eldercare_facilities/features?bbox={q}&limit=2000", headers=auth
                )
                with urllib.request.urlopen(request) as r:
                    body = r.read()
                web.append((time.perf_counter() - start) * 1000)
                counts.append(body.count(b'"type":"Feature"'))
                start = time.perf_counter()
                store.features("eldercare_facilities", bbox=box, limit=2000)
                direct.append((time.perf_counter() - start) * 1000)
        finally:
            proc.terminate()
            proc.wait()
    print(
        f"bbox endpoint over HTTP: p50 {p(web, 50):.1f} ms, p95 {p(web, 95):.1f} ms "
        f"(features per response: median {int(statistics.median(counts))}, max {max(counts)})"
    )
    print(f"same query on the store, no HTTP/JSON: p50 {p(direct, 50):.1f} ms, p95 {p(direct, 95):.1f} ms")


if __name__ == "__main__":
    main()
