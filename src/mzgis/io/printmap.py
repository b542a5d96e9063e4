"""Print maps (出图): one page, A4 or A3, with title, map, legend, scale bar, north arrow, source and date,
as PNG or PDF. The same renderer draws ``mzgis map``, the page's 打印 and the maps of the reports.

The map is drawn in the Gauss-Krüger zone of its extent (CGCS2000), so the scale bar and the stated scale
are true. Every legend entry is made from the style its features were drawn with (one style per entry),
so the legend shows the drawn colours. Labels are placed where they collide with nothing: a point's
label tries right, left, above and below; a label over a line, another label, the north arrow, the scale
bar or the page edge is left out (a map that cannot show all names shows the ones that can be read).
Chinese is drawn with a Noto CJK font (Debian ``fonts-noto-cjk``); without one nothing is drawn.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import geopandas as gpd
import shapely
from shapely.geometry import box

from mzgis import __version__
from mzgis.crs import STORAGE_EPSG, to_metric
from mzgis.errors import BadInput, NotFound, RuleViolation
from mzgis.styles import STYLES

__all__ = ["PAPERS", "MapLayer", "PrintMap", "Style", "cjk_font", "nice_length", "render_map"]

PAPERS = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}  # landscape, millimetres
FORMATS = ("png", "pdf", "svg")
MAX_FEATURES = 200_000  # a print map of more is refused: it could not be read and would take minutes
MAX_LABELS = 2_000  # labels tried on one page; the rest are left out (and counted)


@cache
def cjk_font() -> str | None:
    """The family name of an installed Noto CJK font (the Simplified Chinese face where the collection has
    one: the Japanese face draws some characters differently), registered with matplotlib; looked up once
    per process (a scan of the system's fonts takes ~8 ms)."""
    from matplotlib import font_manager

    for path in sorted(font_manager.findSystemFonts()):
        name = path.rsplit("/", 1)[-1]
        if "CJK" in name and ("Sans" in name or "Serif" in name) and "Bold" not in name and "Mono" not in name:
            font_manager.fontManager.addfont(path)
            family = str(font_manager.FontProperties(fname=path).get_name())
            faces = {f.name for f in font_manager.fontManager.ttflist}
            simplified = family.rsplit(" ", 1)[0] + " SC"
            return simplified if simplified in faces else family
    return None


@dataclass(frozen=True)
class Style:
    """How one legend entry's features are drawn."""

    colour: str
    kind: Literal["fill", "line", "point"]
    width: float = 1.0
    dashed: bool = False
    fill: str | None = None  # a polygon's fill (None: outline only)
    alpha: float = 0.35
    marker: str = "o"
    size: float = 28.0
    hollow: bool = False  # a point drawn as an outline (a place to look at, not a thing)


@dataclass
class MapLayer:
    label: str  # the legend's text
    frame: gpd.GeoDataFrame  # EPSG:4490
    style: Style
    label_field: str | None = None  # the column whose text labels each feature
    label_size: float = 7.0
    legend: bool = True


@dataclass
class PrintMap:
    title: str
    layers: list[MapLayer]
    extent: tuple[float, float, float, float] | None = None  # lon/lat; None: the layers' extent
    subtitle: str = ""
    source: str = "mzgis 数据文件"
    paper: str = "A4"
    portrait: bool = False
    day: dt.date | None = None
    notes: list[str] = field(default_factory=list)
    # a figure for a report instead of a page: this size, map and legend only (the report has the title)
    size_mm: tuple[float, float] | None = None


@dataclass
class Rendered:
    data: bytes
    labels_drawn: list[str]
    labels_left_out: list[str]
    legend: list[tuple[str, str]]  # (text, colour as drawn)
    scale: int  # the map's scale denominator (1:scale)
    epsg: int


def nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10ⁿ metres) near a fifth of ``span_m``."""
    if not math.isfinite(span_m) or span_m <= 0:
        raise ValueError("span must be positive")
    target = span_m / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= target)


def _length_zh(metres: float) -> str:
    return f"{metres / 1000:g} 千米" if metres >= 1000 else f"{metres:g} 米"


# the national series of map scales (GB/T 13989 and the basic scales of surveying): a printed map takes the
# first of them that shows its whole extent; past the series, whole millions
STANDARD_SCALES = (500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000)


def standard_scale(scale: float) -> int:
    """The first scale of :data:`STANDARD_SCALES` at least ``scale`` (1:N, the N)."""
    for n in STANDARD_SCALES:
        if n >= scale:
            return n
    return int(math.ceil(scale / 1_000_000) * 1_000_000)


def _fit(extent: tuple[float, float, float, float], ratio: float) -> tuple[float, float, float, float]:
    """``extent`` grown (about its centre, with a margin) to the width/height ``ratio`` of the map frame."""
    minx, miny, maxx, maxy = extent
    w, h = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    w, h = w * 1.08, h * 1.08
    if w / h < ratio:
        w = h * ratio
    else:
        h = w / ratio
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _check(pm: PrintMap, fmt: str) -> None:
    if fmt not in FORMATS:
        raise BadInput(f"出图格式应为 PNG 或 PDF,不是“{fmt}”", "format must be png or pdf")
    if pm.paper not in PAPERS:
        raise BadInput(f"纸张应为 A4 或 A3,不是“{pm.paper}”", "paper must be A4 or A3")
    if sum(len(layer.frame) for layer in pm.layers) > MAX_FEATURES:
        raise BadInput(
            f"要素超过 {MAX_FEATURES} 个,出图无法辨认;请缩小范围或减少图层", "too many features for a print map"
        )


def render_map(pm: PrintMap, fmt: str = "png", *, dpi: int = 150) -> Rendered:
    """Draw ``pm`` on one page; PNG or PDF bytes and what was drawn (for reports and tests)."""
    import warnings

    with warnings.catch_warnings():  # a character the font lacks is drawn as a box, not logged per glyph
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return _render(pm, fmt, dpi)


def _render(pm: PrintMap, fmt: str, dpi: int) -> Rendered:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fmt = fmt.lower()
    _check(pm, fmt)
    font = _font()
    layers = [layer for layer in pm.layers if not layer.frame.empty]
    extent = _extent(pm, layers)
    epsg = to_metric(extent)
    to_m = gpd.GeoSeries([box(*extent)], crs=STORAGE_EPSG).to_crs(epsg)
    width_mm, height_mm = pm.size_mm or PAPERS[pm.paper]
    if pm.portrait and pm.size_mm is None:
        width_mm, height_mm = height_mm, width_mm

    plt.rcParams["font.family"] = font
    plt.rcParams["svg.fonttype"] = "none"  # SVG keeps text as text (the browser draws it in the same font)
    fig = plt.figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=dpi)
    map_box, legend_anchor = _layout(pm)
    fig.canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]  # geopandas redraws per call
    ax = fig.add_axes(map_box)
    frame_w_mm, frame_h_mm = map_box[2] * width_mm, map_box[3] * height_mm
    minx, miny, maxx, maxy = _fit(tuple(to_m.total_bounds), frame_w_mm / frame_h_mm)
    if pm.size_mm is None:  # a printed map at a scale of the standard series
        minx, miny, maxx, maxy = _at_standard_scale((minx, miny, maxx, maxy), frame_w_mm, frame_h_mm)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_xticks([])
    ax.set_yticks([])
    scale = round((maxx - minx) * 1000 / frame_w_mm)  # printed at 100 %: 1 mm on paper is scale mm on the ground

    handles: list[Any] = []
    legend: list[tuple[str, str]] = []
    obstacles: list[Any] = []  # lines (metric) that labels must not cross
    candidates: list[tuple[str, float, float, float, bool]] = []  # text, x, y, size, is_point
    window = box(minx, miny, maxx, maxy)
    for layer in layers:
        metric = layer.frame.to_crs(epsg)
        metric = metric[shapely.intersects(metric.geometry.values, window)]
        if metric.empty:
            continue  # nothing of it in the frame: not drawn, not in the legend
        st = layer.style
        handle = _draw(ax, metric, st, obstacles)
        if layer.legend:
            handles.append((handle, layer.label))
            legend.append((layer.label, st.colour if st.kind != "fill" or not st.fill else st.fill))
        if layer.label_field and layer.label_field in metric.columns:
            for text, geom in zip(metric[layer.label_field], metric.geometry, strict=True):
                if geom is None or geom.is_empty or text is None or str(text) == "":
                    continue
                p = geom if geom.geom_type == "Point" else geom.representative_point()
                candidates.append((str(text), p.x, p.y, layer.label_size, st.kind != "fill"))

    ax.set_xlabel("")
    ax.set_ylabel("")
    furniture = _furniture(ax, (minx, miny, maxx, maxy), scale)

    if pm.size_mm is None:
        _margins(fig, pm, epsg)
    if handles:
        fig.legend(
            [h for h, _ in handles],
            [t for _, t in handles],
            loc="upper left",
            bbox_to_anchor=legend_anchor,
            title="图例",
            fontsize=8,
            title_fontsize=9,
            frameon=True,
            ncols=3 if pm.portrait else 1,
        )

    drawn, left_out = _place_labels(fig, ax, candidates, obstacles, furniture)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return Rendered(buf.getvalue(), drawn, left_out, legend, scale, epsg)


def _font() -> str:
    font = cjk_font()
    if font is None:
        raise NotFound("本机没有中文字体(如 fonts-noto-cjk),无法出图", "no CJK font installed")
    return font


def _at_standard_scale(
    bounds: tuple[float, float, float, float], frame_w_mm: float, frame_h_mm: float
) -> tuple[float, float, float, float]:
    """``bounds`` (metres) grown about their centre to the first scale of the standard series that shows them."""
    minx, miny, maxx, maxy = bounds
    n = standard_scale((maxx - minx) * 1000 / frame_w_mm)
    cx, cy, half_w, half_h = (minx + maxx) / 2, (miny + maxy) / 2, frame_w_mm * n / 2000, frame_h_mm * n / 2000
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _layout(pm: PrintMap) -> tuple[tuple[float, float, float, float], tuple[float, float]]:
    """Where the map and the legend go on the page (fractions): map on the left, legend panel on the right
    (portrait: legend below), title above, notes below; a map of a given size fills its page."""
    if pm.size_mm is not None:
        return (0.005, 0.005, 0.72, 0.99), (0.735, 0.995)
    if pm.portrait:
        return (0.06, 0.22, 0.88, 0.66), (0.06, 0.20)
    return (0.04, 0.10, 0.74, 0.78), (0.80, 0.88)


def _extent(pm: PrintMap, layers: Sequence[Any]) -> tuple[float, float, float, float]:
    """The view's extent: the one asked for, else that of what is drawn; refused when it is not a box."""
    extent = pm.extent
    if extent is None:
        every = [layer.frame.total_bounds for layer in layers]
        bounds = [b for b in every if all(math.isfinite(v) for v in b)]
        if not bounds:  # nothing placed yet (a new county's names without positions, no outlines)
            raise NotFound("没有可出图的要素(尚无位置或区划面;可先导入区划面,或用 --bbox 指定范围)", "nothing to draw")
        extent = (
            min(b[0] for b in bounds),
            min(b[1] for b in bounds),
            max(b[2] for b in bounds),
            max(b[3] for b in bounds),
        )
    if not all(math.isfinite(v) for v in extent) or extent[0] >= extent[2] or extent[1] >= extent[3]:
        raise RuleViolation("出图范围无效:应为有大小的范围(西 < 东,南 < 北)", "the map extent has no area")
    return extent


