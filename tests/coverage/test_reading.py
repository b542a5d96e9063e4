"""How coverage results read: bands, gaps and wording (the page shows these as given)."""

from __future__ import annotations

from typing import Any

from mzgis.coverage.reading import band, measure, reading
from mzgis.coverage.targets import load_targets

T = load_targets()  # 60 beds and 30 nursing beds per 1,000 elderly; 1 complex and 1 burial site per township


def row(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": "331004001",
        "name": "路南街道",
        "beds_per_1000": 45.0,
        "beds_shortfall": 30,
        "nursing_beds_per_1000": 20.0,
        "nursing_beds_shortfall": 70,
        "community_complexes": 0,
        "burial_sites": 2,
        "villages": 20,
        "villages_covered_by_burial": 9,
        "villages_with_day_care": 20,
        "unmet": ["beds_per_1000", "nursing_beds_per_1000", "community_complex", "burial_coverage"],
    }
    return base | over


def test_bands_by_share_of_the_goal() -> None:
    assert band(True, 10, 60) == "met"  # met is met, whatever the number
    assert band(False, 48, 60) == "near"  # 80 %
    assert band(False, 47.9, 60) == "far"
    assert band(False, 30, 60) == "far"  # 50 %
    assert band(False, 29.9, 60) == "none"
    assert band(False, None, 60) == "none"


def test_each_target_of_a_township_row() -> None:
    r = row()
    assert T.beds_per_1000_elderly == 60 and T.nursing_beds_per_1000_elderly == 30
    assert measure("beds_per_1000", r, T) == {"value": 45.0, "text": "45 张/千人", "gap": "缺 30 张", "band": "far"}
    assert measure("nursing_beds_per_1000", r, T)["band"] == "far"  # 20/30 = 67 %
    assert measure("community_complex", r, T) == {"value": 0.0, "text": "0 个", "gap": "缺 1 个", "band": "none"}
    assert measure("burial_site", r, T) == {"value": 2.0, "text": "2 个", "gap": "", "band": "met"}
    assert measure("burial_coverage", r, T) == {"value": 0.45, "text": "9/20 村", "gap": "11 村未覆盖", "band": "none"}
    assert measure("day_care_coverage", r, T) == {"value": 1.0, "text": "20/20 村", "gap": "", "band": "met"}
    empty = row(beds_per_1000=None, villages=0, villages_covered_by_burial=0)
    assert measure("beds_per_1000", empty, T)["text"] == "- 张/千人"
    assert measure("burial_coverage", empty, T)["value"] is None


def test_the_district_row_says_how_many_townships_lack_one() -> None:
    district = row(code="", name="全区", townships_without_complex=11, townships_without_burial_site=0, burial_sites=5)
    district["unmet"] = ["community_complex"]
    lacking = measure("community_complex", district, T, townships=12)
    assert lacking == {"value": 1 / 12, "text": "共 0 个", "gap": "11 个乡镇(街道)没有", "band": "none"}
    assert measure("burial_site", district, T, townships=12)["gap"] == ""
    view = reading([row()], district, T)
    assert [t["id"] for t in view["targets"]] == [
        "beds_per_1000",
        "nursing_beds_per_1000",
        "community_complex",
        "burial_site",
        "burial_coverage",
        "day_care_coverage",
    ]
    assert view["targets"][0]["goal"] == "60 张/千人" and view["targets"][4]["goal"] == "100%"
    assert view["targets"][4]["facility_type"] == "burial_site"
    assert view["bands"][0] == {"id": "met", "label": "达标", "colour": "#52b788"}
    assert set(view["rows"]) == {"331004001", ""}
