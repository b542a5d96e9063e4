"""The map page in a real browser (Debian's Chromium driven by Playwright); screenshots kept as artifacts."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
import pytest

from tests.conftest import PASSWORD
from tests.needs import need

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
    need(chromium, "Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(  # type: ignore[no-untyped-def]
    browser,
    live_server: str,
    name: str,
    *,
    width: int = 1366,
    height: int = 768,
    password: str = PASSWORD,
    on_response: Callable[[Any], None] | None = None,
):
    """A page signed in as ``name``, loaded; JavaScript errors fail the test."""
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    if on_response is not None:
        page.on("response", on_response)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(live_server)
    page.wait_for_selector("#signin[open]")
    page.fill("#signin-name", name)
    page.fill("#signin-password", password)
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    return page


def _count(layer: str, **where: str) -> int:
    """How many features of ``layer`` the demo file holds (read from the file, not from the page)."""
    from mzgis.settings import default_demo_path
    from mzgis.store import GeoPackageStore

    return len(GeoPackageStore(default_demo_path()).features(layer, where=where or None, geometry=False))


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_sign_in_draws_every_layer_offline_and_searches(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
    page.goto(live_server)
    page.wait_for_selector("#signin[open]")
    assert page.locator("#status").inner_text() == "请登录"
    _shot(page, "page-sign-in")
    page.fill("#signin-name", "查看员")
    page.fill("#signin-password", "wrong-password")
    page.click("#signin-form button")
    page.wait_for_selector("#signin-message >> text=用户名或密码不正确")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert hosts == {"127.0.0.1"}  # no request leaves this server
    assert page.locator("#status").inner_text() == "已加载"
    assert page.locator("#who").inner_text() == "查看员(查看)"
    drawn = page.locator("path.leaflet-interactive").count()
    # one path per feature of every layer switched on at load (the neighbour's lines and the names are off)
    expected = sum(
        _count(layer)
        for layer in ("admin_units", "eldercare_facilities", "community_complexes", "burial_sites", "boundary_markers")
    ) + _count("boundary_lines", side="ours")
    assert drawn == expected
    # every village, though the server sends pages of 100 (the page follows the next links)
    assert page.locator("path.leaflet-interactive[stroke='#7890a8']").count() == 228
    overlay_titles = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    for title in ("区县界", "乡镇(街道)", "村(社区)", "养老服务设施", "界桩", "界线(本方)", "标准地名"):
        assert any(title in t for t in overlay_titles), title
    assert page.locator(".town-label", has_text="路南街道").count() == 1
    import re

    assert re.fullmatch(r"\d+ (米|千米)", page.locator(".leaflet-control-scale-line").inner_text())  # not "km"
    # a viewer reads: no edit buttons, no analyses, no accounts
    assert page.locator("#new-name").is_hidden() and page.locator("#tab-users-btn").is_hidden()
    page.click("#tab-boundary-btn")
    assert page.locator("#tab-boundary .needs-role").is_visible() and page.locator("#b-run").is_hidden()
    page.click("#tab-names-btn")
    _shot(page, "page-overview")

    page.select_option("#township", label="金清镇")
    page.fill("#search", "lnjd")
    page.click("#search-form button")
    page.wait_for_selector("#results li")
    # the township filter applies to the search too: 路南街道 is not in 金清镇
    assert page.locator("#results li").first.inner_text() == "没有找到"
    # an empty box lists the chosen township's names, in pinyin order, as the API lists them
    page.fill("#search", "")
    page.click("#search-form button")
    page.wait_for_selector("#status >> text=金清镇共")
    town = page.eval_on_selector("#township", "s => s.value")
    token = page.evaluate("sessionStorage.getItem('mzgis-token')")
    listed = urllib.request.Request(
        f"{live_server}/api/names?township={town}&limit=1000", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(listed) as resp:
        in_town = [h["name"] for h in json.load(resp)]
    shown = [t.split(" ")[0] for t in page.locator("#results li").all_inner_texts()]
    assert shown == in_town and len(in_town) > 10
    assert page.locator("#status").inner_text() == f"金清镇共 {len(in_town)} 个地名(按拼音排序)"
    page.fill("#search", "lnjd")
    page.select_option("#township", label="全区")
    page.click("#search-form button")
    page.wait_for_selector("#results li >> text=路南街道")
    page.locator("#results li", has_text="路南街道").click()
    page.wait_for_selector(".leaflet-popup-content >> text=Lunan Jiedao")
    assert page.locator("#f-name").input_value() == "路南街道" and page.locator("#f-name").is_disabled()
    _shot(page, "page-search")
    # a viewer can take the gazetteer away as a spreadsheet
    with page.expect_download(timeout=30_000) as download:
        page.click("#n-export")
    assert download.value.suggested_filename == "标准地名.xlsx"
    page.wait_for_selector("#n-export-status >> text=已下载 标准地名.xlsx")
    # and in the census exchange form, with the class codes, for the national place-name database
    page.select_option("#n-format", label="地名普查交换格式(CSV)")
    with page.expect_download(timeout=30_000) as census:
        page.click("#n-export")
    assert census.value.suggested_filename == "地名普查交换.csv"
    exchanged = pd.read_csv(census.value.path(), dtype=str, encoding="utf-8-sig")
    assert exchanged.loc[exchanged["标准名称"] == "路南街道", "地名类别代码"].tolist() == ["21500"]
    page.select_option("#n-format", label="Excel(XLSX)")
    # a sign-in near its end is renewed by the next request; the old token stops working
    old = page.evaluate("sessionStorage.getItem('mzgis-token')")
    page.evaluate(
        """async () => {
          const { session } = await import('/web/api.js');
          session.expires = new Date(Date.now() + 60_000).toISOString();
        }"""
    )
    page.click("#search-form button")
    page.wait_for_function("(old) => sessionStorage.getItem('mzgis-token') !== old", arg=old)
    stale = urllib.request.Request(f"{live_server}/api/auth/me", headers={"Authorization": f"Bearer {old}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(stale)
    refused.value.close()  # the refusal holds the connection open until closed
    assert refused.value.code == 401
    assert page.evaluate("sessionStorage.getItem('mzgis-token-expires')") > "2026"
    # signing out ends the token
    page.click("#sign-out")
    page.wait_for_selector("#signin[open]")


def test_editor_adds_and_edits_names_with_live_rules_history_and_conflict(  # type: ignore[no-untyped-def]
    browser, live_server: str, tokens: dict[str, str]
) -> None:
    page = _page(browser, live_server, "地名科")
    # add by clicking the map: the admin code comes from where the click falls, findings update while typing
    page.click("#new-name")
    page.wait_for_selector("#status >> text=请在地图上点击")
    page.select_option("#township", label="金清镇")
    page.locator("#map").click(position={"x": 500, "y": 380})
    page.wait_for_selector("#name-form:not([hidden])")
    page.wait_for_selector("#status >> text=位置在")  # the server says which unit the click falls in
    admin = page.locator("#f-admin").input_value()
    assert admin.startswith("331004106"), admin  # a unit of 金清镇
    page.select_option("#f-category", "transport_facility")
    page.select_option("#f-subcategory", "bridge")
    assert page.locator("#f-subcategory option:checked").inner_text() == "桥梁(通名:桥、大桥)"
    page.locator("#f-name").press_sequentially("金清大桥", delay=30)
    page.wait_for_selector("#romanized >> text=Jinqing Daqiao")
    page.wait_for_selector("#findings li")
    page.fill("#f-reason", "新建桥梁")
    # 保存 is reachable on a 1366×768 screen: scrolled into the panel, it is wholly on the screen
    save = page.locator("#save-btn")
    save.scroll_into_view_if_needed()
    box = save.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 768 and box["x"] + box["width"] <= 1366
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 1)")
    _shot(page, "page-name-added")
    # the saved name is on the map at once (drawn in place, not by fetching the gazetteer again)
    page.locator(".leaflet-control-layers-overlays label", has_text="标准地名").locator("input").check()
    info = urllib.request.Request(
        f"{live_server}/api/layers/place_names", headers={"Authorization": f"Bearer {tokens['地名科']}"}
    )
    with urllib.request.urlopen(info) as resp:
        stored = json.load(resp)["count"]
    name_dots = page.locator("path.leaflet-interactive[fill='#3388ff']")  # names have no colour of their own
    assert name_dots.count() == stored

    # a rule finding while typing: a bridge named like a subdistrict
    page.fill("#f-name", "")
    page.locator("#f-name").press_sequentially("金清街道", delay=20)
    page.wait_for_selector("#findings li.error")
    assert "错误:通名“街道”不适合该类别,可用:桥、大桥" in page.locator("#findings").inner_text()
    assert page.locator("#override-row").is_visible()  # an error can only be saved with a reason
    page.fill("#f-name", "金清大桥")
    page.wait_for_selector("#override-row[hidden]", state="attached")

    # edit: a saved change appears in the history with the signed-in user
    page.fill("#f-origin", "因金清镇得名")
    page.fill("#f-reason", "补充来历")
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 2)")
    page.click("#history-btn")
    page.wait_for_selector("#history li >> nth=1")
    history = page.locator("#history").inner_text()
    assert "版本 2 · 地名科" in history and "来历含义" in history and "补充来历" in history

    # someone else saves first: the stale save shows who changed what, nothing is lost, re-apply works
    fid = int(page.locator("#form-title").inner_text().split("#")[1].split(",")[0])
    request = urllib.request.Request(
        f"{live_server}/api/names/{fid}",
        data=json.dumps({"version": 2, "subcategory": "highway_bridge", "reason": "另一人修改"}).encode(),
        headers={"Authorization": f"Bearer {tokens['王五']}", "Content-Type": "application/json"},
        method="PATCH",
    )
    urllib.request.urlopen(request).close()
    page.fill("#f-origin", "因金清港得名")
    page.fill("#f-reason", "补充来历(港名)")
    page.click("#save-btn")
    page.wait_for_selector("#conflict:not([hidden])")
    conflict = page.locator("#conflict").inner_text()
    # the subcategory in Chinese; a value the rules do not list (highway_bridge) is shown and kept as it is
    assert "王五" in conflict and "小类:桥梁 → highway_bridge" in conflict and "你的改动:来历含义" in conflict
    _shot(page, "page-name-conflict")
    page.click("#reapply-btn")
    page.wait_for_selector("#form-message >> text=已载入版本 3")
    assert page.locator("#f-origin").input_value() == "因金清港得名"
    assert page.locator("#f-subcategory").input_value() == "highway_bridge"
    assert page.locator("#f-reason").input_value() == "补充来历(港名)"  # the officer's reason is kept too
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 4)")
    history_request = urllib.request.Request(
        f"{live_server}/api/names/{fid}/history", headers={"Authorization": f"Bearer {tokens['王五']}"}
    )
    with urllib.request.urlopen(history_request) as resp:
        assert json.load(resp)[-1]["reason"] == "补充来历(港名)"

    # drag the marker to move the name; the move is saved and shows in the history
    icon = page.locator(".leaflet-marker-icon.leaflet-marker-draggable")
    box = icon.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y + 20, steps=5)
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    page.wait_for_selector("#f-where >> text=已移动,保存后生效")
    page.fill("#f-reason", "按实地位置校正")
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 5)")
    page.click("#history-btn")
    page.wait_for_selector("#history li >> text=移动位置")

    # the sign-in ends mid-edit (expired or revoked): saving asks to sign in again, then the save goes on
    # (the edit typed first, its live check answered: the save is the first request after the revocation)
    with page.expect_response("**/api/names/check"):
        page.fill("#f-origin", "因金清港与大桥得名")
        page.fill("#f-reason", "补充来历")
    token = page.evaluate("sessionStorage.getItem('mzgis-token')")
    revoke = urllib.request.Request(
        f"{live_server}/api/auth/sign-out", headers={"Authorization": f"Bearer {token}"}, method="POST"
    )
    urllib.request.urlopen(revoke).close()
    page.click("#save-btn")
    page.wait_for_selector("#signin[open]")
    assert "登录后将继续刚才的操作" in page.locator("#signin-message").inner_text()
    assert page.locator("#signin-name").input_value() == "地名科"
    page.fill("#signin-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#form-message >> text=已保存(版本 6)")
    assert page.locator("#f-origin").input_value() == "因金清港与大桥得名"
    assert name_dots.count() == stored  # five saves later: each redrawn in place, none twice

    # several requests refused at once (a save and a live check, say) share one sign-in and all go through
    token = page.evaluate("sessionStorage.getItem('mzgis-token')")
    revoke = urllib.request.Request(
        f"{live_server}/api/auth/sign-out", headers={"Authorization": f"Bearer {token}"}, method="POST"
    )
    urllib.request.urlopen(revoke).close()
    page.evaluate(
        """async () => {
          const { api } = await import('/web/api.js');
          window.both = Promise.all([api('/api/layers'), api('/api/names?q=jqdq'), api('/api/layers/place_names')]);
        }"""
    )
    page.wait_for_selector("#signin[open]")
    page.fill("#signin-password", PASSWORD)
    page.keyboard.press("Enter")
    layers, hits, layer = page.evaluate("window.both")
    assert len(layers) > 3 and hits[0]["name"] == "金清大桥" and layer["name"] == "place_names"
    assert page.locator("#signin[open]").count() == 0

    # retire needs a reason; restore brings it back
    page.fill("#f-reason", "")
    page.click("#retire-btn")
    page.wait_for_selector("#form-message >> text=废止需要填写原因")
    page.fill("#f-reason", "桥梁拆除")
    page.click("#retire-btn")
    page.wait_for_selector("#form-message >> text=已废止")
    assert "已废止" in page.locator("#form-title").inner_text()
    page.click("#restore-btn")
    page.wait_for_selector("#form-message >> text=已恢复")
    assert page.errors == []


def test_planner_runs_boundary_checks_and_coverage_what_if(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, live_server, "规划科")
    assert page.locator("#new-name").is_hidden()  # planners do not edit names
    page.click("#tab-boundary-btn")
    page.click("#b-run")
    page.wait_for_selector("#b-findings li >> nth=8")
    assert "共 9 个问题" in page.locator("#b-summary").inner_text()
    neighbour = page.locator(".leaflet-control-layers-overlays label", has_text="界线(对方)").locator("input")
    assert not neighbour.is_checked()
    page.locator("#b-findings li", has_text="路黄线 里程").click()
    page.wait_for_selector(".leaflet-popup-content >> text=界线比对")
    assert page.locator("#b-findings li.selected").count() == 1
    assert neighbour.is_checked()  # a line finding is read against the neighbour's version, shown with it
    highlighted = "path.leaflet-interactive[stroke='#ff006e']"
    assert page.locator(highlighted).count() == 1
    _shot(page, "page-boundary-finding")
    page.select_option("#b-line", "路黄线")
    with page.expect_download(timeout=60_000) as download:
        page.click("#b-package")
    path = download.value.path()
    assert download.value.suggested_filename == "路黄线联检资料包.zip"
    assert any(n.endswith(".gpkg") for n in zipfile.ZipFile(path).namelist())

    page.click("#tab-coverage-btn")
    assert page.locator(highlighted).count() == 0  # the boundary finding's highlight went with its panel
    page.wait_for_selector("#c-table tbody tr >> nth=11")
    with page.expect_download(timeout=60_000) as report:
        page.click("#c-report")
    assert report.value.suggested_filename == "覆盖分析.zip"
    assert "覆盖分析/覆盖分析.xlsx" in zipfile.ZipFile(report.value.path()).namelist()
    page.select_option("#c-target", "burial_site")
    page.wait_for_selector("body[data-coverage=burial_site]")
    fills = page.locator("path.leaflet-interactive[fill='#c1121f']").count()
    assert fills == 11  # townships without an open eco-burial site (the seed's picture)
    row = page.locator("#c-table tbody tr", has_text="金清镇")
    assert "缺 1 个" in row.inner_text()
    district = page.locator("#c-table tbody tr", has_text="全区")  # met only when every township meets it
    assert district.inner_text().split("\t") == ["全区", "共 1 个", "每个乡镇 ≥1 个", "11 个乡镇(街道)没有"]
    assert district.get_attribute("class") == "unmet"
    _shot(page, "page-coverage")
    # what-if: a columbarium dropped in 金清镇 meets its target
    page.select_option("#c-kind", "columbarium")
    page.click("#c-place")
    page.locator("#c-table tbody tr", has_text="金清镇").click()  # zoom to 金清镇
    page.locator("#map").click(position={"x": 500, "y": 380})
    page.wait_for_selector("#c-table tbody tr.changed")
    row = page.locator("#c-table tbody tr", has_text="金清镇")
    assert "0 个 → 1 个" in row.inner_text() and "达标" in row.inner_text()
    assert page.locator("path.leaflet-interactive[fill='#c1121f']").count() == 10
    dashed = page.locator("path.leaflet-interactive[stroke='#9d0208']").count()  # uncovered villages
    assert 0 < dashed < 228 - 20  # 金清镇's villages near the new site are no longer uncovered
    _shot(page, "page-coverage-what-if")
    page.select_option("#c-type", "burial_site")
    page.click("#c-suggest")
    page.wait_for_selector("#c-suggestions li >> nth=2")
    assert "新覆盖老年人" in page.locator("#c-suggestions").inner_text()
    assert page.locator(".suggest-icon").count() == 3
    page.check("#c-exact")
    page.click("#c-suggest")
    page.wait_for_selector("#c-exact-result >> text=精确最优共新覆盖")
    _shot(page, "page-coverage-suggest")
    # a suggestion added to the what-if goes in as the kind the server names for burial sites
    first = page.locator("#c-suggestions li").first
    place = first.inner_text().split("(")[0]
    first.locator("button", has_text="加入拟建").click()
    page.wait_for_selector(f"#c-proposed li >> text=建议点 {place}")
    assert "(节地生态安葬点·骨灰塔)" in page.locator("#c-proposed li").last.inner_text()  # the layer model's names
    assert page.locator("#c-kind").input_value() == "columbarium"
    page.wait_for_selector("#status >> text=已加入 建议点")
    assert page.errors == []


def test_large_screen_and_keyboard(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, live_server, "地名科", width=2560, height=1440)
    page.focus("#tab-names-btn")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.id") == "tab-boundary-btn"
    assert page.locator("#tab-boundary").is_visible()
    page.keyboard.press("ArrowLeft")
    page.focus("#search")
    page.keyboard.type("lnjd")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results li >> text=路南街道")
    page.keyboard.press("Tab")  # from the search box the results are reachable by keyboard
    page.locator("#results li").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#name-form:not([hidden])")
    assert page.locator("#f-name").input_value() == "路南街道"
    _shot(page, "page-large-screen")
    assert page.errors == []


def test_admin_manages_accounts_in_the_page(browser, live_server: str, demo_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, live_server, "管理员")
    page.click("#tab-users-btn")
    page.wait_for_selector("#u-table tbody tr >> nth=4")
    assert page.locator("#u-table tbody tr").count() == 6
    page.fill("#u-name", "新人")
    page.select_option("#u-role", "planner")
    page.select_option("#u-scope", "331004106")  # 金清镇
    page.fill("#u-password", "short")
    page.click("#u-form button")
    assert page.locator("#u-message").inner_text() == ""  # the browser's own check: at least 8 characters
    page.fill("#u-password", "long-enough-1")
    page.click("#u-form button")
    page.wait_for_selector("#u-message >> text=已新增用户 新人(规划)")
    page.wait_for_selector("#u-table tbody tr >> nth=5")
    row = page.locator("#u-table tbody tr", has_text="王五")
    row.locator("button").click()
    page.wait_for_selector("#u-message >> text=王五 已停用")
    assert "已停用" in page.locator("#u-table tbody tr", has_text="王五").inner_text()
    page.get_by_label("查看员 的角色").select_option("editor")
    page.wait_for_selector("#u-message >> text=查看员 的角色已改为 编辑")
    assert page.get_by_label("新人 的管辖范围").input_value() == "331004106"  # as added
    page.get_by_label("地名科 的管辖范围").select_option("331004001")
    page.wait_for_selector("#u-message >> text=地名科 的管辖范围:路南街道(331004001)")
    page.get_by_label("新人 的管辖范围").select_option("")
    page.wait_for_selector("#u-message >> text=新人 的管辖范围:不限")
    assert page.get_by_label("管理员 的角色").is_disabled()  # not one's own role
    _shot(page, "page-users")
    # the new account's first sign-in: the password the administrator set is changed before anything else
    other = browser.new_page(viewport={"width": 1366, "height": 768})
    other.errors = []
    other.on("pageerror", lambda e: other.errors.append(str(e)))
    other.goto(live_server)
    other.wait_for_selector("#signin[open]")
    other.fill("#signin-name", "新人")
    other.fill("#signin-password", "long-enough-1")
    other.keyboard.press("Enter")
    other.wait_for_selector("#password[open]")
    assert other.locator("#password-reason").inner_text() == "密码由管理员设置,首次登录须改为自己的密码"
    assert other.locator("#password-cancel").is_hidden() and other.locator("#password-sign-out").is_visible()
    other.keyboard.press("Escape")  # cannot be dismissed
    assert other.locator("#password[open]").count() == 1
    other.fill("#password-current", "long-enough-1")
    other.fill("#password-new", "Mine-and-only-9")
    other.fill("#password-again", "Mine-and-only-8")
    other.click("#password-form button[type=submit]")
    other.wait_for_selector("#password-message >> text=两次输入的新密码不一致")
    other.fill("#password-new", "long-enough-1")
    other.fill("#password-again", "long-enough-1")
    other.click("#password-form button[type=submit]")
    other.wait_for_selector("#password-message >> text=新密码不能与当前密码相同")
    other.fill("#password-new", "Mine-and-only-9")
    other.fill("#password-again", "Mine-and-only-9")
    _shot(other, "page-password-change")
    other.click("#password-form button[type=submit]")
    other.wait_for_selector("body[data-ready=true]", timeout=30_000)
    assert other.locator("#who").inner_text() == "新人(规划)"  # signed in with its role, the password its own
    from mzgis.store import open_store

    scopes = {a["name"]: a["scope"] for a in open_store(demo_path).accounts()}
    assert (scopes["地名科"], scopes["新人"], scopes["管理员"]) == ("331004001", None, None)
    assert page.errors == [] and other.errors == []


def test_at_level_3_an_admin_sets_a_second_factor_in_the_page_and_signs_in_with_it(  # type: ignore[no-untyped-def]
    browser, demo_path: Path, tokens: dict[str, str], tmp_path: Path
) -> None:
    import datetime as dt

    from mzgis import totp
    from mzgis.sealing import new_key_file
    from tests.conftest import serving

    key = new_key_file(tmp_path / "secret.key")  # level 3 seals the shared keys; serve refuses without the file
    prelude = f"import os; os.environ['MZGIS_SECURITY_LEVEL'] = '3'; os.environ['MZGIS_SECRET_KEY_FILE'] = {str(key)!r}"
    with serving(demo_path, prelude=prelude) as url:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_selector("#signin[open]")
        page.fill("#signin-name", "管理员")
        page.fill("#signin-password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector("#second-factor[open]")
        assert "管理员和审批人须设置动态口令" in page.locator("#second-factor-reason").inner_text()
        secret = page.locator("#second-factor-secret").input_value().replace(" ", "")
        page.fill(
            "#second-factor-code", "000000" if totp.code_at(secret, dt.datetime.now(dt.UTC)) != "000000" else "111111"
        )
        page.click("#second-factor-form button[type=submit]")
        page.wait_for_selector("#second-factor-message >> text=动态口令不正确")
        _shot(page, "page-second-factor")
        page.fill("#second-factor-code", totp.code_at(secret, dt.datetime.now(dt.UTC)))
        page.click("#second-factor-form button[type=submit]")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.click("#sign-out")  # and the next sign-in asks for the code
        page.wait_for_selector("#signin[open]")
        assert page.locator("#signin-code-row").is_hidden()
        page.fill("#signin-name", "管理员")
        page.fill("#signin-password", PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_selector("#signin-message >> text=请输入动态口令(身份验证器中的 6 位数字)")
        assert page.locator("#signin-code-row").is_visible()
        page.fill("#signin-code", totp.code_at(secret, dt.datetime.now(dt.UTC)))
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        assert page.locator("#who").inner_text() == "管理员(管理员)"
        page.click("#second-factor-btn")  # replacing it asks for the password as well
        page.wait_for_selector("#second-factor[open]")
        assert (
            page.locator("#second-factor-password-row").is_visible()
            and page.locator("#second-factor-cancel").is_visible()
        )
        page.click("#second-factor-cancel")
        assert page.locator("#second-factor[open]").count() == 0


XSS = '<img src=x onerror="window.__xss=1">'


def _rename_township(path: Path, code: str, name: str) -> None:
    from mzgis.store import GeoPackageStore

    store = GeoPackageStore(path)
    town = store.features("admin_units", where={"code": code})[0]
    with store.transaction(user="test", reason="hostile name") as tx:
        tx.update("admin_units", town.id, expected_version=town.version, properties={"name": name})


def test_names_from_data_are_text_in_the_page_under_its_security_policy(  # type: ignore[no-untyped-def]
    browser, live_server: str, demo_path: Path
) -> None:
    _rename_township(demo_path, "331004002", XSS)  # as `mzgis import admin_units … --update` could set it
    with urllib.request.urlopen(live_server) as resp:
        policy = resp.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
        assert resp.headers["X-Content-Type-Options"] == "nosniff" and resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
    violations: list[str] = []
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(live_server)
    page.wait_for_selector("#signin[open]")
    page.fill("#signin-name", "规划科")
    page.fill("#signin-password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    label = page.locator(".town-label", has_text="<img src=x")
    assert label.count() == 1 and label.inner_text() == XSS  # drawn as text
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert violations == []  # the page itself needs no inline script
    _shot(page, "page-hostile-township-name")


def test_exported_coverage_map_shows_names_as_text(browser, tmp_path: Path, demo_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mzgis.coverage.service import analyze_store
    from mzgis.io.coverage_report import write_coverage_outputs
    from mzgis.settings import WEB_ROOT
    from mzgis.store import GeoPackageStore

    need((WEB_ROOT / "node_modules" / "leaflet").exists(), "the page's libraries (npm ci in src/mzgis/web)")
    _rename_township(demo_path, "331004002", XSS)
    store = GeoPackageStore(demo_path)
    units = store.read_frame("admin_units")
    write_coverage_outputs(analyze_store(store), units[units.level == "township"], tmp_path / "out")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto((tmp_path / "out" / "覆盖分析地图.html").as_uri())
    page.wait_for_selector(".leaflet-interactive")
    texts = page.evaluate(
        """() => { const out = [];
          map.eachLayer((l) => { if (l.getPopup && l.getPopup() && l.feature && l.getLatLng === undefined) {
            l.openPopup(); out.push(l.getPopup().getElement().innerText); l.closePopup(); } });
          return out; }"""
    )
    assert any(XSS in t for t in texts), texts[:3]
    assert page.evaluate("window.__xss") is None
    assert page.locator(".leaflet-popup-content img").count() == 0
    labels = page.locator(".unit-label").all_inner_texts()  # every township named on the map, as text
    assert "新桥镇" in labels and XSS in labels and len(labels) == 12


def test_api_docs_render_offline_under_their_policy(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    hosts: set[str] = set()
    violations: list[str] = []
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)  # Swagger UI 5 reads OpenAPI 3.1
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("mzgis API")
    assert page.locator(".opblock-summary-path", has_text="/api/names/{fid}/retire").count() == 1
    assert hosts == {"127.0.0.1"} and violations == []
    _shot(page, "api-docs")


def test_editor_draws_a_road_and_an_area_and_edits_a_line_name(  # type: ignore[no-untyped-def]
    browser, live_server: str, tokens: dict[str, str]
) -> None:
    """Place names that are lines or polygons: opened, edited and retired like points; new ones drawn on the
    map (Leaflet-Geoman), their vertices snapping to what the map shows."""
    road = {
        "name": "金清大道",
        "category": "transport_facility",
        "admin_code": "331004106",
        "geometry": {"type": "LineString", "coordinates": [[121.480, 28.520], [121.490, 28.523], [121.500, 28.525]]},
        "reason": "测试",
    }
    request = urllib.request.Request(
        f"{live_server}/api/names",
        data=json.dumps(road).encode(),
        headers={"Authorization": f"Bearer {tokens['王五']}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as resp:
        assert resp.status == 201 or resp.status == 200
    page = _page(browser, live_server, "地名科")
    page.fill("#search", "金清大道")
    page.click("#search-form button")
    page.locator("#results li", has_text="金清大道").click()
    page.wait_for_selector("#name-form:not([hidden])")
    assert page.locator("#f-where").inner_text() == "线:3 个节点(拖动节点修改,靠近区划边界时自动吸附)"
    assert page.locator("#retire-btn").is_visible() and page.locator("#restore-btn").is_hidden()
    page.fill("#f-origin", "金清镇主干道")
    page.fill("#f-reason", "补充来历")
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 2)")
    # a new area: click four vertices, then the first again
    page.click("#new-area")
    page.wait_for_selector("#status >> text=依次点击面的节点")
    box = page.locator("#map").bounding_box()
    assert box is not None
    corners = [(420, 300), (560, 300), (560, 420), (420, 420), (420, 300)]
    for x, y in corners:
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(150)
    page.wait_for_selector("#f-where >> text=面:5 个节点")  # the ring closes on its first vertex
    page.select_option("#f-category", "non_administrative_area")
    page.locator("#f-name").press_sequentially("金清园区", delay=20)
    page.wait_for_selector("#romanized >> text=Jinqing Yuanqu")
    page.fill("#f-reason", "新建园区")
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 1)")
    assert page.errors == []
    _shot(page, "page-area-name")
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{live_server}/api/names?q={urllib.parse.quote('金清园区')}",
            headers={"Authorization": f"Bearer {tokens['地名科']}"},
        )
    ) as resp:
        (hit,) = json.load(resp)
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{live_server}/api/names/{hit['id']}", headers={"Authorization": f"Bearer {tokens['地名科']}"}
        )
    ) as resp:
        saved = json.load(resp)
    assert saved["geometry"]["type"] == "Polygon" and len(saved["geometry"]["coordinates"][0]) == 5


def test_editor_reverts_a_name_to_an_earlier_version_from_its_history(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, live_server, "地名科")
    page.fill("#search", "方林村")
    page.click("#search-form button")
    page.locator("#results li", has_text="方林村").first.click()
    page.wait_for_selector("#name-form:not([hidden])")
    page.fill("#f-name", "方林新村")
    page.fill("#f-reason", "更名")
    page.click("#save-btn")
    page.wait_for_selector("#form-message >> text=已保存(版本 2)")
    page.click("#history-btn")
    page.wait_for_selector("#history li >> nth=1")
    assert page.locator("#history button.revert").count() == 1  # only the versions before the current one
    assert page.locator("#f-reason").input_value() == ""  # the save's reason is not carried over
    page.locator("#history button.revert").click()
    # (waited for: on a loaded machine the click once left the message as it was)
    page.wait_for_selector("#form-message.error >> text=恢复到旧版本需要填写原因(修改说明)", timeout=10_000)
    page.fill("#f-reason", "更名未获批准")
    page.locator("#history button.revert").click()
    page.wait_for_selector("#form-message >> text=已恢复为版本 1 的内容(新版本 3)")
    assert page.locator("#f-name").input_value() == "方林村"
    page.click("#history-btn")
    page.wait_for_selector("#history li >> nth=2")
    assert "恢复到版本 1:更名未获批准" in page.locator("#history").inner_text()
    assert page.errors == []


def test_village_and_name_labels_appear_when_zoomed_in(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, live_server, "查看员")
    village = page.locator(".village-label", has_text="大浦村")
    assert village.count() == 1 and not village.is_visible()  # the county view: townships only
    page.select_option("#township", label="金清镇")  # the map fits the township: villages are labelled
    page.wait_for_selector("#map.show-villages")
    assert village.is_visible()
    page.locator(".leaflet-control-layers-overlays label", has_text="标准地名").locator("input").check()
    names = page.locator(".name-label")
    assert names.count() == _count("place_names") and not names.first.is_visible()  # names wait for a closer zoom
    for _ in range(2):  # two steps in, each after the previous animation has ended
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(300)
        page.wait_for_selector("#map:not(.leaflet-zoom-anim)")
    page.wait_for_selector("#map.show-names")
    assert page.locator(".name-label:visible").count() > 0
    _shot(page, "page-labels")


def test_units_are_found_by_a_part_of_the_name_or_the_code(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    """The unit finder beside the selector: a village chooses its township and is zoomed to; a part of a name
    that several units share lists them; nothing found is said."""
    page = _page(browser, live_server, "查看员")
    options = page.locator("#unit-list option")
    assert options.count() == _count("admin_units")
    page.fill("#unit-find", "方林")  # 方林社区 and 方林村: both named, none chosen
    page.keyboard.press("Enter")
    assert page.locator("#status").inner_text() == (
        "“方林”对应 2 个区划:方林社区(331004001002)、方林村(331004001202),请选一个"
    )
    assert page.locator("#township").input_value() == ""
    page.fill("#unit-find", "方林社区")
    page.keyboard.press("Enter")
    assert page.locator("#township").input_value() == "331004001"  # 方林社区's township, 路南街道
    assert page.locator("#unit-find").input_value() == "方林社区(331004001002)"
    assert page.locator("#status").inner_text() == "方林社区(331004001002)"
    page.wait_for_selector("#map.show-villages")  # zoomed to the village: the villages are labelled
    _shot(page, "page-unit-finder")
    page.fill("#unit-find", "331004106")
    page.keyboard.press("Enter")
    assert page.locator("#township").input_value() == "331004106"
    page.fill("#unit-find", "桥")
    page.keyboard.press("Enter")
    status = page.locator("#status").inner_text()
    assert status.startswith("“桥”对应 ") and "请选一个" in status and "路桥区(331004)" in status
    page.fill("#unit-find", "不存在的村")
    page.keyboard.press("Enter")
    assert page.locator("#status").inner_text() == "没有名称或代码含“不存在的村”的区划"
    assert page.errors == []


def test_print_the_current_view_as_a3_pdf(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    page = _page(browser, live_server, "查看员")
    page.select_option("#township", label="金清镇")
    page.locator(".leaflet-control-layers-overlays label", has_text="标准地名").locator("input").check()
    page.click("#print-btn")
    page.wait_for_selector("#print-dialog[open]")
    assert page.locator("#print-heading").input_value() == "金清镇民政设施分布图"  # the township's view
    page.select_option("#print-paper", "A3")
    _shot(page, "page-print-dialog")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/print" in r.url else None)
    with page.expect_download(timeout=60_000) as download:
        page.click("#print-go")
    path = download.value.path()
    assert download.value.suggested_filename == "金清镇民政设施分布图.pdf"
    data = Path(path).read_bytes()
    assert data[:5] == b"%PDF-"
    page.wait_for_selector("#print-message >> text=已下载 金清镇民政设施分布图.pdf")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(requests[0]).query)
    assert query["paper"] == ["A3"] and query["format"] == ["pdf"]
    # the layers switched on in the page, not the default set: place names are on, the neighbour's line off
    assert set(query["layers"][0].split(",")) == {
        "admin_units",
        "boundary_lines:ours",
        "eldercare_facilities",
        "community_complexes",
        "burial_sites",
        "boundary_markers",
        "place_names",
    }
    west, south, east, north = (float(v) for v in query["bbox"][0].split(","))
    assert 121.4 < west < east < 121.6 and 28.4 < south < north < 28.6  # 金清镇's view, not the county
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
        assert "金清镇民政设施分布图" in text and "标准地名" in text and "比例尺 1:" in text
    assert page.errors == []


def test_attribute_table_filters_sorts_finds_and_exports(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    page = _page(browser, live_server, "查看员")
    page.click("#attr-btn")
    page.wait_for_selector("#t-table tbody tr")
    assert page.locator("#t-layer option:checked").inner_text() == "标准地名"
    headers = page.locator("#t-table th").all_inner_texts()
    assert headers[:3] == ["编号", "标准名称", "专名"] and "版本" in headers and "拼音" not in headers  # derived hidden
    total = page.locator("#t-table tbody tr").count()
    assert total == _count("place_names") and page.locator("#t-status").inner_text() == f"{total} / {total} 条"
    rows = page.locator("#t-table tbody tr")

    def ids() -> list[int]:
        return [int(r.split("\t")[0]) for r in rows.all_inner_texts()]

    page.locator("#t-table th", has_text="编号").click()
    page.locator("#t-table th", has_text="编号").click()  # second click: descending
    assert page.locator("th[aria-sort=descending]").inner_text() == "编号"
    assert ids() == sorted(ids(), reverse=True) and ids()[0] > ids()[-1]
    page.fill("#t-filter", "金清 社区")  # every word, in any column
    assert [r.split("\t")[1] for r in rows.all_inner_texts()] == ["金清十塘园区社区", "金清港社区"]  # still descending
    shown = rows.count()
    assert page.locator("#t-status").inner_text() == f"2 / {total} 条"
    rows.first.click()
    page.wait_for_selector("#map path[stroke='#ff006e']")
    assert page.locator("#map path[stroke='#ff006e']").count() == 1  # found on the map
    with page.expect_download() as download:
        page.click("#t-export")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:2] == ["编号 id", "标准名称 name"] and len(table) == 1 + shown
    assert download.value.suggested_filename == "标准地名_筛选结果.csv"
    page.select_option("#t-layer", label="人口")  # an attribute table without geometry
    page.wait_for_selector("#t-status >> text=228 / 228 条")  # the filter was for the other layer
    _shot(page, "page-attribute-table")
    assert page.errors == []


def test_print_from_the_coverage_tab_colours_by_the_target_shown(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, live_server, "规划科")
    page.click("#tab-coverage-btn")
    page.wait_for_selector("#c-table tbody tr >> nth=11")
    assert page.locator("#c-target option").all_inner_texts()[3] == "节地生态安葬点(每乡镇至少 1 个)"  # from the API
    page.select_option("#c-target", "burial_site")
    page.wait_for_selector("body[data-coverage=burial_site]")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/print" in r.url else None)
    page.click("#print-btn")
    assert page.locator("#print-heading").input_value() == ""  # the server names a coverage map
    with page.expect_download(timeout=60_000) as download:
        page.click("#print-go")
    assert download.value.suggested_filename == "达标情况图.pdf"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(requests[0]).query)
    assert query["coverage"] == ["burial_site"]
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(["pdftotext", download.value.path(), "-"], capture_output=True, text=True).stdout
        assert "节地生态安葬点达标情况图" in text and "不足 50%" in text and "达标" in text
    assert page.errors == []


def test_the_naming_procedure_in_the_page_by_role(browser, live_server: str, tokens: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    def call(method: str, path: str, body: dict[str, Any], who: str) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{live_server}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {tokens[who]}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)  # type: ignore[no-any-return]

    bridge = {
        "name": "金清大桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106",
        "status": "proposed", "reason": "拟建", "geometry": {"type": "Point", "coordinates": [121.49, 28.525]},
    }  # fmt: skip
    name = call("POST", "/api/names", bridge, "地名科")
    page = _page(browser, live_server, "地名科")
    page.fill("#p-name-id", str(name["id"]))
    page.fill("#p-applicant", "金清镇人民政府")
    page.fill("#p-reasons", "新建跨金清港桥梁")
    page.click("#p-apply button[type=submit]")
    page.wait_for_selector("#p-message >> text=已申报:金清大桥")
    page.locator("#p-queue li", has_text="金清大桥").click()
    page.wait_for_selector("#p-detail:not([hidden]) h3")
    buttons = page.locator("#p-detail .p-steps button").all_inner_texts()
    assert buttons == ["受理"]  # an editor may not approve or refuse
    page.click("#p-detail button[data-step=accept]")
    page.click("#p-step-go")
    page.wait_for_selector("#p-message >> text=金清大桥:已受理(版本 2)")
    assert "受理人" in page.locator("#p-detail").inner_text() and "地名科" in page.locator("#p-detail").inner_text()
    pid = int(page.locator("#p-queue li").first.get_attribute("data-id") or 0)
    call("POST", f"/api/procedures/{pid}/steps", {"step": "review", "version": 2, "expert_opinion": "同意"}, "地名科")
    _shot(page, "page-procedure-editor")

    approver = _page(browser, live_server, "审批科")
    approver.locator("#p-queue li", has_text="金清大桥").click()
    approver.wait_for_selector("#p-detail .p-steps button")
    assert approver.locator("#p-detail .p-steps button").all_inner_texts() == ["批准", "不予批准"]
    approver.click("#p-detail button[data-step=approve]")
    approver.fill("#p-f-approval_ref", "路政地〔2026〕7号")
    approver.click("#p-step-go")
    approver.wait_for_selector("#p-message >> text=金清大桥:已批准(版本 4)")
    assert "批准文号" in approver.locator("#p-detail").inner_text()
    _shot(approver, "page-procedure-approver")
    assert page.errors == [] and approver.errors == []
