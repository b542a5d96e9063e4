"""Per-township gaps on a tiny county, exact figures; and the seed's picture on the demo county."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon, box

from mzgis.coverage.analysis import analyze
from mzgis.coverage.service import analyze_store
from mzgis.coverage.targets import load_targets
from mzgis.errors import BadInput
from mzgis.store import Backend, GeoPackageStore

TO_LL = Transformer.from_crs(4549, 4490, always_xy=True)
X, Y = 630000.0, 3160000.0


def ll_box(x0: float, y0: float, x1: float, y1: float):  # type: ignore[no-untyped-def]
    return gpd.GeoSeries([box(X + x0, Y + y0, X + x1, Y + y1)], crs=4549).to_crs(4490).iloc[0]


def ll_point(x: float, y: float) -> Point:
    return Point(*TO_LL.transform(X + x, Y + y))


@pytest.fixture
def county():  # type: ignore[no-untyped-def]
    """Two townships (A west, B east), two villages each, 10 km wide."""
    towns = gpd.GeoDataFrame(
        {"code": ["331004001", "331004002"], "name": ["甲街道", "乙镇"]},
        geometry=[ll_box(0, 0, 10000, 10000), ll_box(10000, 0, 20000, 10000)],
        crs=4490,
    )
    villages = gpd.GeoDataFrame(
        {
            "code": ["331004001001", "331004001002", "331004002001", "331004002002"],
            "name": ["一村", "二村", "三村", "四村"],
            "parent_code": ["331004001", "331004001", "331004002", "331004002"],
        },
        geometry=[
            ll_box(0, 0, 5000, 10000),
            ll_box(5000, 0, 10000, 10000),
            ll_box(10000, 0, 15000, 10000),
            ll_box(15000, 0, 20000, 10000),
        ],
        crs=4490,
    )
    population = pd.DataFrame(
        {
            "code": villages.code,
            "year": 2020,
            "total": [5000, 5000, 5000, 5000],
            "aged_60_plus": [1000, 1000, 500, 500],
            "aged_80_plus": [200, 200, 100, 100],
        }
    )
    eldercare = gpd.GeoDataFrame(
        {
            "name": ["甲院", "乙院", "甲中心", "一站", "二站", "三站"],
            "kind": [
                "institution",
                "institution",
                "home_care_centre",
                "day_care_station",
                "day_care_station",
                "day_care_station",
            ],
            "beds": [150, 100, 0, 0, 0, 0],
            "nursing_beds": [80, 20, 0, 0, 0, 0],
            "professionally_run": [True, False, False, True, False, True],
            "admin_code": [
                "331004001001",
                "331004001002",
                "331004001001",
                "331004001001",
                "331004001002",
                "331004002001",
            ],
        },
        geometry=[
            ll_point(2000, 5000),
            ll_point(12000, 5000),
            ll_point(3000, 5000),
            ll_point(2500, 5000),
            ll_point(7500, 5000),
            ll_point(12500, 5000),
        ],
        crs=4490,
    )
    complexes = gpd.GeoDataFrame(
        {"name": ["综合体"], "kind": ["urban"], "admin_code": ["331004002002"]},
        geometry=[ll_point(17000, 5000)],
        crs=4490,
    )
    burial = gpd.GeoDataFrame(
        {
            "name": ["公墓", "规划林"],
            "kind": ["cemetery", "tree"],
            "status": ["open", "planned"],
            "admin_code": ["331004001001", "331004002002"],
        },
        geometry=[ll_point(1000, 5000), ll_point(18000, 5000)],
        crs=4490,
    )
    return towns, villages, population, eldercare, complexes, burial


def test_exact_figures(county) -> None:  # type: ignore[no-untyped-def]
    result = analyze(*county, targets=load_targets())
    a, b = result.townships
    assert (a["aged_60_plus"], a["beds"], a["nursing_beds"], a["beds_per_1000"]) == (2000, 150, 80, 75.0)
    assert (a["beds_shortfall"], a["nursing_beds_shortfall"]) == (0, 0)
    assert (b["aged_60_plus"], b["beds"], b["beds_per_1000"], b["beds_shortfall"]) == (1000, 100, 100.0, 0)
    assert b["nursing_beds_shortfall"] == 10  # 30 per 1,000 of 1,000 elderly, 20 there
    assert (a["day_care_stations"], a["day_care_professional_share"], a["villages_with_day_care"]) == (2, 0.5, 2)
    assert (b["villages_with_day_care"], b["community_complexes"], b["burial_sites"]) == (1, 1, 0)
    # the open cemetery 1 km into 一村 covers villages whose centre lies within 5 km: 一村 (1.5 km) and 二村 (6.5 km: no)
    assert (a["villages_covered_by_burial"], b["villages_covered_by_burial"]) == (1, 0)
    assert a["unmet"] == ["home_care_professional", "day_care_professional", "community_complex", "burial_coverage"]
    assert b["unmet"] == ["nursing_beds_per_1000", "burial_site", "burial_coverage", "day_care_coverage"]
    d = result.district
    assert (d["aged_60_plus"], d["beds"], d["beds_per_1000"], d["beds_shortfall"]) == (3000, 250, 83.33, 0)
    assert (d["townships_without_complex"], d["townships_without_burial_site"]) == (1, 1)
    # the 乙院 is registered in a village of 甲街道 but stands in 乙镇
    assert [(m["name"], m["located_in"]) for m in result.mismatches] == [("乙院", "331004002")]
    uncovered = result.uncovered
    assert sorted(zip(uncovered.facility_type, uncovered.name, strict=True)) == [
        ("burial_site", "三村"),
        ("burial_site", "二村"),
        ("burial_site", "四村"),
        ("day_care", "四村"),
    ]


def test_a_township_exactly_at_its_targets_meets_them(county) -> None:  # type: ignore[no-untyped-def]
    """60 beds and 30 nursing beds for 1,000 elderly are the targets met, not one bed short of them."""
    towns, villages, population, eldercare, complexes, burial = county
    eldercare = eldercare.copy()
    eldercare.loc[eldercare.name == "乙院", ["beds", "nursing_beds", "admin_code"]] = [60, 30, "331004002001"]
    b = analyze(towns, villages, population, eldercare, complexes, burial, targets=load_targets()).townships[1]
    assert (b["aged_60_plus"], b["beds"], b["nursing_beds"], b["beds_per_1000"]) == (1000, 60, 30, 60.0)
    assert (b["beds_shortfall"], b["nursing_beds_shortfall"]) == (0, 0)
    assert "beds_per_1000" not in b["unmet"] and "nursing_beds_per_1000" not in b["unmet"]
    eldercare.loc[eldercare.name == "乙院", ["beds", "nursing_beds"]] = [59, 29]
    b = analyze(towns, villages, population, eldercare, complexes, burial, targets=load_targets()).townships[1]
    assert (b["beds_shortfall"], b["nursing_beds_shortfall"]) == (1, 1)
    assert b["unmet"][:2] == ["beds_per_1000", "nursing_beds_per_1000"]


def test_township_polygons_only_give_everything_per_township_and_name_what_needs_villages(county) -> None:  # type: ignore[no-untyped-def]
    """A county's first weeks: villages registered by code without polygons, and 乙镇's elderly only as the
    township's own row (a statistics bureau's table). Beds, nursing beds, shares, complexes and burial sites
    per township are as with village polygons; the village parts are None, not judged, and named."""
    towns, villages, population, eldercare, complexes, burial = county
    villages = villages.assign(geometry=None)
    population = pd.concat(
        [
            population[population.code.str.startswith("331004001")],
            pd.DataFrame(  # 乙镇 by its own code; 800 here, not the villages' 1,000
                {"code": ["331004002"], "year": [2020], "total": [9000], "aged_60_plus": [800], "aged_80_plus": [150]}
            ),
        ],
        ignore_index=True,
    )
    result = analyze(towns, villages, population, eldercare, complexes, burial, targets=load_targets())
    a, b = result.townships
    assert (a["aged_60_plus"], a["beds"], a["beds_per_1000"], a["beds_shortfall"]) == (2000, 150, 75.0, 0)
    # 乙镇: 100 beds for 800 elderly (125 per 1,000); 30 per 1,000 need 24 nursing beds, 20 there: 4 short
    assert (b["aged_60_plus"], b["aged_80_plus"], b["beds_per_1000"], b["nursing_beds_shortfall"]) == (
        800,
        150,
        125.0,
        4,
    )
    assert (a["villages"], a["villages_with_day_care"], a["villages_covered_by_burial"]) == (2, None, None)
    assert a["unmet"] == ["home_care_professional", "day_care_professional", "community_complex"]
    assert b["unmet"] == ["nursing_beds_per_1000", "burial_site"]
    d = result.district
    assert (d["aged_60_plus"], d["beds"], d["beds_per_1000"], d["villages_covered_by_burial"]) == (
        2800,
        250,
        89.29,
        None,
    )
    assert result.uncovered.empty
    assert result.villages.access_beds_per_1000.tolist() == [None] * 4
    assert [p["part"] for p in result.not_run] == [
        "day_care_coverage",
        "burial_coverage",
        "uncovered_villages",
        "access",
    ]
    assert result.not_run[0]["message"] == (
        "照料中心村(社区)覆盖率需要村级区划面(4 个村(社区)还没有),本次未计算;"
        "导入村级区划面后再运行(mzgis import admin_units 面文件 --update)"
    )
    rows = result.as_dict()["reading"]["rows"]
    assert rows["331004001"]["burial_coverage"] == {
        "value": None,
        "text": "未计算",
        "gap": "需要村级区划面",
        "band": "unknown",
    }
    assert rows["331004002"]["beds_per_1000"]["band"] == "met"
    # with every village's polygon nothing is left out, and a township row beside villages' rows is not added
    full = analyze(*county, targets=load_targets())
    assert full.not_run == []
    with_both = pd.concat([county[2], population.tail(1)], ignore_index=True)
    both = analyze(towns, county[1], with_both, eldercare, complexes, burial, targets=load_targets())
    assert both.townships[1]["aged_60_plus"] == 1000  # the villages' 500 + 500, not the township's 800


def test_no_village_registered_at_all_is_said(county) -> None:  # type: ignore[no-untyped-def]
    towns, villages, _, eldercare, complexes, burial = county
    own = pd.DataFrame(
        {"code": towns.code, "year": 2021, "total": [9000, 9000], "aged_60_plus": [2000, 1000], "aged_80_plus": [1, 1]}
    )
    result = analyze(towns, villages.iloc[0:0], own, eldercare, complexes, burial, targets=load_targets())
    assert [r["aged_60_plus"] for r in result.townships] == [2000, 1000]
    assert [r["villages"] for r in result.townships] == [0, 0]
    assert result.not_run[1]["message"].startswith("生态安葬行政村覆盖率需要村级区划面(本数据没有村级区划),本次未计算")
    # and before any population figure has come: no elderly counted, no ratio, nothing refused
    empty = analyze(towns, villages.iloc[0:0], own.iloc[0:0], eldercare, complexes, burial, targets=load_targets())
    assert [(r["aged_60_plus"], r["beds_per_1000"]) for r in empty.townships] == [(0, None), (0, None)]


def test_cycle_collector_left_as_it_was(county) -> None:  # type: ignore[no-untyped-def]
    import gc

    assert gc.isenabled()
    analyze(*county, targets=load_targets())
    assert gc.isenabled()
    gc.disable()
    try:
        analyze(*county, targets=load_targets())
        assert not gc.isenabled()
    finally:
        gc.enable()
    broken = county[1].drop(columns="parent_code")
    with pytest.raises(KeyError):
        analyze(county[0], broken, *county[2:], targets=load_targets())
    assert gc.isenabled()


def test_targets_are_data(tmp_path: Path, county) -> None:  # type: ignore[no-untyped-def]
    own = tmp_path / "targets.toml"
    text = (Path(__file__).resolve().parents[2] / "src" / "mzgis" / "coverage" / "data" / "targets.toml").read_text(
        "utf-8"
    )
    own.write_text(
        text.replace("beds_per_1000_elderly = 60", "beds_per_1000_elderly = 90").replace(
            "distance_m = 5000", "distance_m = 7000"
        ),
        encoding="utf-8",
    )
    targets = load_targets(own)
    result = analyze(*county, targets=targets)
    a = result.townships[0]
    assert a["beds_shortfall"] == 30 and "beds_per_1000" in a["unmet"]
    assert a["villages_covered_by_burial"] == 2
    assert result.as_dict()["targets"]["coverage_rules"]["burial_site"] == "村人口中心 7000 米内有设施"
    bad = tmp_path / "bad.toml"
    bad.write_text("[targets]\nbeds_per_1000_elderly = 60\n", encoding="utf-8")
    with pytest.raises(BadInput, match="目标文件缺少"):
        load_targets(bad)


def test_the_demo_county_shows_the_seed_picture() -> None:
    from mzgis.settings import default_demo_path

    result = analyze_store(GeoPackageStore(default_demo_path()))
    d = result.district
    assert d["beds_per_1000"] < 60 and "beds_per_1000" in d["unmet"]  # the district is below 60 beds per 1,000
    with_complex = sorted(r["name"] for r in result.townships if r["community_complexes"] >= 1)
    assert with_complex == ["蓬街镇", "路北街道"]  # only 路北街道 and 蓬街镇 have a complex
    with_burial = [r["name"] for r in result.townships if r["burial_sites"] >= 1]
    assert with_burial == ["螺洋街道"]  # eco-burial sites are missing in most townships (白枫岙 is not open yet)
    assert d["townships_without_burial_site"] == 11
    assert d["villages_with_day_care"] == d["villages"] == 228  # a day-care station in every village
    assert result.mismatches == []


def test_greedy_and_exact_covering(county) -> None:  # type: ignore[no-untyped-def]
    from mzgis.coverage.siting import build_model, exact, greedy
    from mzgis.coverage.targets import CoverageRule

    _, villages, *_ = county
    v = villages.to_crs(4549)
    v["aged_60_plus"] = [1000, 1000, 500, 500]
    centres = v.geometry.representative_point()
    cands = gpd.GeoDataFrame(
        {"name": ["一村中心", "二村中心", "三村中心", "四村中心"], "township": ["甲街道", "甲街道", "乙镇", "乙镇"]},
        geometry=centres.values,
        crs=4549,
    )
    existing = gpd.GeoDataFrame(geometry=[centres.iloc[0]], crs=4549)  # 一村 already served
    # village centres stand 5 km apart; a reach of 5,001 m covers the next village on each side
    xy = shapely.get_coordinates(centres.values)
    model = build_model(v, xy, existing, cands, rule=CoverageRule("distance", 5001.0))
    assert model.already.tolist() == [True, True, False, False]
    picks = greedy(model, 2)
    assert [(p.name, p.gain_elderly, p.gain_villages) for p in picks] == [("三村中心", 1000, 2)]  # then nothing left
    assert [(p.name, p.gain_elderly) for p in exact(model, 1)] == [("三村中心", 1000)]
    narrow = build_model(v, xy, existing, cands, rule=CoverageRule("distance", 100.0))
    assert [(p.name, p.gain_elderly) for p in greedy(narrow, 2)] == [("二村中心", 1000), ("三村中心", 500)]


def test_suggest_and_what_if_on_the_demo(tmp_path: Path) -> None:
    import json

    from mzgis.coverage.service import proposed_frame, suggest
    from mzgis.io.points import read_points
    from mzgis.settings import default_demo_path

    store = GeoPackageStore(default_demo_path())
    result = suggest(store, "burial_site", count=3, with_exact=True)
    assert result["rule"] == "村人口中心 5000 米内有设施"
    assert len(result["greedy"]) == 3 and result["exact_gain"] >= result["greedy_gain"] > 0
    assert all(p["township"] for p in result["greedy"])
    proposal = tmp_path / "proposed.geojson"
    proposal.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "金清养老院", "kind": "institution", "beds": 300, "nursing_beds": 200},
                        "geometry": {"type": "Point", "coordinates": [121.49, 28.53]},
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    before = analyze_store(store)
    after = analyze_store(store, proposed=proposed_frame(read_points(proposal)))
    jq_before = next(r for r in before.townships if r["name"] == "金清镇")
    jq_after = next(r for r in after.townships if r["name"] == "金清镇")
    assert (jq_before["beds"], jq_after["beds"]) == (400, 700)
    assert jq_after["beds_shortfall"] == jq_before["beds_shortfall"] - 300
    assert after.district["beds"] == before.district["beds"] + 300
    with pytest.raises(BadInput, match="kind"):
        bad = tmp_path / "bad.geojson"
        bad.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"name": "x", "kind": "castle"},
                            "geometry": {"type": "Point", "coordinates": [121.49, 28.53]},
                        }
                    ],
                }
            ),
            encoding="utf-8",
        )
        proposed_frame(read_points(bad))


def test_a_store_of_several_counties_is_analysed_one_unit_at_a_time(demo_store: Backend) -> None:
    """``unit``: the county's analysis is the whole demo's (its neighbours have no townships); a township's
    holds that township only, with its own counts; a county without townships is refused by name."""
    from mzgis.errors import NotFound

    whole = analyze_store(demo_store)
    county = analyze_store(demo_store, unit="331004")
    assert county.townships == whole.townships and county.district == whole.district
    lunan = analyze_store(demo_store, unit="331004001")
    assert [r["name"] for r in lunan.townships] == ["路南街道"]
    mine = next(r for r in whole.townships if r["name"] == "路南街道")
    keys = ("aged_60_plus", "beds", "nursing_beds", "beds_per_1000", "community_complexes", "burial_sites", "villages")
    assert {k: lunan.townships[0][k] for k in keys} == {k: mine[k] for k in keys}
    assert lunan.district["villages"] == mine["villages"]
    with pytest.raises(NotFound, match="区划 331002 下没有乡镇级区划,无法做覆盖分析"):
        analyze_store(demo_store, unit="331002")


def test_unround_figures_and_goals_met_exactly() -> None:
    """Four townships with figures that are not round, so the scale, the rounding and the ceiling of each need
    show (mutation testing found 1000 → 1001 undetected on round ones), and goals met exactly: 甲 (2 villages,
    2,234 elderly), 乙 (2 villages, 1,667: 60 per 1,000 need 100.02 beds, so 101; every share exactly at its
    goal), 丙 (one village of one elderly person), 丁 (no village, no one), 戊 (one village, no one, nothing)."""
    towns = gpd.GeoDataFrame(
        {"code": [f"33100400{i}" for i in range(1, 6)], "name": ["甲", "乙", "丙", "丁", "戊"]},
        geometry=[ll_box(x, 0, x + 10000, 10000) for x in (0, 10000, 20000, 30000, 40000)],
        crs=4490,
    )
    villages = gpd.GeoDataFrame(
        {
            "code": ["331004001001", "331004001002", "331004002001", "331004002002", "331004003001", "331004005001"],
            "name": ["一村", "二村", "三村", "四村", "五村", "六村"],
            "parent_code": ["331004001", "331004001", "331004002", "331004002", "331004003", "331004005"],
        },
        geometry=[
            ll_box(x0, 0, x1, 10000)
            for x0, x1 in ((0, 5000), (5000, 10000), (10000, 15000), (15000, 20000), (20000, 30000), (40000, 50000))
        ],
        crs=4490,
    )
    population = pd.DataFrame(
        {  # 一村 twice: its latest year counts (the older row comes first, so a position off by one shows)
            "code": ["331004001001", "331004001001", "331004001002", "331004002001", "331004002002", "331004003001"],
            "year": [2019, 2020, 2020, 2020, 2020, 2020],
            "total": [9000, 9000, 9000, 9000, 9000, 10],
            "aged_60_plus": [5000, 1234, 1000, 1000, 667, 1],
            "aged_80_plus": [900, 200, 100, 100, 67, 0],
        }
    )
    care_rows = [  # name, kind, beds, nursing, professionally run, village, x
        ("甲院", "institution", 150, 80, True, "331004001001", 2000),
        *(("甲中心" + str(i), "home_care_centre", 0, 0, i == 0, "331004001001", 3000 + 200 * i) for i in range(3)),
        ("一站", "day_care_station", 0, 0, True, "331004001001", 2500),
        ("二站", "day_care_station", 0, 0, False, "331004001002", 7500),
        ("二站乙", "day_care_station", 0, 0, False, "331004001002", 8000),
        ("乙院", "institution", 100, 50, True, "331004002001", 12000),
        ("乙中心", "home_care_centre", 0, 0, True, "331004002001", 13000),
        *(("三站" + str(i), "day_care_station", 0, 0, i < 4, "331004002001", 11000 + 300 * i) for i in range(3)),
        *(("四站" + str(i), "day_care_station", 0, 0, True, "331004002002", 16000 + 300 * i) for i in range(2)),
        ("五站", "day_care_station", 0, 0, False, "331004003001", 26000),  # 丙's one station, not run
    ]
    eldercare = gpd.GeoDataFrame(
        {
            "name": [r[0] for r in care_rows],
            "kind": [r[1] for r in care_rows],
            "beds": [r[2] for r in care_rows],
            "nursing_beds": [r[3] for r in care_rows],
            "professionally_run": [r[4] for r in care_rows],
            "admin_code": [r[5] for r in care_rows],
        },
        geometry=[ll_point(r[6], 5000) for r in care_rows],
        crs=4490,
    )
    eldercare.loc[eldercare.name == "三站2", "professionally_run"] = False  # 乙: 4 of 5 stations, exactly 0.8
    complexes = gpd.GeoDataFrame({"name": [], "kind": [], "admin_code": []}, geometry=[], crs=4490)
    burial = gpd.GeoDataFrame(
        {
            "name": ["乙墓", "丙林"],
            "kind": ["cemetery", "tree"],
            "status": ["open", "open"],
            "admin_code": ["331004002", "331004003"],
        },
        geometry=[ll_point(15000, 5000), ll_point(25000, 5000)],
        crs=4490,
    )
    result = analyze(towns, villages, population, eldercare, complexes, burial, targets=load_targets())
    keys = (
        "aged_60_plus", "beds", "nursing_beds", "beds_per_1000", "nursing_beds_per_1000", "beds_shortfall",
        "nursing_beds_shortfall", "home_care_centres", "home_care_professional_share", "day_care_stations",
        "day_care_professional_share", "community_complexes", "burial_sites", "villages", "villages_with_day_care",
        "villages_covered_by_burial",
    )  # fmt: skip
    got = {r["name"]: tuple(r[k] for k in keys) for r in [*result.townships, result.district]}
    assert got == {
        # 150 / 2,234 = 67.14 per 1,000; 60 and 30 per 1,000 need 135 and 68: met; 1 of 3 centres and stations run
        "甲": (2234, 150, 80, 67.14, 35.81, 0, 0, 3, 0.3333, 3, 0.3333, 0, 0, 2, 2, 0),
        # 100 / 1,667 = 59.99; need ceil(100.02) = 101 and ceil(50.01) = 51: one short of each
        "乙": (1667, 100, 50, 59.99, 29.99, 1, 1, 1, 1.0, 5, 0.8, 0, 1, 2, 2, 2),
        # one elderly person needs a bed (ceil(0.06) = 1) and a nursing bed
        "丙": (1, 0, 0, 0.0, 0.0, 1, 1, 0, None, 1, 0.0, 0, 1, 1, 1, 1),
        "丁": (0, 0, 0, None, None, 0, 0, 0, None, 0, None, 0, 0, 0, 0, 0),
        "戊": (0, 0, 0, None, None, 0, 0, 0, None, 0, None, 0, 0, 1, 0, 0),
        # 250 / 3,902 = 64.07; 4 centres, 2 run: 0.5; 9 stations, 5 run: 0.5556
        "全区": (3902, 250, 130, 64.07, 33.32, 0, 0, 4, 0.5, 9, 0.5556, 0, 2, 6, 5, 3),
    }
    unmet = {r["name"]: r["unmet"] for r in [*result.townships, result.district]}
    assert unmet == {
        "甲": ["home_care_professional", "day_care_professional", "community_complex", "burial_site", "burial_coverage"],
        "乙": ["beds_per_1000", "nursing_beds_per_1000", "community_complex"],  # shares and coverage exactly met
        "丙": ["beds_per_1000", "nursing_beds_per_1000", "day_care_professional", "community_complex"],
        "丁": ["community_complex", "burial_site"],  # no village: no coverage to miss
        "戊": ["community_complex", "burial_site", "burial_coverage", "day_care_coverage"],  # its one village
        "全区": [
            "home_care_professional", "day_care_professional", "burial_coverage", "day_care_coverage",
            "community_complex", "burial_site",
        ],
    }  # fmt: skip


def test_a_facility_where_townships_overlap_counts_where_it_is_registered() -> None:
    """Two townships drawn overlapping (5–10 km): a home in the overlap registered in 乙 counts in 乙, one
    registered nowhere in particular counts in the first that holds it."""
    towns = gpd.GeoDataFrame(
        {"code": ["331004001", "331004002"], "name": ["甲", "乙"]},
        geometry=[ll_box(0, 0, 10000, 10000), ll_box(5000, 0, 15000, 10000)],
        crs=4490,
    )
    villages = gpd.GeoDataFrame(
        {"code": ["331004001001", "331004002001"], "name": ["一村", "二村"], "parent_code": ["331004001", "331004002"]},
        geometry=[ll_box(0, 0, 5000, 10000), ll_box(10000, 0, 15000, 10000)],
        crs=4490,
    )
    population = pd.DataFrame(
        {"code": villages.code, "year": 2020, "total": 100, "aged_60_plus": 10, "aged_80_plus": 1}
    )
    homes = gpd.GeoDataFrame(
        {
            "name": ["乙院", "无院"],
            "kind": "institution",
            "beds": [7, 3],
            "nursing_beds": 0,
            "professionally_run": True,
            "admin_code": ["331004002001", "331004"],
        },
        geometry=[ll_point(7000, 5000), ll_point(7500, 5000)],
        crs=4490,
    )
    empty = gpd.GeoDataFrame({"name": [], "kind": [], "status": [], "admin_code": []}, geometry=[], crs=4490)
    result = analyze(towns, villages, population, homes, empty, empty, targets=load_targets())
    assert [(r["name"], r["beds"]) for r in result.townships] == [("甲", 3), ("乙", 7)]


def test_missing_figures_count_as_none_and_a_site_drawn_as_a_polygon_by_a_point_inside(county) -> None:  # type: ignore[no-untyped-def]
    towns, villages, population, eldercare, complexes, burial = county
    eldercare = eldercare.copy()
    eldercare["beds"] = eldercare["beds"].astype(float)
    eldercare["nursing_beds"] = eldercare["nursing_beds"].astype(float)
    eldercare.loc[1, ["beds", "nursing_beds"]] = [float("nan"), float("nan")]  # 乙院 with its beds not filled in
    population = population.astype({"aged_80_plus": float})
    population.loc[3, "aged_80_plus"] = float("nan")  # 四村's over-80s not filled in
    # the cemetery drawn as its plot, a strip from 1 km to 4.6 km into 一村 (drawn from its west end), not a point:
    # it stands for a point inside it, 4.7 km from 二村's centre (its first corner is 6.5 km away)
    plot = Polygon([ll_point(x, y).coords[0] for x, y in ((1000, 4900), (4600, 4900), (4600, 5100), (1000, 5100))])
    burial = burial.set_geometry([plot, ll_box(17900, 4900, 18100, 5100)], crs=4490)  # every site a polygon
    result = analyze(towns, villages, population, eldercare, complexes, burial, targets=load_targets())
    a, b = result.townships
    assert (b["beds"], b["nursing_beds"], b["beds_shortfall"], b["nursing_beds_shortfall"]) == (0, 0, 60, 30)
    assert (a["beds"], b["aged_80_plus"]) == (150, 100)  # 三村's 100; 四村's missing figure is none, not one
    assert (a["villages_covered_by_burial"], a["burial_sites"]) == (2, 1)  # the plot counts where it lies
    access = result.villages.access_beds_per_1000.tolist()
    assert all(v is not None and v == round(v, 2) for v in access) and access != [round(v, 1) for v in access]


def test_an_uncovered_village_is_placed_for_the_web_maps_officers_use() -> None:
    from mzgis.coverage.analysis import _placed

    row = {"code": "331004001001", "name": "一村", "geometry": box(121.3, 28.5, 121.41234567, 28.6)}
    placed = _placed(row)
    assert placed["code"] == "331004001001" and "geometry" not in placed
    assert (placed["lon"], placed["lat"]) == (121.356173, 28.55)  # six decimals
    assert placed["gcj02"] == [121.360555, 28.546963]  # to six decimals (about 0.1 m), as 高德 and 腾讯 take it
    assert _placed({"code": "1", "geometry": None}) == {"code": "1"}  # a village without its polygon yet
    assert _placed({"code": "1", "geometry": Polygon()}) == {"code": "1"}
