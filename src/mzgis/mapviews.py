"""The views a print map shows (the county, a township's facilities, a boundary line or a stretch of it,
any extent), built from the store with the layer model's colours; drawn by :mod:`mzgis.io.printmap`.
One service for ``mzgis map``, the page's 打印 (``GET /api/print``) and the reports' maps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import shapely
from shapely.geometry import box
from shapely.ops import substring

from mzgis.admin import area_name, with_polygons
from mzgis.clock import beijing_today
from mzgis.crs import STORAGE_EPSG, to_metric
from mzgis.errors import BadInput, NotFound, RuleViolation
from mzgis.io.map_layers import categorized, line_layers
from mzgis.io.printmap import MapLayer, PrintMap, Style
from mzgis.layers import LAYERS
from mzgis.store import Store
from mzgis.styles import STYLES
from mzgis.text import text_problem

__all__ = ["MAP_LAYERS", "build_view", "layers_pattern"]

# the layers a print map can show, in drawing order (areas first, points last), and those shown by default
MAP_LAYERS = (
    "admin_units",
    "burial_sites",
    "boundary_lines",
    "place_names",
    "boundary_markers",
    "community_complexes",
    "eldercare_facilities",
)
DEFAULT_LAYERS = (
    "admin_units",
    "boundary_lines",
    "place_names",
    "eldercare_facilities",
    "community_complexes",
    "burial_sites",
)
# the point layers and the field their colour follows (as the page's map)
_POINT_COLOUR_FIELD = {
    "eldercare_facilities": "kind",
    "community_complexes": "kind",
    "burial_sites": "kind",
    "boundary_markers": "condition",
}


def _admin_layers(units: gpd.GeoDataFrame, focus: str | None) -> list[MapLayer]:
    f = LAYERS["admin_units"].field("level")
    colour = dict(zip(f.choices, f.choice_colours, strict=True))
    towns = units[units.level == "township"]
    villages = units[units.level == "village"]
    if focus is not None:  # a township's map: its villages named, the other townships faint
        villages = villages[villages.parent_code == focus]
    return [
        MapLayer(
            "乡镇(街道)",
            towns,
            Style(colour["township"], "fill", width=1.2, fill=STYLES["township_fill"]),
            label_field="name",
            label_size=9,
        ),
        MapLayer(
            "村(社区)",
            villages,
            Style(colour["village"], "fill", width=0.4),
            label_field="name" if focus else None,
            label_size=6,
        ),
        MapLayer("区县界", units[units.level == "county"], Style(colour["county"], "fill", width=2.2)),
    ]


def _coverage_layers(
    store: Store, target: str, towns: gpd.GeoDataFrame, villages: gpd.GeoDataFrame
) -> tuple[list[MapLayer], str, str]:
    """The townships by band against ``target`` (the bands and colours the page shows) and the villages the
    target's facility type leaves uncovered; the target's wording and goal."""
    from mzgis.coverage.analysis import TARGET_IDS
    from mzgis.coverage.reading import BANDS, MAP_TARGETS, reading
    from mzgis.coverage.service import analyze_store

    if target not in MAP_TARGETS:
        known = "、".join(f"{k}({label})" for k, (label, _) in MAP_TARGETS.items())
        raise BadInput(f"没有覆盖目标“{target}”;可选:{known}", f"unknown coverage target {target!r}")
    result = analyze_store(store)
    view = reading(result.townships, result.district, result.targets)
    facility_type = MAP_TARGETS[target][1]
    goal = next(t["goal"] for t in view["targets"] if t["id"] == target)
    band = {code: row[target]["band"] for code, row in view["rows"].items()}
    layers = []
    for b, text, colour in BANDS:
        part = towns[towns.code.map(band) == b]
        layers.append(MapLayer(text, part, Style("#1d3557", "fill", width=0.8, fill=colour, alpha=0.65)))
    if facility_type is not None:
        uncovered = set(result.uncovered[result.uncovered.facility_type == facility_type].code)
        part = villages[villages.code.isin(uncovered)]
        layers.append(MapLayer("未覆盖的村(社区)", part, Style(STYLES["uncovered"], "fill", width=1.0, dashed=True)))
    return layers, TARGET_IDS[target], goal  # the target's short name (the selector's wording adds the rule)


def build_view(
    store: Store,
    *,
    township: str | None = None,
    line: str | None = None,
    from_m: float | None = None,
    to_m: float | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    layers: Sequence[str] | None = None,
    title: str | None = None,
    paper: str = "A4",
    portrait: bool = False,
    day: dt.date | None = None,
    coverage: str | None = None,
) -> PrintMap:
    """The print map of one view: the county (default), a township (code or name), a boundary line (or
    the stretch ``from_m``–``to_m`` metres along our version) or ``bbox``; ``layers`` from :data:`MAP_LAYERS`;
    ``coverage``: a target of the plan (see :data:`mzgis.coverage.reading.MAP_TARGETS`), the townships
    coloured by how far they are from it and the villages it leaves uncovered outlined."""
    title_given = title is not None
    if title is not None:
        problem = text_problem(title)
        if problem or not title.strip() or len(title) > 60:
            raise BadInput(f"标题{problem or '应为 1–60 个字符'}", "bad map title")
    chosen, sides = _chosen_layers(layers, line)
    if sum(x is not None for x in (township, line, bbox)) > 1:
        raise RuleViolation("乡镇、界线和范围只能选一个", "choose one of township, line, bbox")
    if (from_m is not None or to_m is not None) and line is None:
        raise RuleViolation("里程范围只用于界线出图(--line)", "from/to apply to a line")
    registered = store.read_frame("admin_units")
    units = with_polygons(registered)
    towns = units[units.level == "township"]
    county_name = area_name(registered)
    focus: str | None = None
    extent: tuple[float, float, float, float] | None = bbox
    line_part: list[MapLayer] = []
    if township is not None:
        hit = towns[(towns.code == township) | (towns.name == township)]
        if hit.empty:
            raise NotFound(f"没有乡镇(街道)“{township}”;已有:{'、'.join(towns.name)}", f"no township {township!r}")
        focus = str(hit.code.iloc[0])
        extent = tuple(hit.total_bounds)
        title = title or f"{hit.name.iloc[0]}民政设施分布图"
        subtitle = f"{county_name} · {hit.name.iloc[0]}({focus})"
    elif line is not None:
        extent, subtitle, line_part = _line_view(store, line, from_m, to_m)
        title = title or f"{line}界线图"
        chosen = tuple(name for name in chosen if name not in ("boundary_lines", "boundary_markers"))
    else:
        title = title or f"{county_name}民政设施分布图"
        subtitle = county_name if bbox is None else f"{county_name} · 指定范围"
        if extent is None and not towns.empty:  # the county's townships, not its neighbours
            extent = tuple(towns.total_bounds)
    layer_list = _drawn_layers(store, chosen, sides, extent, units, focus, line_part)
    if coverage is not None:
        theme, label, goal = _coverage_layers(store, coverage, towns, units[units.level == "village"])
        layer_list[1:1] = theme  # over the townships' outlines, under the villages, lines and points
        if not title_given:
            place = str(towns[towns.code == focus].name.iloc[0]) if focus else county_name
            title = f"{place}{label}达标情况图"
        subtitle = f"{subtitle} · 目标 {goal}"
    return PrintMap(
        title=title,
        subtitle=subtitle,
        layers=layer_list,
        extent=extent,
        source=f"{county_name}民政局 mzgis 数据文件",
        paper=paper,
        portrait=portrait,
        day=day or beijing_today(),
    )


def layers_pattern() -> str:
    """The layers a print map takes, as a pattern of a comma-separated list (names, Chinese labels, one
    version of the boundary lines): what the API's schema states of ``layers``."""
    import re

    names = [*MAP_LAYERS, *(LAYERS[n].label_zh for n in MAP_LAYERS), "boundary_lines:ours", "boundary_lines:neighbour"]
    one = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return f"^(?:{one})?(?:,(?:{one})?)*$"


