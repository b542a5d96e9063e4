"""The page on a city's store where one county is registered by code only (made with init --county, no
polygons yet): city-wide analyses name the county they left out; every unit chosen gets its own request and
its own answer, whatever the one before it was."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from mzgis.settings import default_demo_path
from mzgis.store import GeoPackageStore
from tests.conftest import register_jiaojiang
from tests.web.test_page import _page, _shot, browser  # noqa: F401  (the browser fixture)


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """In place of the demo: the demo with 椒江区's townships and villages registered, without polygons."""
    path = tmp_path / "city.gpkg"
    with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    register_jiaojiang(GeoPackageStore(path))
    return path


def test_the_coverage_tab_follows_every_unit_chosen(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _page(browser, live_server, "规划科")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.split("/api/")[1]) if "/api/coverage" in r.url else None)
    page.click("#tab-coverage-btn")  # 全部区县: 路桥区 analysed, 椒江区 named as left out
    page.wait_for_selector("#status >> text=覆盖分析完成")
    assert asked == ["coverage"]
    assert (
        "未参加分析:椒江区(331002)有 12 个区划单位还没有区划面,未参加覆盖分析" in page.locator("#c-rule").inner_text()
    )
    assert page.locator("#c-table tbody tr").count() == 13  # 路桥区's 12 townships and the district
    page.select_option("#township", label="海门街道")  # 椒江区: refused by name, nothing of 路桥区 left standing
    page.wait_for_selector("#status >> text=分析失败")
    assert asked[-1] == "coverage?unit=331002"
    assert "12 个区划单位还没有区划面" in page.locator("#c-rule").inner_text()
    assert page.locator("#c-table tbody tr").count() == 0
    page.select_option("#township", label="路桥区(全区)")  # a request again, and 路桥区's table
    page.wait_for_selector("#status >> text=覆盖分析完成")
    assert asked == ["coverage", "coverage?unit=331002", "coverage?unit=331004"]
    table = page.locator("#c-table").inner_text()
    assert "金清镇" in table and "未参加分析" not in page.locator("#c-rule").inner_text()
    assert page.errors == []
    _shot(page, "page-city-coverage")


def test_the_boundary_tab_names_the_county_left_out(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page = _page(browser, live_server, "规划科")
    page.click("#tab-boundary-btn")
    page.select_option("#b-level", "township")
    page.click("#b-run")
    page.wait_for_selector("#status >> text=界线检查完成")
    summary = page.locator("#b-summary").inner_text()
    assert "区划 12 个面" in summary
    assert "未检查:椒江区(331002)有 12 个区划单位还没有区划面,未参加区划拓扑检查" in summary
    assert page.errors == []
