#!/usr/bin/env python3
"""Benchmark of the self-contained HTML maps mzgis writes (a template with Leaflet inlined, io/webmap.py) against
the same maps made with folium (Leaflet inlined the same way), at three sizes spanning 100×. The issue asked
for folium unless it is slower: this is the measurement that decides.

Deterministic synthetic villages (squares with a name, two numbers and a colour). Both writers get the same
layer; the script checks in code that both files hold every feature once with its popup values and load
nothing from the network, then times writing the file and reports its size.

Usage: python scripts/bench_webmap.py [--sizes 1000 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import time
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from mzgis.io.webmap import MapLayer, leaflet_assets, self_contained_map


def folium_map(title: str, layers: list[MapLayer]) -> str:
    """The same map made with folium: Leaflet inlined the same way (folium's CDN defaults replaced), popups
    with the names escaped (folium's popup puts values into HTML), each layer switchable."""
    import folium

    js, css = leaflet_assets()
    m = folium.Map(tiles=None, control_scale=True, attribution_control=False, zoom_start=5, location=(30, 115))
    m.default_js = [("leaflet", "inline.js")]
    m.default_css = [("leaflet_css", "inline.css")]
    for layer in layers:
        frame = layer.frame.to_crs(4326)
        columns = [[html.escape(str(v)) for v in frame[c].tolist()] for c in layer.popup]
        colours = frame[layer.colour_column].tolist()
        keys = [f"p{i}" for i in range(len(columns))]
        features = [
            {
                "type": "Feature",
                "geometry": g.__geo_interface__,
                "properties": {**dict(zip(keys, values, strict=True)), "colour": c},
            }
            for g, c, *values in zip(frame.geometry, colours, *columns, strict=True)
        ]
        group = folium.FeatureGroup(name=html.escape(layer.title), show=layer.show)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=lambda f: {"color": "#333", "weight": 1, "fillColor": f["properties"]["colour"]},
            popup=folium.GeoJsonPopup(fields=keys, aliases=[html.escape(v) for v in layer.popup.values()]),
        ).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    page = m.get_root().render()
    page = page.replace('<script src="inline.js"></script>', f"<script>{js}</script>", 1)
    page = page.replace('<link rel="stylesheet" href="inline.css"/>', f"<style>{css}</style>", 1)
    return page.replace("<head>", f"<head><title>{html.escape(title)}</title>", 1)


def villages(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0, y0 = 121.3 + (i % side) * 0.002, 28.45 + (i // side) * 0.002
    return gpd.GeoDataFrame(
        {
            "name": [f"村{k}<b>" for k in range(n)],  # markup in names: both must keep it text
            "aged": rng.integers(100, 900, n),
            "per": rng.uniform(0, 80, n).round(2),
            "colour": rng.choice(["#52b788", "#ffd166", "#f8961e", "#c1121f"], n),
        },
        geometry=shapely.box(x0, y0, x0 + 0.0018, y0 + 0.0018),
        crs=4490,
    )


def check(page: str, frame: gpd.GeoDataFrame, tag: str) -> None:
    features = len(re.findall(r'"type": ?"Feature"', page))
    if features != len(frame):
        raise SystemExit(f"{tag}: {features} features written, {len(frame)} given")
    for name in frame["name"].iloc[:: max(1, len(frame) // 50)]:
        escaped = json.dumps(html.escape(name))[1:-1]  # folium: escaped for its popup, then Jinja's tojson
        htmlsafe = escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        forms = (json.dumps(name, ensure_ascii=False)[1:-1], htmlsafe)
        if not any(f in page for f in forms):
            raise SystemExit(f"{tag}: {name} missing")
    if re.search(r"<(script|link)[^>]+(src|href)=\"https?:", page):
        raise SystemExit(f"{tag}: loads from the network")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("checked: every feature once with its name, nothing loaded from the network, in both files")
    print(
        f"{'features':>9} | {'folium s (best/median)':>22} | {'template s':>16} | {'folium / template':>17}"
        f" | {'MB folium / template':>20}"
    )
    for n in args.sizes:
        frame = villages(n, 7)
        layer = MapLayer(
            "村", frame, {"name": "村(社区)", "aged": "60岁以上", "per": "可达床位/千人"}, colour_column="colour"
        )
        times: dict[str, list[float]] = {"folium": [], "template": []}
        pages: dict[str, Any] = {}
        writers = {"folium": folium_map, "template": self_contained_map}
        for _ in range(args.repeat):
            for tag, write in writers.items():
                t = time.perf_counter()
                pages[tag] = write("测试", [layer])
                times[tag].append(time.perf_counter() - t)
        for tag, page in pages.items():
            check(page, frame, tag)
        f, t = min(times["folium"]), min(times["template"])
        print(
            f"{n:>9,} | {f:>9.2f} / {statistics.median(times['folium']):<10.2f} | "
            f"{t:>6.2f} / {statistics.median(times['template']):<7.2f} | {f / t:>16.1f}× | "
            f"{len(pages['folium'].encode()) / 2**20:>8.1f} / {len(pages['template'].encode()) / 2**20:<9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
