"""OGC API - Features, tested with GDAL itself (pyogrio's OAPIF driver) against the running app."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pyogrio
import pytest

TOKEN: list[str] = []


@pytest.fixture(autouse=True)
def _token(tokens: dict[str, str]) -> None:
    TOKEN[:] = [tokens["查看员"]]


def get(url: str) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN[0]}"})
    with urllib.request.urlopen(request) as resp:
        return json.loads(resp.read())


def test_reads_are_closed_without_a_token(live_server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{live_server}/ogc/collections")
    assert err.value.code == 401 and err.value.headers["WWW-Authenticate"] == "Bearer"
    assert json.loads(err.value.read())["message"] == "请先登录"
    with pytest.raises(pyogrio.errors.DataSourceError, match="401"):
        pyogrio.list_layers(f"OAPIF:{live_server}/ogc")


def test_landing_conformance_collections(live_server: str) -> None:
    landing = get(f"{live_server}/ogc")
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in get(f"{live_server}/ogc/conformance")["conformsTo"]
    )
    collections = get(f"{live_server}/ogc/collections")["collections"]
    assert {c["id"] for c in collections} == {
        "admin_units",
        "place_names",
        "eldercare_facilities",
        "community_complexes",
        "burial_sites",
        "boundary_lines",
        "boundary_markers",
    }
    units = next(c for c in collections if c["id"] == "admin_units")
    assert units["title"] == "行政区划" and len(units["extent"]["spatial"]["bbox"][0]) == 4


def test_gdal_opens_the_collections(live_server: str, gdal_signed_in: None) -> None:
    layers = {str(name) for name, _ in pyogrio.list_layers(f"OAPIF:{live_server}/ogc")}
    assert {"admin_units", "boundary_markers", "eldercare_facilities"} <= layers
    markers = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="boundary_markers")
    assert len(markers) == 75 and "路黄01" in set(markers["marker_id"])
    # paging: GDAL follows the next links page by page
    care = pyogrio.read_dataframe(f"OAPIF:{live_server}/ogc", layer="eldercare_facilities")
    assert len(care) == 254 and "路桥敬老院" in set(care["name"])
    box = pyogrio.read_dataframe(
        f"OAPIF:{live_server}/ogc", layer="eldercare_facilities", bbox=(121.36, 28.56, 121.40, 28.60)
    )
    assert 0 < len(box) < 254


def test_items_paging_and_single_item(live_server: str) -> None:
    page = get(f"{live_server}/ogc/collections/eldercare_facilities/items?limit=10&offset=5")
    assert page["numberReturned"] == 10 and page["numberMatched"] == 254
    assert any(link["rel"] == "next" for link in page["links"])
    one = get(f"{live_server}/ogc/collections/admin_units/items/1")
    assert one["properties"]["name"] == "椒江区"
