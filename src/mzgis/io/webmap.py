"""Self-contained HTML maps: Leaflet (from the page's node_modules, pinned in its package.json) inlined with the
data as GeoJSON, so the file opens offline anywhere. No base tiles: the admin units are the base.

Written by this template rather than folium: ``scripts/bench_webmap.py`` builds the same maps with folium
(Leaflet inlined the same way) and folium took 1.9–2.3× as long in the same run (README, 性能)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from mzgis.errors import NotFound
from mzgis.settings import WEB_ROOT
from mzgis.styles import STYLES

__all__ = ["MapLayer", "leaflet_assets", "self_contained_map"]


@dataclass
class MapLayer:
    """One layer: its title, features, a fill colour per feature (or one colour), popup fields in Chinese."""

    title: str
    frame: gpd.GeoDataFrame
    popup: dict[str, str]  # column → Chinese label
    colour: str = STYLES["other"]
    colour_column: str | None = None  # a column holding a colour per feature
    show: bool = True
    style: dict[str, Any] = field(default_factory=dict)
    label_column: str | None = None  # a column whose text labels each feature on the map (the townships' names)


def leaflet_assets(root: Path = WEB_ROOT / "node_modules" / "leaflet" / "dist") -> tuple[str, str]:
    """Leaflet's JS and CSS, as installed from the npm registry at set-up."""
    js, css = root / "leaflet.js", root / "leaflet.css"
    if not js.exists():
        raise NotFound(
            "缺少 Leaflet 文件(请运行 python3 scripts/dev.py setup,它会在 src/mzgis/web/ 下执行 npm ci)", f"no {js}"
        )
    return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")


def _geojson(layer: MapLayer) -> dict[str, Any]:
    frame = layer.frame.to_crs(4326)
    labels = list(layer.popup.values())
    columns = [frame[c].tolist() for c in layer.popup]  # column by column: no row objects
    colours = frame[layer.colour_column].tolist() if layer.colour_column else [layer.colour] * len(frame)
    names = frame[layer.label_column].tolist() if layer.label_column else [None] * len(frame)
    features = [
        {
            "type": "Feature",
            "geometry": geom.__geo_interface__,
            "properties": {"popup": dict(zip(labels, values, strict=True)), "colour": colour, "label": name},
        }
        for geom, colour, name, *values in zip(frame.geometry, colours, names, *columns, strict=True)
        if geom is not None
    ]
    return {"type": "FeatureCollection", "features": features}


def self_contained_map(title: str, layers: list[MapLayer], *, legend_html: str = "") -> str:
    """The HTML page: Leaflet inlined, each layer switchable, popups with the attributes in Chinese."""
    js, css = leaflet_assets()
    data = [{"title": ly.title, "show": ly.show, "style": ly.style, "geojson": _geojson(ly)} for ly in layers]
    payload = json.dumps(data, ensure_ascii=False, default=str).replace("</", "<\\/")
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}
html, body, #map {{ height: 100%; margin: 0; font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }}
.legend {{ background: #fff; padding: 6px 8px; font-size: 12px; line-height: 18px; }}
.unit-label {{ background: transparent; border: 0; box-shadow: none; font-size: 12px; font-weight: bold;
text-shadow: 0 0 3px #fff, 0 0 3px #fff; }}
.unit-label::before {{ display: none; }}
.legend i {{ display: inline-block; width: 14px; height: 14px; margin-right: 4px; vertical-align: middle; }}
h1.title {{ position: absolute; z-index: 1000; left: 50px; top: 8px; margin: 0; font-size: 16px; background: #fff;
padding: 4px 8px; }}</style></head><body><h1 class="title">{html.escape(title)}</h1><div id="map"></div>
<script>{js}</script><script>
const layers = {payload};
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => ({{ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }}[c]));
const map = L.map('map', {{ attributionControl: false }});
const overlays = {{}};
let bounds = null;
for (const layer of layers) {{
  const g = L.geoJSON(layer.geojson, {{
    style: f => Object.assign({{ color: '#333', weight: 1, fillColor: f.properties.colour, fillOpacity: 0.7 }}, layer.style),
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {{ radius: 5, color: '#000', weight: 1,
      fillColor: f.properties.colour, fillOpacity: 0.9 }}),
    onEachFeature: (f, l) => {{ if (f.properties.label) {{
      const t = document.createElement('span');  // a label from data is text, never markup
      t.textContent = String(f.properties.label);
      l.bindTooltip(t, {{ permanent: true, direction: 'center', className: 'unit-label' }});
    }} l.bindPopup(() => {{
      // names from data are text, never markup: the popup is built from text nodes
      const box = document.createElement('div');
      for (const [k, v] of Object.entries(f.properties.popup)) {{
        const b = document.createElement('b');
        b.textContent = k;
        box.append(b, ':' + (v === null ? '' : String(v)), document.createElement('br'));
      }}
      return box;
    }}); }},
  }});
  overlays[esc(layer.title)] = g;
  if (layer.show) {{ g.addTo(map); }}
  if (g.getLayers().length) {{ bounds = bounds ? bounds.extend(g.getBounds()) : g.getBounds(); }}
}}
if (bounds) {{ map.fitBounds(bounds); }} else {{ map.setView([30, 115], 5); }}
L.control.layers(null, overlays, {{ collapsed: false }}).addTo(map);
L.control.scale({{ imperial: false }}).addTo(map);
const legend = L.control({{ position: 'bottomright' }});
legend.onAdd = () => {{ const d = L.DomUtil.create('div', 'legend'); d.innerHTML = {json.dumps(legend_html, ensure_ascii=False)}; return d; }};
legend.addTo(map);
</script></body></html>
"""
