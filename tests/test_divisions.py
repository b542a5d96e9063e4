"""The bundled national division list and ``mzgis init --county``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.divisions import county_units, division_names, find_county, place_name
from mzgis.errors import BadInput, NotFound
from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from tests.needs import need

runner = CliRunner()
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources" / "luqiao-divisions-2023.csv"


def test_place_names_drop_the_committee_suffix() -> None:
    assert place_name("方林村委会") == "方林村"
    assert place_name("藕池居委会") == "藕池社区"
    assert place_name("多福巷社区居委会") == "多福巷社区"
    assert place_name("新桥村民委员会") == "新桥村"
    assert place_name("三里屯社区居民委员会") == "三里屯社区"
    assert place_name("滨海新区") == "滨海新区"  # not a committee
    assert place_name("村委会") == "村委会"  # nothing left to name


def test_the_national_list_covers_the_country() -> None:
    names = division_names()
    by_length = {n: sum(1 for c in names if len(c) == n) for n in (2, 4, 6, 9, 12)}
    assert by_length == {2: 31, 4: 342, 6: 2978, 9: 41352, 12: 620573}
    assert names["331004"] == "路桥区" and names["110101"] == "东城区"


def test_luqiao_from_the_bundled_list_matches_the_extract_in_sources() -> None:
    need(SOURCES.exists(), "../shared/sources beside the checkout")
    with SOURCES.open(encoding="utf-8") as fh:
        extract = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    units = county_units("331004")
    assert {u.code: u.official_name for u in units} == extract
    assert (len(units), sum(u.level == "township" for u in units)) == (241, 12)
    fanglin = next(u for u in units if u.official_name == "方林村委会")
    assert (fanglin.name, fanglin.level, fanglin.parent_code) == ("方林村", "village", fanglin.code[:9])


def test_a_countys_parent_is_its_prefecture() -> None:
    county = county_units("331002")[0]
    assert (county.code, county.name, county.level, county.parent_code) == ("331002", "椒江区", "county", "331000")
    assert county_units("110101")[0].parent_code == "110100"  # 东城区 of 北京市's 市辖区


@pytest.mark.parametrize(
    "written",
    [
        "椒江",
        "椒江区",
        "台州市椒江区",
        "浙江省台州市椒江区",
        "浙江省椒江区",
        " 台州市 椒江区 ",
        "浙江省台州市椒江区(331002)",
    ],
)
def test_a_county_as_people_write_it(written: str) -> None:
    assert find_county(written) == "331002"


def test_the_ambiguity_message_is_accepted_back_and_a_slip_gets_suggestions() -> None:
    with pytest.raises(BadInput) as ambiguous:
        find_county("鼓楼区")
    first = ambiguous.value.message_zh.split("请用代码:")[1].split("、")[0]
    assert first == "江苏省南京市鼓楼区(320106)" and find_county(first) == "320106"
    assert find_county("南京市鼓楼区") == "320106"
    with pytest.raises(NotFound, match=r"没有名为“路侨区”的区县.*相近的有:.*浙江省台州市路桥区\(331004\)"):
        find_county("路侨区")
    assert find_county("单县") == "371722"  # a one-character specific keeps its generic: 单 alone is no county


def test_county_by_code_or_unambiguous_name() -> None:
    assert find_county("路桥区") == find_county("331004") == "331004"
    with pytest.raises(BadInput, match=r"名为“鼓楼区”的区县有 4 个,请用代码:江苏省南京市鼓楼区\(320106\)"):
        find_county("鼓楼区")
    with pytest.raises(NotFound, match="全国区划代码中没有区县级代码“331099”"):
        find_county("331099")
    with pytest.raises(NotFound, match="没有名为“路桥县”的区县"):
        find_county("路桥县")


def test_init_county_registers_codes_then_polygons_attach_by_code(tmp_path: Path) -> None:
    path = tmp_path / "luqiao.gpkg"
    done = runner.invoke(app, ["init", str(path), "--county", "路桥区"])
    assert done.exit_code == 0, done.output
    assert "路桥区(331004),12 个乡镇(街道)、228 个村(社区)" in done.output
    store = GeoPackageStore(path)
    units = store.read_frame("admin_units")
    assert len(units) == 241 and units.geometry.isna().all()
    assert set(units.level) == {"county", "township", "village"}
    row = units[units.code == "331004001"].iloc[0]
    assert (row["name"], row["parent_code"]) == ("路南街道", "331004")
    # analyses refuse a register without polygons by name instead of leaving units out
    refused = runner.invoke(app, ["coverage", "--db", str(path)])
    assert refused.exit_code == 2 and "12 个区划单位还没有区划面(如 路南街道" in refused.output
    # the polygons come later, matched by code: each unit gets its polygon as a new version
    demo = GeoPackageStore(default_demo_path()).read_frame("admin_units")
    polygons = demo[demo.code.str.startswith("331004")][["code", "geometry"]]
    source = tmp_path / "polygons.geojson"
    source.write_text(polygons.to_json(), encoding="utf-8")
    attached = runner.invoke(app, ["import", "admin_units", str(source), "--update", "--db", str(path)])
    assert attached.exit_code == 0, attached.output
    after = store.read_frame("admin_units")
    assert after.geometry.notna().all() and set(after.version) == {2}
    assert list(after.sort_values("code").name) == list(units.sort_values("code").name)  # names kept
    check = runner.invoke(app, ["check", "coverage", "--db", str(path), "--level", "village", "--json"])
    assert check.exit_code == 0, check.output
    report = json.loads(check.output)
    assert report["summary"]["polygons"] == 228 and report["findings"] == []  # checked like the demo county


def test_init_county_refusals_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    ambiguous = runner.invoke(app, ["init", str(path), "--county", "鼓楼区"])
    assert ambiguous.exit_code == 2 and "请用代码" in ambiguous.output and not path.exists()
    both = runner.invoke(app, ["init", str(path), "--county", "331004", "--demo"])
    assert both.exit_code == 2 and "--demo 和 --county 只能选一个" in both.output and not path.exists()