def _draw(ax: Any, metric: gpd.GeoDataFrame, st: Style, obstacles: list[Any]) -> Any:
    """Draw one layer in its style; its legend handle. Lines join ``obstacles`` (labels must not cross them)."""
    import matplotlib
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if st.kind == "fill":
        metric.plot(
            ax=ax,
            facecolor=st.fill or "none",
            edgecolor=st.colour,
            linewidth=st.width,
            alpha=None,
            linestyle="--" if st.dashed else "-",
        )
        if st.fill:
            for coll in ax.collections[-1:]:
                coll.set_alpha(None)
                coll.set_facecolor(matplotlib.colors.to_rgba(st.fill, st.alpha))
        handle: Any = Patch(
            facecolor=matplotlib.colors.to_rgba(st.fill, st.alpha) if st.fill else "none",
            edgecolor=st.colour,
            linewidth=st.width,
            linestyle="--" if st.dashed else "-",
        )
    elif st.kind == "line":
        metric.plot(ax=ax, color=st.colour, linewidth=st.width, linestyle="--" if st.dashed else "-")
        obstacles.extend(metric.geometry)
        handle = Line2D([], [], color=st.colour, linewidth=st.width, linestyle="--" if st.dashed else "-")
    elif st.hollow:
        metric.plot(ax=ax, facecolor="none", marker=st.marker, markersize=st.size, edgecolor=st.colour, linewidth=1.6)
        handle = Line2D(
            [], [], color="none", marker=st.marker, markerfacecolor="none", markeredgecolor=st.colour, markersize=9
        )
    else:
        metric.plot(
            ax=ax, color=st.colour, marker=st.marker, markersize=st.size, edgecolor=STYLES["outline"], linewidth=0.5
        )
        handle = Line2D(
            [],
            [],
            color="none",
            marker=st.marker,
            markerfacecolor=st.colour,
            markeredgecolor=STYLES["outline"],
            markersize=7,
        )
    return handle


