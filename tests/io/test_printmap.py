"""The print-map renderer: scale, scale bar, legend colours as drawn, labels that avoid lines, pages."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, Point

from mzgis.errors import BadInput, RuleViolation
from mzgis.io.printmap import PAPERS, MapLayer, PrintMap, Style, cjk_font, nice_length, render_map
from tests.needs import need


@pytest.fixture(autouse=True)
def _fonts() -> None:
    need(cjk_font(), "a CJK font (apt-get install fonts-noto-cjk)")


def frame(geoms: list, **columns: list) -> gpd.GeoDataFrame:  # type: ignore[type-arg]
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=4490)


def test_nice_length_is_a_round_fifth() -> None:
    assert nice_length(10_000) == 2000
    assert nice_length(4_999) == 500
    assert nice_length(1_000_000) == 200_000
    assert nice_length(7) == 1
    with pytest.raises(ValueError):
        nice_length(0)


def test_cjk_font_is_the_simplified_chinese_face() -> None:
    # the Japanese face of Noto CJK draws characters such as 骨 differently
    assert cjk_font() in ("Noto Sans CJK SC", "Noto Serif CJK SC")


def test_a_printed_map_takes_the_first_standard_scale_that_shows_its_extent() -> None:
    extent = (121.30, 28.50, 121.40, 28.51)  # about 9.8 km by 1.1 km
    pm = PrintMap("比例尺", [MapLayer("点", frame([Point(121.35, 28.505)]), Style("#e76f51", "point"))], extent=extent)
    drawn = render_map(pm, "png", dpi=60)
    assert drawn.epsg == 4549  # Gauss-Krüger zone of 121.35°E (CM 120°E)
    fwd = Transformer.from_crs(4490, 4549, always_xy=True)
    xs, ys = fwd.transform([121.30, 121.40, 121.30, 121.40], [28.50, 28.50, 28.51, 28.51])
    width, height = (max(xs) - min(xs)) * 1.08, (max(ys) - min(ys)) * 1.08
    frame_w, frame_h = 0.74 * PAPERS["A4"][0], 0.78 * PAPERS["A4"][1]
    ground_w = max(width, height * frame_w / frame_h)  # a wide extent fills the frame's width
    assert 44_000 < ground_w * 1000 / frame_w < 50_000  # what the extent needs
    assert drawn.scale == 50_000  # the first scale of the standard series that shows it all


def test_standard_scales_are_the_national_series() -> None:
    from mzgis.io.printmap import standard_scale

    assert [standard_scale(s) for s in (400, 1_000, 18_000, 48_100, 183_855, 290_993, 2_400_000)] == [
        500, 1_000, 25_000, 50_000, 250_000, 500_000, 3_000_000,
    ]  # fmt: skip


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return (mpimg.imread(io.BytesIO(png), format="png")[:, :, :3] * 255).round().astype(int)


def test_legend_shows_the_colour_the_features_are_drawn_in() -> None:
    orange, teal = (0xE7, 0x6F, 0x51), (0x2A, 0x9D, 0x8F)
    points = frame([Point(121.31, 28.51), Point(121.36, 28.53)])
    pm = PrintMap(
        "图例",
        [
            MapLayer("养老机构", points.iloc[:1], Style("#e76f51", "point", size=200)),
            MapLayer("照料中心", points.iloc[1:], Style("#2a9d8f", "point", size=200)),
        ],
        extent=(121.30, 28.50, 121.37, 28.54),
    )
    drawn = render_map(pm, "png", dpi=80)
    assert drawn.legend == [("养老机构", "#e76f51"), ("照料中心", "#2a9d8f")]
    px = _pixels(drawn.data)
    split = int(px.shape[1] * 0.79)  # the map frame ends at 78 % of the width, the legend panel follows
    for colour in (orange, teal):
        hit = np.all(px == colour, axis=2)
        assert hit[:, :split].sum() > 20, colour  # drawn on the map
        assert hit[:, split:].sum() > 5, colour  # and the same colour in the legend


def test_labels_avoid_lines_and_each_other_and_say_what_was_left_out() -> None:
    # a vertical line just right of A: A's label goes left; B and C stand on one spot: one label only
    line = LineString([(121.3510, 28.40), (121.3510, 28.60)])
    pts = frame([Point(121.3505, 28.50), Point(121.30, 28.45), Point(121.30, 28.45)], name=["甲村", "乙村", "丙村"])
    pm = PrintMap(
        "注记",
        [
            MapLayer("界线", frame([line]), Style("#d62828", "line", width=2)),
            MapLayer("村", pts, Style("#2a9d8f", "point"), label_field="name", label_size=9),
        ],
        extent=(121.25, 28.40, 121.45, 28.60),
    )
    drawn = render_map(pm, "png", dpi=60)
    assert drawn.labels_drawn == ["甲村", "乙村", "丙村"] or drawn.labels_drawn == ["甲村", "乙村"]
    # 丙村 finds a free side of the same point (left, above or below) or is left out, never on top of 乙村
    assert "甲村" in drawn.labels_drawn and drawn.labels_left_out in ([], ["丙村"])


def test_a_label_with_no_free_side_is_left_out() -> None:
    # a point boxed in by four lines around it: beside it, near or farther, its label crosses one
    d = 0.004  # about 400 m: 25 points on paper, less than the label is wide
    box_lines = [
        LineString([(121.35 - d, 28.49), (121.35 - d, 28.51)]),
        LineString([(121.35 + d, 28.49), (121.35 + d, 28.51)]),
        LineString([(121.34, 28.50 - d), (121.36, 28.50 - d)]),
        LineString([(121.34, 28.50 + d), (121.36, 28.50 + d)]),
    ]
    pm = PrintMap(
        "避让",
        [
            MapLayer("线", frame(box_lines), Style("#d62828", "line")),
            MapLayer(
                "点",
                frame([Point(121.35, 28.50)], name=["被围住的很长的名称"]),
                Style("#000", "point"),
                label_field="name",
            ),
        ],
        extent=(121.30, 28.47, 121.40, 28.53),
    )
    drawn = render_map(pm, "png", dpi=60)
    assert drawn.labels_drawn == []
    assert drawn.labels_left_out == ["被围住的很长的名称"]


def test_features_outside_the_frame_are_not_in_the_legend() -> None:
    inside, outside = frame([Point(121.35, 28.50)]), frame([Point(122.5, 29.5)])
    pm = PrintMap(
        "范围",
        [MapLayer("内", inside, Style("#e76f51", "point")), MapLayer("外", outside, Style("#2a9d8f", "point"))],
        extent=(121.30, 28.45, 121.40, 28.55),
    )
    assert render_map(pm, "png", dpi=50).legend == [("内", "#e76f51")]


def test_pdf_is_one_a3_page_with_title_legend_scale_north_source_and_date(tmp_path: Path) -> None:
    need(shutil.which("pdftotext"), "pdftotext (apt-get install poppler-utils)")
    pm = PrintMap(
        "测试出图",
        [
            MapLayer(
                "养老机构", frame([Point(121.35, 28.50)], name=["某院"]), Style("#e76f51", "point"), label_field="name"
            )
        ],
        extent=(121.30, 28.45, 121.40, 28.55),
        paper="A3",
        portrait=True,
        source="测试数据",
        day=dt.date(2026, 11, 30),
    )
    path = tmp_path / "m.pdf"
    path.write_bytes(render_map(pm, "pdf").data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "841.89 x 1190.55 pts (A3)" in info  # portrait
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for part in (
        "测试出图",
        "图例",
        "养老机构",
        "某院",
        "北",
        "比例尺 1:",
        "数据来源:测试数据",
        "日期:2026-11-30",
        "EPSG:4490",
    ):
        assert part in text, part


def test_bad_requests_are_refused_in_chinese() -> None:
    pm = PrintMap("x", [], extent=(121.3, 28.4, 121.4, 28.5), paper="A5")
    with pytest.raises(BadInput, match="纸张应为 A4 或 A3"):
        render_map(pm, "png")
    with pytest.raises(BadInput, match="出图格式应为 PNG 或 PDF"):
        render_map(PrintMap("x", [], extent=(121.3, 28.4, 121.4, 28.5)), "gif")
    with pytest.raises(RuleViolation, match="出图范围无效:应为有大小的范围"):
        render_map(PrintMap("x", [], extent=(121.4, 28.4, 121.3, 28.5)), "png")
