"""Boundary findings, the inspection package, coverage, suggestions and what-ifs over HTTP (planners+)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mzgis.api import create_app
from mzgis.settings import Settings
from mzgis.store import open_store
from tests.conftest import bearer, shape


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(db=demo_db, _env_file=None)
    with TestClient(create_app(settings), headers=bearer(db_tokens["规划科"])) as c:
        yield c


def test_viewers_do_not_run_analyses(client: TestClient, db_tokens: dict[str, str]) -> None:
    for url in ("/api/coverage", "/api/boundary/findings", "/api/coverage/suggest"):
        resp = client.get(url, headers=bearer(db_tokens["查看员"]))
        assert resp.status_code == 403 and "规划或以上" in resp.json()["message"], url


def test_boundary_findings_on_the_demo(client: TestClient) -> None:
    out = client.get("/api/boundary/findings").json()
    assert out["coverage"]["gaps"] == 0 and out["coverage"]["overlaps"] == 0
    assert sorted(out["lines"]) == ["路椒线", "路温线", "路黄线"]
    kinds = sorted((f["source"], f["kind"], f["line"]) for f in out["findings"])
    assert kinds == [
        ("line", "deviation", "路椒线"),
        ("line", "deviation", "路温线"),
        ("line", "deviation", "路黄线"),
        ("markers", "condition", "路温线"),
        ("markers", "condition", "路温线"),
        ("markers", "condition", "路黄线"),
        ("markers", "overdue", "路椒线"),
        ("markers", "overdue", "路椒线"),
        ("markers", "overdue", "路黄线"),
    ]
    deviation = next(f for f in out["findings"] if f["line"] == "路黄线" and f["kind"] == "deviation")
    assert deviation["message"] == "路黄线 里程 10035–10490 米两方界线相差最多 26.1 米(允许 5 米)"
    assert deviation["geometry"]["type"] == "Polygon"  # the area between the versions there
    damaged = next(f for f in out["findings"] if f["line"] == "路黄线" and f["kind"] == "condition")
    assert damaged["message"] == "界桩 路黄13 损坏" and damaged["geometry"]["type"] == "Point"
    bad = client.get("/api/boundary/findings", params={"level": "county"})
    assert bad.status_code == 422


def test_boundary_lines_and_findings_of_one_county(client: TestClient) -> None:
    assert client.get("/api/boundary/lines", params={"unit": "331002"}).json() == ["路椒线"]
    assert client.get("/api/boundary/lines", params={"unit": "3310"}).json() == ["路椒线", "路温线", "路黄线"]
    assert client.get("/api/boundary/lines", params={"unit": "330106"}).json() == []
    jinqing = client.get("/api/boundary/findings", params={"unit": "331004106"}).json()
    assert jinqing["coverage"]["polygons"] == 45 and sorted(jinqing["lines"]) == []  # a township: no county line
    wenling = client.get("/api/boundary/findings", params={"unit": "331081"})
    assert wenling.status_code == 404 and "区划 331081 下没有村(社区)级的行政区划" in wenling.text
    assert client.get("/api/boundary/findings", params={"unit": "路桥"}).status_code == 422


def test_inspection_package_download(client: TestClient) -> None:
    resp = client.get("/api/boundary/lines/路黄线/package", params={"encoding": "utf-8"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(resp.content)).namelist()
    assert any(n.endswith(".gpkg") for n in names) and any(n.endswith("manifest.json") for n in names)
    missing = client.get("/api/boundary/lines/没有这条线/package")
    assert missing.status_code == 404 and "没有界线" in missing.json()["message"]


def test_coverage_what_if_and_suggest(client: TestClient) -> None:
    out = client.get("/api/coverage").json()
    assert out["district"]["beds_per_1000"] == 34.64  # the seed: 34.6
    jinqing = next(r for r in out["townships"] if r["name"] == "金清镇")
    assert "burial_site" in jinqing["unmet"] and jinqing["burial_sites"] == 0
    uncovered = {v["code"] for v in out["uncovered_villages"] if v["facility_type"] == "burial_site"}
    first = out["uncovered_villages"][0]  # where it is, also as AMap and Baidu take it
    assert {"lon", "lat", "gcj02", "bd09"} <= set(first) and first["gcj02"] != [first["lon"], first["lat"]]
    assert uncovered and all(v["burial_covered"] is False for v in out["villages"] if v["code"] in uncovered)

    centre = [121.49, 28.525]  # 金清镇
    body = {"facilities": [{"kind": "columbarium", "name": "金清生态安葬点", "lon": centre[0], "lat": centre[1]}]}
    what = client.post("/api/coverage/what-if", json=body).json()
    before = next(r for r in what["current"]["townships"] if r["name"] == "金清镇")
    after = next(r for r in what["with_proposed"]["townships"] if r["name"] == "金清镇")
    assert (before["burial_sites"], after["burial_sites"]) == (0, 1)
    assert "burial_site" not in after["unmet"]
    assert after["villages_covered_by_burial"] > before["villages_covered_by_burial"]
    gone = {v["code"] for v in what["current"]["uncovered_villages"] if v["facility_type"] == "burial_site"} - {
        v["code"] for v in what["with_proposed"]["uncovered_villages"] if v["facility_type"] == "burial_site"
    }
    district = (what["current"]["district"], what["with_proposed"]["district"])
    assert len(gone) == district[1]["villages_covered_by_burial"] - district[0]["villages_covered_by_burial"]
    wrong = client.post("/api/coverage/what-if", json={"facilities": [{"kind": "castle", "lon": 121.49, "lat": 28.5}]})
    assert wrong.status_code == 422 and "facilities.0.kind:应为以下之一:" in wrong.json()["message"]
    far = client.post("/api/coverage/what-if", json={"facilities": [{"kind": "urban", "lon": 28.5, "lat": 121.49}]})
    assert far.status_code == 422 and "拟建设施的坐标(28.5, 121.49)像是把纬度和经度写反了" in far.json()["message"]
    huangyan = {"kind": "institution", "name": "黄岩某院", "beds": 300, "lon": 121.25, "lat": 28.62}  # 黄岩区
    outside = client.post("/api/coverage/what-if", json={"facilities": [body["facilities"][0], huangyan]})
    assert (outside.status_code, outside.json()["message"]) == (
        422,
        "拟建设施“黄岩某院”(121.25000, 28.62000)不在本区县任何乡镇(街道)范围内,未计入分析;请放在区县范围内",
    )

    sug = client.get("/api/coverage/suggest", params={"type": "burial_site", "count": 2}).json()
    assert len(sug["greedy"]) == 2 and sug["greedy_gain"] == sum(p["gain_elderly"] for p in sug["greedy"])
    assert sug["greedy"][0]["gain_elderly"] >= sug["greedy"][1]["gain_elderly"]


@pytest.mark.parametrize("facility_type", ["burial_site", "community_complex", "day_care", "eldercare"])
def test_suggestions_take_proposed_sites_as_built(client: TestClient, facility_type: str) -> None:
    first = client.get("/api/coverage/suggest", params={"type": facility_type, "count": 1}).json()
    if not first["greedy"]:
        assert first["uncovered_elderly_before"] == 0  # nothing left to cover
        return
    top = first["greedy"][0]
    assert set(top["gcj02"]) and set(top["bd09"]) and top["gcj02"] != [top["lon"], top["lat"]]  # for AMap, Baidu
    # the kind the page adds a pick as (the server says) counts as a site of that type
    site = {"kind": first["proposed_kind"], "name": "拟建", "lon": top["lon"], "lat": top["lat"], "beds": 100}
    body = {"type": facility_type, "count": 1, "facilities": [site]}
    again = client.post("/api/coverage/suggest", json=body).json()
    assert again["uncovered_elderly_before"] == first["uncovered_elderly_before"] - top["gain_elderly"]
    assert not again["greedy"] or again["greedy"][0]["name"] != top["name"]
    # a proposed site of another type changes nothing here
    other_kind = "urban" if first["proposed_kind"] != "urban" else "columbarium"
    other = client.post("/api/coverage/suggest", json=body | {"facilities": [site | {"kind": other_kind}]}).json()
    assert other["uncovered_elderly_before"] == first["uncovered_elderly_before"]


def test_a_broken_village_shows_as_coverage_findings_with_geometry(client: TestClient, demo_db: Path | str) -> None:

    store = open_store(demo_db)
    village = store.features("admin_units", where={"level": "village"}, limit=1)[0]
    shrunk = shape(village.geometry).buffer(-0.0005)  # about 50 m in from its edges: gaps with every neighbour
    store.update(
        "admin_units", village.id, expected_version=village.version, geometry=shrunk, user="测试", reason="制造缝隙"
    )
    out = client.get("/api/boundary/findings").json()
    coverage = [f for f in out["findings"] if f["source"] == "coverage"]
    assert out["coverage"]["gaps"] >= 1 and coverage
    gap = next(f for f in coverage if f["kind"] == "gap")
    assert gap["geometry"]["type"] in ("Polygon", "MultiPolygon") and "缝隙" in gap["message"]


def test_coverage_report_download(client: TestClient, tmp_path: Path) -> None:
    resp = client.get("/api/coverage/report")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.content)).namelist()
    for expected in ("覆盖分析/覆盖分析.csv", "覆盖分析/覆盖分析.xlsx", "覆盖分析/覆盖分析.gpkg"):
        assert expected in names
    assert any(n.endswith(".html") for n in names)
    one = client.get("/api/coverage/report", params={"unit": "331004106"})  # one township's report
    with zipfile.ZipFile(io.BytesIO(one.content)) as zf:
        rows = zf.read("覆盖分析/覆盖分析.csv").decode("utf-8-sig").splitlines()
    assert any("金清镇" in r for r in rows) and not any("路南街道" in r for r in rows)


def test_a_line_named_dotdot_gets_its_package_not_a_500(client: TestClient, demo_db: Path | str) -> None:
    from tests.io.test_inspection import _rename_line

    _rename_line(demo_db, "路黄线", "..")  # stored by another tool: mzgis's import refuses the name
    resp = client.get("/api/boundary/lines/%2E%2E/package")
    assert resp.status_code == 200, resp.text
    with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
        names = zf.namelist()
    assert "界线/manifest.json" in names and all(n.startswith("界线/") and ".." not in n.split("/") for n in names)


def test_print_map_for_viewers_as_pdf_and_png(client: TestClient, db_tokens: dict[str, str]) -> None:
    viewer = bearer(db_tokens["查看员"])
    resp = client.get("/api/print", params={"township": "路南街道", "format": "png"}, headers=viewer)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "image/png" and resp.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "filename*=UTF-8''%E8%B7%AF%E5%8D%97" in resp.headers["content-disposition"]  # 路南街道民政设施分布图_…
    resp = client.get(
        "/api/print",
        params={
            "bbox": "121.30,28.50,121.45,28.60",
            "layers": "admin_units,place_names",
            "paper": "A3",
            "title": "某视图",
        },
        headers=viewer,
    )
    assert resp.status_code == 200 and resp.content[:5] == b"%PDF-"
    flipped = client.get("/api/print", params={"bbox": "121.45,28.60,121.30,28.50", "format": "png"}, headers=viewer)
    assert flipped.status_code == 200  # two corners in the other order: the same box
    bad = client.get("/api/print", params={"bbox": "121.45,28.50,121.30"}, headers=viewer)
    assert bad.status_code == 400 and "格式不对:应为 最小经度,最小纬度,最大经度,最大纬度" in bad.json()["message"]
    flat = client.get("/api/print", params={"bbox": "121.45,28.50,121.45,28.60"}, headers=viewer)
    assert (flat.status_code, flat.json()["error"]) == (422, "rule_violation") and "出图范围无效" in flat.json()[
        "message"
    ]
    bad = client.get("/api/print", params={"layers": "users"}, headers=viewer)
    assert bad.status_code == 400 and "不能出图的图层:users" in bad.json()["message"]


def test_coverage_of_one_unit(client: TestClient, demo_db: Path | str) -> None:
    one = client.get("/api/coverage", params={"unit": "331004106"})
    assert one.status_code == 200 and [r["name"] for r in one.json()["townships"]] == ["金清镇"]
    assert client.get("/api/coverage", params={"unit": "33100A"}).status_code == 422
    missing = client.get("/api/coverage", params={"unit": "331081"})  # 温岭市: an outline, no townships
    assert missing.status_code == 404 and "区划 331081 下没有乡镇级区划" in missing.json()["message"]
    from typer.testing import CliRunner

    from mzgis.cli import app

    out = CliRunner().invoke(app, ["coverage", "--unit", "331004106", "--json", "--db", str(demo_db)])
    assert out.exit_code == 0, out.output
    assert [r["name"] for r in json.loads(out.output)["townships"]] == ["金清镇"]


def test_suggestions_and_what_if_for_one_unit(client: TestClient) -> None:
    picks = client.get("/api/coverage/suggest", params={"type": "burial_site", "count": 2, "unit": "331004106"})
    assert picks.status_code == 200, picks.text
    assert {p["township"] for p in picks.json()["greedy"]} == {"金清镇"}  # only 金清镇's villages to cover
    body = {"facilities": [{"kind": "institution", "lon": 121.49, "lat": 28.525, "beds": 100}], "unit": "331004106"}
    out = client.post("/api/coverage/what-if", json=body).json()
    assert [r["name"] for r in out["with_proposed"]["townships"]] == ["金清镇"]
    before, after = out["current"]["townships"][0], out["with_proposed"]["townships"][0]
    assert after["beds"] == before["beds"] + 100


def test_city_wide_runs_name_the_county_left_out_and_analyse_the_other(client: TestClient, demo_db: Path | str) -> None:
    """A city's store where 椒江区 is registered by code only (init --county, no polygons yet): coverage and
    the township check run on 路桥区 and name 椒江区; asked for 椒江区 itself, they refuse by name."""
    from typer.testing import CliRunner

    from mzgis.cli import app
    from tests.conftest import register_jiaojiang

    store = open_store(demo_db)
    register_jiaojiang(store)
    store.close()
    whole = client.get("/api/coverage").json()
    assert whole["left_out"] == [
        {
            "code": "331002",
            "name": "椒江区",
            "missing": 12,  # its townships: the villages' polygons are not needed to run
            "message": "椒江区(331002)有 12 个区划单位还没有区划面,未参加覆盖分析",
        }
    ]
    assert len(whole["townships"]) == 12 and whole["district"]["beds"] == 3828  # 路桥区 as before
    check = client.get("/api/boundary/findings", params={"level": "township"}).json()["coverage"]
    assert (check["polygons"], [c["missing"] for c in check["left_out"]]) == (12, [12])
    alone = client.get("/api/coverage", params={"unit": "331002"})
    assert alone.status_code == 400 and "12 个区划单位还没有区划面" in alone.json()["message"]
    out = CliRunner().invoke(app, ["coverage", "--db", str(demo_db)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[-1] == "  [未参加分析] 椒江区(331002)有 12 个区划单位还没有区划面,未参加覆盖分析"
    out = CliRunner().invoke(app, ["check", "coverage", "--level", "township", "--db", str(demo_db)])
    assert (
        out.exit_code == 0 and "  [未检查] 椒江区(331002)有 12 个区划单位还没有区划面,未参加区划拓扑检查" in out.output
    )