def _chosen_layers(layers: Sequence[str] | None, line: str | None) -> tuple[tuple[str, ...], set[str]]:
    """The layers asked for (by name or Chinese label) and the boundary versions to draw."""
    by_label = {LAYERS[n].label_zh: n for n in MAP_LAYERS}
    # a line's map shows the divisions around it unless asked for more
    asked = tuple(by_label.get(n, n) for n in layers) if layers else ("admin_units",) if line else DEFAULT_LAYERS
    # boundary_lines:ours / boundary_lines:neighbour: one version only (as the page's switcher shows them)
    sides = {n.split(":", 1)[1] for n in asked if n.startswith("boundary_lines:")}
    if sides - {"ours", "neighbour"}:
        raise BadInput(f"界线版本应为 ours(本方)或 neighbour(对方),不是“{'、'.join(sorted(sides))}”", "bad side")
    chosen = tuple(dict.fromkeys("boundary_lines" if n.startswith("boundary_lines:") else n for n in asked))
    if "boundary_lines" in asked or not sides:
        sides = {"ours", "neighbour"}
    unknown = [name for name in chosen if name not in MAP_LAYERS]
    if unknown:
        raise BadInput(
            f"不能出图的图层:{'、'.join(unknown)};可选:{'、'.join(f'{n}({LAYERS[n].label_zh})' for n in MAP_LAYERS)}",
            f"unknown map layers {unknown}",
        )
    return chosen, sides


