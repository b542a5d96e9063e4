"""The page on a county file that holds no division polygons yet (a bureau that has just started): it loads,
draws what there is and says what is missing, instead of a blank map."""

from __future__ import annotations

from pathlib import Path

import pytest

from mzgis.store import GeoPackageStore
from tests.web.test_page import _page, _shot, browser  # noqa: F401  (the browser fixture)


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """An empty data file in place of the demo: the live server and its accounts use it."""
    path = tmp_path / "new-county.gpkg"
    GeoPackageStore.create(path)
    return path


def test_a_county_without_polygons_gets_a_working_page_that_says_what_is_missing(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    missing: list[str] = []

    def note_missing(response):  # type: ignore[no-untyped-def]
        if response.status == 404:
            missing.append(response.url)

    page = _page(browser, live_server, "查看员", on_response=note_missing)
    assert page.locator("#status").inner_text() == (
        "已加载;数据中还没有区县、乡镇(街道)、村(社区)区划面(可用 mzgis import admin_units 导入),覆盖分析需要乡镇和村两级"
    )
    assert page.errors == [] and missing == []  # nothing the page asks for is missing (the favicon either)
    assert page.locator(".leaflet-control-layers").count() == 1  # the map and its controls are there
    _shot(page, "page-empty-county")