def _furniture(ax: Any, bounds: tuple[float, float, float, float], scale: int) -> list[Any]:
    """The north arrow (top right) and the scale bar (bottom left), inside the frame; the texts drawn (labels
    keep clear of them)."""
    from matplotlib.patches import Polygon, Rectangle

    minx, miny, maxx, maxy = bounds
    ax.add_patch(
        Polygon(
            [(0.955, 0.955), (0.94, 0.895), (0.955, 0.91), (0.97, 0.895)],
            closed=True,
            transform=ax.transAxes,
            facecolor="#111",
            edgecolor="#111",
            zorder=10,
        )
    )
    north = ax.text(0.955, 0.965, "北", transform=ax.transAxes, ha="center", va="bottom", fontsize=11, zorder=10)
    bar = nice_length(maxx - minx)
    x0, y0 = minx + (maxx - minx) * 0.03, miny + (maxy - miny) * 0.04
    h = (maxy - miny) * 0.008
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * bar / 4, y0),
                bar / 4,
                h,
                facecolor="#111" if i % 2 == 0 else "white",
                edgecolor="#111",
                linewidth=0.6,
                zorder=10,
            )
        )
    bar_texts = [
        ax.text(x0, y0 + h * 1.6, "0", ha="center", va="bottom", fontsize=7, zorder=10),
        ax.text(x0 + bar, y0 + h * 1.6, _length_zh(bar), ha="center", va="bottom", fontsize=7, zorder=10),
        ax.text(x0, y0 - h * 0.8, f"比例尺 1:{scale:,}", ha="left", va="top", fontsize=7, zorder=10),
    ]
    return [north, *bar_texts]