def _line_view(
    store: Store, line: str, from_m: float | None, to_m: float | None
) -> tuple[tuple[float, float, float, float], str, list[MapLayer]]:
    """A boundary line's view: its extent (or that of the stretch ``from_m``–``to_m`` metres along our
    version), the subtitle, and its two versions with its markers."""
    from mzgis.boundary.service import load_line

    bl = load_line(store, line)
    ours = bl.ours
    if from_m is not None or to_m is not None:
        epsg = to_metric(ours.bounds)
        metric = gpd.GeoSeries([ours], crs=STORAGE_EPSG).to_crs(epsg).iloc[0]
        start, end = from_m or 0.0, metric.length if to_m is None else to_m
        if start >= metric.length:
            raise RuleViolation(f"{line} 全长 {metric.length:.0f} 米,起点超出", "from beyond the line's end")
        if not 0 <= start < end:
            raise RuleViolation("里程范围应为 0 ≤ 起点 < 终点(米)", "from must be < to")
        stretch = gpd.GeoSeries([substring(metric, start, min(end, metric.length)).buffer(250)], crs=epsg)
        extent = tuple(stretch.to_crs(STORAGE_EPSG).total_bounds)
        subtitle = f"{line} 里程 {start:.0f}–{min(end, metric.length):.0f} 米"
    else:
        extent = ours.bounds
        subtitle = f"{bl.county_names.get(bl.county_a, bl.county_a)}与{bl.county_names.get(bl.county_b, bl.county_b)}"
    theirs = gpd.GeoDataFrame(geometry=[bl.theirs] if bl.theirs is not None else [], crs=STORAGE_EPSG)
    return extent, subtitle, line_layers(gpd.GeoDataFrame(geometry=[ours], crs=STORAGE_EPSG), theirs, bl.markers)


def _drawn_layers(
    store: Store,
    chosen: tuple[str, ...],
    sides: set[str],
    extent: tuple[float, float, float, float] | None,
    units: gpd.GeoDataFrame,
    focus: str | None,
    line_part: list[MapLayer],
) -> list[MapLayer]:
    """The map's layers in drawing order, each read within the view's extent."""
    window = box(*extent) if extent is not None else None

    def frame(name: str) -> gpd.GeoDataFrame:
        data = store.read_frame(name, bbox=extent) if extent is not None else store.read_frame(name)
        if window is not None and not data.empty:
            data = data[shapely.intersects(data.geometry.values, window)]
        return data

    layer_list: list[MapLayer] = []
    for name in MAP_LAYERS:
        if name == "boundary_lines" and line_part:  # a line's map: its two versions and its markers
            layer_list += line_part
            continue
        if name not in chosen:
            continue
        model = LAYERS[name]
        if name == "admin_units":
            layer_list += _admin_layers(frame(name) if extent is not None else units, focus)
        elif name == "boundary_lines":
            data = frame(name)
            none = data.iloc[0:0]
            layer_list += line_layers(
                data[data.side == "ours"] if "ours" in sides else none,
                data[data.side == "neighbour"] if "neighbour" in sides else none,
            )
        elif name == "place_names":
            data = frame(name)
            data = data[data.status != "retired"]
            layer_list.append(
                MapLayer("标准地名", data, Style(STYLES["other"], "point", size=10), label_field="name", label_size=6)
            )
        else:
            label = "marker_id" if name == "boundary_markers" else ("name" if focus else None)
            layer_list += categorized(
                model, frame(name), _POINT_COLOUR_FIELD[name], Style("#000", "point", size=34), label_field=label
            )
    return layer_list
