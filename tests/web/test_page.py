"""The map page in a real browser (Debian's Chromium driven by Playwright); screenshots kept as artifacts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium (.ci/run)")
        pytest.skip("no chromium on this machine")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_the_page_draws_every_layer_offline_and_searches(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
    page.goto(live_server)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert hosts == {"127.0.0.1"}  # no request leaves this server
    assert page.locator("#status").inner_text() == "已加载"
    drawn = page.locator("path.leaflet-interactive").count()
    assert drawn > 240 + 6  # admin units and lines at least; points drawn on the canvas or as paths
    overlay_titles = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    for title in ("区县界", "乡镇(街道)", "村(社区)", "养老服务设施", "界桩", "界线(本方)", "标准地名"):
        assert any(title in t for t in overlay_titles), title
    assert page.locator(".town-label", has_text="路南街道").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-overview.png"))

    page.select_option("#township", label="金清镇")
    page.fill("#search", "lnjd")
    page.click("#search-form button")
    page.wait_for_selector("#results li")
    # the township filter applies to the search too: 路南街道 is not in 金清镇
    assert page.locator("#results li").first.inner_text() == "没有找到"
    page.select_option("#township", label="全区")
    page.click("#search-form button")
    page.wait_for_selector("#results li >> text=路南街道")
    page.locator("#results li", has_text="路南街道").click()
    page.wait_for_selector(".leaflet-popup-content >> text=Lunan Jiedao")
    page.screenshot(path=str(ARTIFACTS / "page-search.png"))