def _margins(fig: Any, pm: PrintMap, epsg: int) -> None:
    """The title and subtitle above the map; the source, coordinate systems, maker and date below, with the
    notes (what the map leaves out or assumes) above them."""
    fig.text(0.5, 0.965, pm.title, ha="center", va="top", fontsize=16, weight="bold")
    if pm.subtitle:
        fig.text(0.5, 0.925, pm.subtitle, ha="center", va="top", fontsize=9, color="#333")
    day = pm.day or dt.date.today()
    footer = (
        f"数据来源:{pm.source}    坐标系:CGCS2000(EPSG:{STORAGE_EPSG}),高斯-克吕格投影 EPSG:{epsg}    "
        f"制图:mzgis {__version__}    日期:{day.isoformat()}"
    )
    fig.text(0.04, 0.035, footer, ha="left", va="bottom", fontsize=7, color="#333")
    for i, note in enumerate(pm.notes[:3]):  # above the footer: what the map leaves out or assumes
        fig.text(0.04, 0.055 + i * 0.018, note, ha="left", va="bottom", fontsize=7, color="#333")


def _place_labels(
    fig: Any,
    ax: Any,
    candidates: Sequence[tuple[str, float, float, float, bool]],
    lines: list[Any],
    furniture: list[Any],
) -> tuple[list[str], list[str]]:
    """Put each label where it overlaps no line, earlier label, furniture or the frame's edge; the labels
    drawn and those left out (in the order given: earlier layers have priority). Each label is measured
    once and its places tried by arithmetic; placed labels go into an R-tree, so the work grows with the
    number of labels, not its square; past :data:`MAX_LABELS` the rest are left out unmeasured."""
    from rtree import index

    # readable over fills and lines; a light box, not a stroked halo, so a PDF keeps the names as text
    backing = {"boxstyle": "square,pad=0.08", "facecolor": (1, 1, 1, 0.65), "edgecolor": "none"}
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = index.Index()
    blocked = [t.get_window_extent(renderer).expanded(1.05, 1.1) for t in furniture]
    blocked += [p.get_window_extent(renderer) for p in ax.patches]
    for n, b in enumerate(blocked):
        taken.insert(-1 - n, (b.x0, b.y0, b.x1, b.y1))
    inverse = ax.transData.inverted()
    tree = shapely.STRtree(lines) if lines else None
    px_per_pt = fig.dpi / 72.0
    drawn: list[str] = []
    left_out: list[str] = []
    near = (("left", "center", 4, 0), ("right", "center", -4, 0), ("center", "bottom", 0, 4), ("center", "top", 0, -4))
    farther = tuple((ha, va, dx * 4, dy * 4) for ha, va, dx, dy in near)
    shift = {"left": 0.0, "center": -0.5, "right": -1.0, "bottom": 0.0, "top": -1.0}
    for text, x, y, size, is_point in candidates[:MAX_LABELS]:
        probe = ax.text(0, 0, text, fontsize=size, bbox=backing)
        box_ = probe.get_window_extent(renderer)
        probe.remove()
        w, h = box_.width, box_.height
        px, py = ax.transData.transform((x, y))
        # a point's label beside it, then a little farther; an area's name at its middle first (a thin
        # area between two lines has no room inside: its label goes beside it)
        tries = (*near, *farther) if is_point else (("center", "center", 0, 0), *near, *farther)
        for ha, va, dx, dy in tries:
            x0 = px + dx * px_per_pt + shift[ha] * w
            y0 = py + dy * px_per_pt + (shift[va] if va != "center" else -0.5) * h
            x1, y1 = x0 + w, y0 + h
            if not (frame.x0 <= x0 and x1 <= frame.x1 and frame.y0 <= y0 and y1 <= frame.y1):
                continue
            if taken.count((x0, y0, x1, y1)):
                continue
            if tree is not None:
                (ax0, ay0), (ax1, ay1) = inverse.transform([(x0, y0), (x1, y1)])
                if len(tree.query(box(ax0, ay0, ax1, ay1), predicate="intersects")):
                    continue
            ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=size,
                zorder=9,
                annotation_clip=True,
                bbox=backing,
            )
            taken.insert(len(drawn), (x0, y0, x1, y1))
            drawn.append(text)
            break
        else:
            left_out.append(text)
    return drawn, left_out + [text for text, *_ in candidates[MAX_LABELS:]]
