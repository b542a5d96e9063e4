"""The print map's views built from the demo county's store."""

from __future__ import annotations

import datetime as dt

import pytest

from mzgis.crs import parse_bbox
from mzgis.errors import BadInput, NotFound, RuleViolation
from mzgis.mapviews import build_view
from mzgis.store import GeoPackageStore

DAY = dt.date(2026, 11, 30)


def _labels(view) -> list[str]:  # type: ignore[no-untyped-def]
    return [layer.label for layer in view.layers if not layer.frame.empty]


def test_county_view_frames_the_county_not_its_neighbours(demo_store: GeoPackageStore) -> None:
    view = build_view(demo_store, day=DAY)
    units = demo_store.read_frame("admin_units")
    towns = units[units.level == "township"]
    assert view.extent == pytest.approx(tuple(towns.total_bounds))
    assert view.title == "路桥区民政设施分布图"
    assert view.source == "路桥区民政局 mzgis 数据文件"
    labels = _labels(view)
    assert labels[:3] == ["乡镇(街道)", "村(社区)", "区县界"]
    assert "养老服务设施:居家养老服务照料中心" in labels and "界线:本方" in labels
    assert "标准地名" in labels  # drawn by default, where their labels fit (#28)


def test_township_view_names_its_villages_and_facilities(demo_store: GeoPackageStore) -> None:
    view = build_view(demo_store, township="路南街道", day=DAY)
    assert view.title == "路南街道民政设施分布图"
    assert view.subtitle == "路桥区 · 路南街道(331004001)"
    villages = next(layer for layer in view.layers if layer.label == "村(社区)")
    assert villages.label_field == "name"
    assert set(villages.frame.parent_code) == {"331004001"}
    homes = next(layer for layer in view.layers if layer.label == "养老服务设施:养老机构")
    assert homes.label_field == "name" and homes.style.colour == "#e76f51"
    assert build_view(demo_store, township="331004001", day=DAY).extent == view.extent


def test_line_stretch_view(demo_store: GeoPackageStore) -> None:
    view = build_view(demo_store, line="路黄线", from_m=9000, to_m=11500, day=DAY)
    assert view.title == "路黄线界线图"
    assert view.subtitle == "路黄线 里程 9000–11500 米"
    labels = _labels(view)
    assert [x for x in labels if x.startswith("界线")] == ["界线:本方", "界线:对方"]
    assert "界桩:完好" in labels
    assert not any(x.startswith("养老服务设施") for x in labels)  # a line's map: divisions and the line only
    west, south, east, north = view.extent  # type: ignore[misc]
    markers = demo_store.read_frame("boundary_markers").set_index("marker_id")
    within = {m for m, p in markers.geometry.items() if west <= p.x <= east and south <= p.y <= north}
    assert {"路黄07", "路黄08"} <= within and "路黄01" not in within and "路黄14" not in within


def test_one_version_of_the_lines_as_the_page_shows_them(demo_store: GeoPackageStore) -> None:
    ours = _labels(build_view(demo_store, layers=["boundary_lines:ours"], day=DAY))
    both = _labels(build_view(demo_store, layers=["boundary_lines:ours", "boundary_lines:neighbour"], day=DAY))
    assert ours == ["界线:本方"] and both == ["界线:本方", "界线:对方"]
    with pytest.raises(BadInput, match="界线版本应为 ours"):
        build_view(demo_store, layers=["boundary_lines:theirs"])


def test_chinese_layer_names_and_refusals(demo_store: GeoPackageStore) -> None:
    view = build_view(demo_store, layers=["标准地名"], day=DAY)
    assert _labels(view) == ["标准地名"]
    with pytest.raises(BadInput, match=r"不能出图的图层:roads;可选:admin_units\(行政区划\)"):
        build_view(demo_store, layers=["roads"])
    with pytest.raises(RuleViolation, match="乡镇、界线和范围只能选一个"):
        build_view(demo_store, township="路南街道", line="路黄线")
    with pytest.raises(RuleViolation, match="里程范围只用于界线出图"):
        build_view(demo_store, from_m=10)
    with pytest.raises(RuleViolation, match="起点超出"):
        build_view(demo_store, line="路黄线", from_m=90_000)
    with pytest.raises(NotFound, match=r"没有乡镇\(街道\)“某镇”;已有:路南街道"):
        build_view(demo_store, township="某镇")


def test_parse_bbox() -> None:
    assert parse_bbox("121.3,28.4,121.5,28.6") == (121.3, 28.4, 121.5, 28.6)
    assert parse_bbox("121.3,28.4,121.5,28.6") == (121.3, 28.4, 121.5, 28.6)
    assert parse_bbox("") is None
    assert parse_bbox("121.5,28.6,121.3,28.4") == (121.3, 28.4, 121.5, 28.6)  # corners in the other order
    assert parse_bbox(" 121.3 , 28.4 ,121.5,28.6 ") == (121.3, 28.4, 121.5, 28.6)
    for bad in ("1,2,3", "a,b,c,d", "200,1,201,2", "nan,1,2,3", "1e2,1,2,3", "1,2,3,4,5", "١,2,3,4"):
        with pytest.raises(BadInput, match="格式不对:应为 最小经度,最小纬度,最大经度,最大纬度"):
            parse_bbox(bad)


def test_coverage_view_colours_townships_by_band(demo_store: GeoPackageStore) -> None:
    view = build_view(demo_store, coverage="burial_site", day=DAY)
    assert view.title == "路桥区节地生态安葬点达标情况图"
    assert view.subtitle == "路桥区 · 目标 每个乡镇 ≥1 个"
    bands = {layer.label: sorted(layer.frame.name) for layer in view.layers if layer.label in ("达标", "不足 50%")}
    assert bands["达标"] == ["螺洋街道"] and len(bands["不足 50%"]) == 11  # the seed's picture
    none = next(layer for layer in view.layers if layer.label == "不足 50%")
    assert none.style.fill == "#c1121f"  # the colour the page draws that band in
    uncovered = next(layer for layer in view.layers if layer.label == "未覆盖的村(社区)")
    from mzgis.coverage.service import analyze_store

    result = analyze_store(demo_store)
    expected = set(result.uncovered[result.uncovered.facility_type == "burial_site"].code)
    assert sorted(uncovered.frame.code) == sorted(expected) and 0 < len(expected) < 228
    town = build_view(demo_store, township="金清镇", coverage="beds_per_1000", day=DAY)
    assert town.title == "金清镇每千名老年人养老床位达标情况图"
    with pytest.raises(BadInput, match="没有覆盖目标“beds”;可选:beds_per_1000"):
        build_view(demo_store, coverage="beds")
