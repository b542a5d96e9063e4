"""The page on a store of several counties (a city's database): the unit selector lists each county that
has townships, then its townships; choosing a county fits the map to it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import expect
from shapely.geometry import box

from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from tests.web.test_page import _page, _shot, browser  # noqa: F401  (the browser fixture)


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """In place of the demo (the live server and its accounts use it): the demo with a township of 椒江区."""
    path = tmp_path / "two-counties.gpkg"
    with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    store = GeoPackageStore(path)
    jiaojiang = store.features("admin_units", where={"code": "331002"})[0]
    assert jiaojiang.geometry is not None
    p = jiaojiang.geometry.representative_point()
    town = {"code": "331002001", "name": "海门街道", "level": "township", "parent_code": "331002"}
    store.insert("admin_units", town, box(p.x - 0.01, p.y - 0.01, p.x + 0.01, p.y + 0.01), user="test")
    return path


def test_the_unit_selector_lists_counties_then_their_townships(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _page(browser, live_server, "查看员")
    groups = page.locator("#township optgroup")
    assert [groups.nth(i).get_attribute("label") for i in range(groups.count())] == ["椒江区", "路桥区"]
    assert page.locator("#township > option").all_inner_texts() == ["全部区县"]
    assert groups.nth(0).locator("option").all_inner_texts() == ["椒江区(全区)", "海门街道"]
    luqiao = groups.nth(1).locator("option").all_inner_texts()
    assert luqiao[0] == "路桥区(全区)" and len(luqiao) == 13 and "金清镇" in luqiao
    page.select_option("#township", label="椒江区(全区)")
    page.fill("#search", "lnjd")  # 路南街道 is in 路桥区: the county filter leaves it out
    page.click("#search-form button")
    page.wait_for_selector("#results li")
    assert page.locator("#results li").first.inner_text() == "没有找到"
    page.select_option("#township", label="路桥区(全区)")
    page.click("#search-form button")
    page.wait_for_selector("#results li >> text=路南街道")
    assert page.errors == []
    _shot(page, "page-two-counties")


def test_the_coverage_tab_analyses_the_chosen_county(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _page(browser, live_server, "规划科")
    page.select_option("#township", label="路桥区(全区)")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/coverage" in r.url else None)
    page.click("#tab-coverage-btn")
    page.wait_for_selector("#status >> text=覆盖分析完成")
    assert any(u.endswith("/api/coverage?unit=331004") for u in asked), asked
    table = page.locator("#tab-coverage").inner_text()
    assert "金清镇" in table and "海门街道" not in table  # 路桥区's townships only
    page.select_option("#township", label="椒江区(全区)")  # a township with its polygon, no villages, no figures
    page.wait_for_selector("#c-rule >> text=未计算")
    page.wait_for_selector("#status >> text=覆盖分析完成")
    rule = page.locator("#c-rule").inner_text()
    assert "未计算:照料中心村(社区)覆盖率需要村级区划面(本数据没有村级区划),本次未计算" in rule
    rows = page.locator("#c-table tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["海门街道", "全区"]  # 路桥区's rows are not left standing
    page.select_option("#c-target", "day_care_coverage")
    assert page.locator("#c-table tbody tr").first.inner_text().split("\t")[1:] == [
        "未计算",
        "100%",
        "需要村级区划面",
    ]  # the plan: every village
    assert page.errors == []
    _shot(page, "page-two-counties-coverage")


def test_the_boundary_tab_lists_the_chosen_countys_lines(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _page(browser, live_server, "规划科")
    page.click("#tab-boundary-btn")
    expect(page.locator("#b-line option")).to_have_count(3)
    assert page.locator("#b-line option").all_inner_texts() == ["路椒线", "路温线", "路黄线"]
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/boundary" in r.url else None)
    page.select_option("#township", label="椒江区(全区)")
    expect(page.locator("#b-line option")).to_have_count(1)
    assert page.locator("#b-line option").all_inner_texts() == ["路椒线"]  # 椒江区's one line with 路桥区
    page.select_option("#township", label="路桥区(全区)")
    expect(page.locator("#b-line option")).to_have_count(3)
    page.click("#b-run")
    page.wait_for_selector("#status >> text=界线检查完成")
    assert any("/api/boundary/findings?" in u and u.endswith("unit=331004") for u in asked), asked
    assert "路椒线" in page.locator("#b-summary").inner_text() and page.errors == []
