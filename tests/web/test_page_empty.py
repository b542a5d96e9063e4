"""The page on a county file that holds no division polygons yet (a bureau that has just started): it loads,
draws what there is and says what is missing, instead of a blank map."""

from __future__ import annotations

from pathlib import Path

import pytest

from mzgis.store import GeoPackageStore
from tests.web.test_page import _page, _shot, browser  # noqa: F401  (the browser fixture)


@pytest.fixture(params=["empty", "registered"])
def demo_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """In place of the demo (the live server and its accounts use it): an empty data file, or one made by
    ``mzgis init --county`` (the official codes and names, no polygons yet)."""
    path = tmp_path / "new-county.gpkg"
    if request.param == "empty":
        GeoPackageStore.create(path)
    else:
        from typer.testing import CliRunner

        from mzgis.cli import app

        assert CliRunner().invoke(app, ["init", str(path), "--county", "331004"]).exit_code == 0
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
    towns = page.locator("#township option")
    if towns.count() > 1:  # registered townships: listed, and choosing one says it has no polygon yet
        assert towns.count() == 13 and towns.nth(1).inner_text() == "路南街道"
        page.select_option("#township", label="金清镇")
        page.wait_for_selector("#status >> text=金清镇还没有区划面")
        assert page.errors == []
    _shot(page, "page-empty-county")
