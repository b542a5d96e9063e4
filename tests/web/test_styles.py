"""One look everywhere: a colour changed in the layer model (an eldercare kind) and in the styles (the
townships' fill) shows in the page, the print map and the QGIS project, none of which holds its own copy."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import serving
from tests.web.test_page import _page, browser  # noqa: F401  (the browser fixture)

INSTITUTION = "#123456"  # 养老机构, in place of the layer model's colour
TOWNSHIP_FILL = "#654321"


def recolour() -> None:
    """Change the two colours in this process (the server runs this before it starts)."""
    from mzgis.layers import LAYERS
    from mzgis.styles import STYLES

    kind = LAYERS["eldercare_facilities"].field("kind")
    object.__setattr__(kind, "choice_colours", (INSTITUTION, *kind.choice_colours[1:]))
    STYLES["township_fill"] = TOWNSHIP_FILL


@pytest.fixture
def recoloured_server(demo_path: Path, tokens: dict[str, str]) -> Iterator[str]:
    with serving(demo_path, prelude="from tests.web.test_styles import recolour; recolour()") as url:
        yield url


def _has_colour(png: bytes, hex_colour: str) -> int:
    """How many pixels of the PNG are exactly ``hex_colour``."""
    import matplotlib.image

    rgb = np.round(matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(int)
    want = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return int((rgb == want).all(axis=-1).sum())


def test_a_colour_changed_in_the_model_shows_in_the_page_the_print_map_and_the_qgis_project(  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    recoloured_server: str,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = _page(browser, recoloured_server, "查看员")
    assert page.locator(f'path[fill="{INSTITUTION}"]').count() > 0  # the institutions' markers
    assert page.locator(f'path[fill="{TOWNSHIP_FILL}"]').count() == 12  # 路桥区's townships
    legend = page.locator(".legend").inner_html()
    assert f"background:{INSTITUTION}" in legend  # the legend from the same model
    assert page.errors == []

    request = urllib.request.Request(
        f"{recoloured_server}/api/print?format=png", headers={"Authorization": f"Bearer {tokens['查看员']}"}
    )
    with urllib.request.urlopen(request, timeout=120) as resp:
        png = resp.read()
    assert _has_colour(png, INSTITUTION) > 20  # markers and their legend swatch

    from mzgis.io.qgis_project import qgis_project_xml
    from mzgis.layers import LAYERS
    from mzgis.styles import STYLES

    kind = LAYERS["eldercare_facilities"].field("kind")
    monkeypatch.setitem(STYLES, "township_fill", TOWNSHIP_FILL)
    before = kind.choice_colours
    object.__setattr__(kind, "choice_colours", (INSTITUTION, *before[1:]))
    try:
        xml = qgis_project_xml("./demo.gpkg", title="路桥区", extent=None).decode()
    finally:
        object.__setattr__(kind, "choice_colours", before)
    assert 'name="color" value="18,52,86,' in xml  # the institutions' markers (with the page's opacity)
    assert 'value="101,67,33,' in xml  # the townships' fill


def test_the_pages_choices_come_from_the_server(browser, live_server: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Roles, export formats, facility types, papers, statuses and levels: the page writes none of them."""
    import json

    with urllib.request.urlopen(f"{live_server}/api/config", timeout=10) as resp:
        config = json.load(resp)
    assert list(config["roles"]) == ["viewer", "planner", "editor", "approver", "admin"]
    page = _page(browser, live_server, "管理员")

    def values(select: str) -> list[str]:
        return [str(v) for v in page.locator(f"{select} option").evaluate_all("(os) => os.map((o) => o.value)")]

    assert values("#n-format") == list(config["exports"]) == [
        "xlsx", "csv", "geojson", "gpkg", "census-xlsx", "census-csv",
    ]  # fmt: skip
    assert values("#c-type") == list(config["facility_types"])
    assert values("#print-paper") == config["papers"] == ["A4", "A3"]
    assert values("#print-format") == list(config["print_formats"]) == ["pdf", "png"]
    assert values("#print-orient") == list(config["print_orientations"]) == ["landscape", "portrait"]
    assert values("#u-role") == list(config["roles"])
    assert values("#f-status") == ["current", "proposed"]  # retiring is a step of its own
    assert values("#b-level") == ["township", "village"] and page.locator("#b-level").input_value() == "village"
    assert page.errors == []
