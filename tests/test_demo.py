"""Invariants of the committed demo county (geodata/luqiao-demo.gpkg) and its rebuild."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from tests.needs import need

from .conftest import REPO, SHARED_SOURCES

GK = "EPSG:4549"


@pytest.fixture(scope="module")
def store() -> GeoPackageStore:
    return GeoPackageStore(default_demo_path())


@pytest.fixture(scope="module")
def units(store: GeoPackageStore) -> gpd.GeoDataFrame:
    return store.read_frame("admin_units")


def division_list() -> list[dict[str, str]]:
    with (REPO / "geodata" / "sources" / "luqiao-divisions-2023.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_counts_and_real_codes(units: gpd.GeoDataFrame) -> None:
    assert units["level"].value_counts().to_dict() == {"village": 228, "township": 12, "county": 4}
    published = {r["code"]: r for r in division_list() if r["level"] != "county"}
    mine = units[units.level != "county"]
    assert set(mine["code"]) == set(published)
    for _, row in mine.iterrows():
        assert row["official_name"] == published[row["code"]]["name"]
        assert row["parent_code"] == published[row["code"]]["parent_code"]
    assert set(units[units.level == "county"]["code"]) == {"331002", "331003", "331004", "331081"}


def test_place_names_drop_the_committee_suffix(units: gpd.GeoDataFrame) -> None:
    names = dict(zip(units["official_name"], units["name"], strict=True))
    assert names["方林村委会"] == "方林村"
    assert names["和兴社区居委会"] == "和兴社区"
    assert names["方林社区居委会"] == "方林社区"
    assert names["迎宾社区"] == "迎宾社区"
    assert not any(n.endswith(("委会", "居委会")) for n in units["name"])


def test_county_outline_is_the_converted_amap_outline(units: gpd.GeoDataFrame) -> None:
    from mzgis.crs import transform_geometry

    raw = json.loads((REPO / "geodata" / "sources" / "taizhou-districts-amap-gcj02.geojson").read_text("utf-8"))
    gcj = next(shapely.geometry.shape(f["geometry"]) for f in raw["features"] if f["properties"]["adcode"] == "331004")
    stored = units[units.code == "331004"].geometry.iloc[0]
    assert stored.equals_exact(transform_geometry(gcj, "gcj02"), tolerance=1e-12)
    # the GCJ-02 offset here is some 500 m: the stored outline is not the raw one
    shift = gpd.GeoSeries([gcj.centroid, stored.centroid], crs=4490).to_crs(GK)
    assert 300 < shift.iloc[0].distance(shift.iloc[1]) < 800
    area_km2 = gpd.GeoSeries([stored], crs=4490).to_crs(GK).area.iloc[0] / 1e6
    assert 355 < area_km2 < 367  # PROVENANCE: about 361 km²


def _m2(area_deg2: float) -> float:
    """Square degrees to square metres at Luqiao's latitude.

    Differences are measured in lon/lat, where the shared edges are straight: after projecting, a long
    straight outline edge and the same edge with an extra node on it no longer coincide (centimetres over
    kilometres), which would show phantom slivers.
    """
    return area_deg2 * 111_320.0 * math.cos(math.radians(28.55)) * 110_850.0


def test_townships_and_villages_tile_the_county_exactly(units: gpd.GeoDataFrame) -> None:
    county = units[units.code == "331004"].geometry.iloc[0]
    towns = units[units.level == "township"]
    villages = units[units.level == "village"]
    assert bool(shapely.coverage_is_valid(towns.geometry.values))
    assert bool(shapely.coverage_is_valid(villages.geometry.values))
    union = towns.geometry.union_all()
    assert _m2(union.symmetric_difference(county).area) < 1.0  # m², over a 361 km² district
    assert union.boundary.hausdorff_distance(county.boundary) < 1e-8  # about 1 mm
    for _, town in towns.iterrows():
        mine = villages[villages.parent_code == town.code]
        assert len(mine) >= 1
        assert _m2(mine.geometry.union_all().symmetric_difference(town.geometry).area) < 0.01
    assert villages.is_valid.all() and towns.is_valid.all()


def test_population_is_plausible(store: GeoPackageStore) -> None:
    pop = store.read_frame("population")
    assert len(pop) == 228 and set(pop["year"]) == {2020}
    share = pop["aged_60_plus"].sum() / pop["total"].sum()
    assert 0.18 < share < 0.25  # about a fifth
    assert (pop["aged_80_plus"] <= pop["aged_60_plus"]).all()


def test_eldercare_matches_the_2020_report(store: GeoPackageStore) -> None:
    fac = store.read_frame("eldercare_facilities")
    inst = fac[fac.kind == "institution"]
    assert len(inst) == 16
    assert inst["beds"].sum() == 3828
    assert inst["nursing_beds"].sum() == 2048  # over half
    assert {"路桥敬老院", "蓬街敬老院", "桐屿山爷姆敬老院", "区福利中心", "路桥朗高护理院"} <= set(inst["name"])
    day = fac[fac.kind == "day_care_station"]
    assert len(day) == 228 and day["admin_code"].nunique() == 228
    centres = fac[fac.kind == "home_care_centre"]
    assert int(centres["demonstration"].sum()) == 4
    # targets must show gaps: professionally run shares below 100 % and 80 %
    assert centres["professionally_run"].mean() < 1.0
    assert day["professionally_run"].mean() < 0.8


def test_district_beds_per_thousand_elderly_below_the_target(store: GeoPackageStore) -> None:
    beds = store.read_frame("eldercare_facilities").query("kind == 'institution'")["beds"].sum()
    elderly = store.read_frame("population")["aged_60_plus"].sum()
    assert beds / elderly * 1000 < 60


def test_every_facility_lies_in_the_village_it_names(store: GeoPackageStore, units: gpd.GeoDataFrame) -> None:
    villages = units[units.level == "village"].set_index("code")
    for layer in ("eldercare_facilities", "community_complexes", "burial_sites"):
        frame = store.read_frame(layer)
        for _, row in frame.iterrows():
            assert villages.loc[row["admin_code"]].geometry.contains(row.geometry), (layer, row["name"])


def test_complexes_and_burial_sites_from_the_seed(store: GeoPackageStore, units: gpd.GeoDataFrame) -> None:
    by_code = units.set_index("code")
    cx = store.read_frame("community_complexes")
    got = {
        (by_code.loc[r.admin_code, "name"], by_code.loc[by_code.loc[r.admin_code, "parent_code"], "name"], r.kind)
        for r in cx.itertuples()
    }
    assert got == {("和兴社区", "路北街道", "urban"), ("小伍份村", "蓬街镇", "rural")}
    burial = store.read_frame("burial_sites")
    sites = {
        (
            r.kind,
            r.status,
            by_code.loc[r.admin_code, "name"],
            by_code.loc[by_code.loc[r.admin_code, "parent_code"], "name"],
        )
        for r in burial.itertuples()
    }
    assert sites == {
        ("columbarium", "open", "莲花社区", "螺洋街道"),
        ("cemetery", "under_construction", "白枫岙村", "峰江街道"),
    }


def test_boundary_lines_follow_the_shared_outlines(store: GeoPackageStore) -> None:
    lines = store.read_frame("boundary_lines").to_crs(GK)
    assert sorted(zip(lines["name"], lines["side"], strict=True)) == [
        (n, s) for n in ("路椒线", "路温线", "路黄线") for s in ("neighbour", "ours")
    ]
    ours = lines[lines.side == "ours"].set_index("name")
    # PROVENANCE (measured without correction): 33.5, 21.9, 49.2 km
    assert ours.loc["路椒线"].geometry.length == pytest.approx(33_460, rel=0.01)
    assert ours.loc["路黄线"].geometry.length == pytest.approx(21_909, rel=0.01)
    assert ours.loc["路温线"].geometry.length == pytest.approx(49_217, rel=0.01)
    theirs = lines[lines.side == "neighbour"].set_index("name")
    for name in ours.index:
        a, b = ours.loc[name].geometry, theirs.loc[name].geometry
        dev = np.array([a.distance(shapely.Point(c)) for c in b.coords])
        assert np.median(dev) < 1.0  # small survey differences
        assert 20 < dev.max() < 50  # and one clear discrepancy
        assert (dev > 10).sum() < len(dev) * 0.2


def test_markers(store: GeoPackageStore) -> None:
    markers = store.read_frame("boundary_markers")
    lines = store.read_frame("boundary_lines").query("side == 'ours'").set_index("name").to_crs(GK)
    gk_markers = markers.to_crs(GK)
    assert markers["marker_id"].is_unique
    tripoints = markers[markers.kind == "tripoint"]
    assert len(tripoints) >= 1
    for name, line in lines.iterrows():
        mine = gk_markers[gk_markers.line_name == name]
        assert mine.distance(line.geometry).max() < 0.01
        chain = np.sort([line.geometry.project(p) for p in mine.geometry])
        gaps = np.diff(chain)
        assert gaps.max() < 2000.01 + 1e-6 or gaps[-1] == gaps.max()  # 1–2 km, the last stretch may be shorter
        assert np.all(gaps[:-1] >= 999.99)
        numbered = sorted(mine[mine.kind != "tripoint"]["marker_id"])
        assert numbered[0].endswith("01")
    assert set(markers["condition"]) == {"intact", "damaged", "missing"}
    assert (markers["last_inspected"] < "2021-11-29").sum() >= 1  # some overdue (five-year cycle)


def test_place_names_cover_the_admin_units_with_romanization(store: GeoPackageStore, units: gpd.GeoDataFrame) -> None:
    names = store.read_frame("place_names")
    admin = names[names["category"].isin(["administrative_area", "self_governing_org", "non_administrative_area"])]
    assert len(admin) == 241  # 路桥区, 12 township-level units, 228 village-level units
    assert set(admin["admin_code"]) == set(units[units.level != "county"]["code"]) | {"331004"}
    row = names[names.name == "路南街道"].iloc[0]
    assert (row.specific, row.generic, row.romanized) == ("路南", "街道", "Lunan Jiedao")
    assert names[names.name == "方林村"].iloc[0].romanized == "Fanglin Cun"
    assert names["romanized"].notna().all()
    examples = names[names["is_example"] == True]  # noqa: E712
    assert {"威尼斯花园", "中央帝景苑", "路桥3号路"} <= set(examples["name"])


def _digest(path: Path) -> str:
    """A digest of every layer's content (attributes, geometry, versions), independent of file layout."""
    store = GeoPackageStore(path)
    h = hashlib.sha256()
    for info in store.layer_infos():
        for f in store.iter_features(info.name):
            h.update(
                json.dumps(
                    [info.name, f.id, f.version, f.properties, f.updated_at, f.updated_by],
                    ensure_ascii=False,
                    sort_keys=True,
                    default=str,
                ).encode()
            )
            h.update(b"" if f.geometry is None else shapely.to_wkb(f.geometry))
    return h.hexdigest()


def test_rebuild_is_deterministic_and_matches_the_committed_file(tmp_path: Path) -> None:
    out = tmp_path / "rebuilt.gpkg"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_demo.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        env=os.environ | {"PYTHONHASHSEED": "0"},
    )
    assert _digest(out) == _digest(default_demo_path())


def test_committed_sources_are_the_shared_ones() -> None:
    need(SHARED_SOURCES.exists(), "../shared/sources beside the checkout")
    for name in ("luqiao-divisions-2023.csv", "taizhou-counties-2023.csv", "taizhou-districts-amap-gcj02.geojson"):
        assert (REPO / "geodata" / "sources" / name).read_bytes() == (SHARED_SOURCES / name).read_bytes()
