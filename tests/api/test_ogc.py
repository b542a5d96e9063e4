"""OGC API - Features, tested with GDAL itself (pyogrio's OAPIF driver) against the running app."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pyogrio
import pytest

TOKEN: list[str] = []


@pytest.fixture(autouse=True)
def _token(tokens: dict[str, str]) -> None:
    TOKEN[:] = [tokens["查看员"]]


def get(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN[0]}"})
    with urllib.request.urlopen(request) as resp:
        data: dict[str, Any] = json.loads(resp.read())
        return data


def test_reads_are_closed_without_a_token(live_server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{live_server}/ogc/collections")
    assert err.value.code == 401 and err.value.headers["WWW-Authenticate"] == 'Basic realm="mzgis", charset="UTF-8"'
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
    # exactly the facilities whose points lie in the box, by name (the store's own answer, filtered in Python)
    from shapely.geometry import box as rectangle

    area = rectangle(121.36, 28.56, 121.40, 28.60)
    expected = sorted(care[care.geometry.within(area) | care.geometry.touches(area)]["name"])
    assert sorted(box["name"]) == expected and 0 < len(expected) < 254


def test_items_paging_and_single_item(live_server: str) -> None:
    page = get(f"{live_server}/ogc/collections/eldercare_facilities/items?limit=10&offset=5")
    assert page["numberReturned"] == 10 and page["numberMatched"] == 254
    assert any(link["rel"] == "next" for link in page["links"])
    one = get(f"{live_server}/ogc/collections/admin_units/items/1")
    assert one["properties"]["name"] == "椒江区"


def _basic(name: str, secret: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()}


def test_http_basic_with_a_password_or_a_token(live_server: str, tokens: dict[str, str]) -> None:
    """QGIS's OGC API provider sends HTTP Basic from an authentication configuration (not a bearer header)."""
    from tests.conftest import PASSWORD

    for secret in (PASSWORD, tokens["查看员"]):
        request = urllib.request.Request(f"{live_server}/ogc/collections", headers=_basic("查看员", secret))
        with urllib.request.urlopen(request) as resp:
            assert {c["id"] for c in json.load(resp)["collections"]} >= {"place_names", "admin_units"}
    for name, secret in (("查看员", "wrong-password"), ("地名科", tokens["查看员"])):  # another's token is no key
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(
                urllib.request.Request(f"{live_server}/ogc/collections", headers=_basic(name, secret))
            )
        assert err.value.code == 401 and "用户名或密码不正确" in json.loads(err.value.read())["message"]
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"查看员:{tokens['查看员']}"})
    try:
        assert "place_names" in {str(n) for n, _ in pyogrio.list_layers(f"OAPIF:{live_server}/ogc")}
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_USERPWD": None})


def test_collections_offer_cgcs2000_in_its_own_axis_order(live_server: str, tokens: dict[str, str]) -> None:
    """OGC API - Features Part 2: CRS84 by default, EPSG:4490 on request (latitude first, as EPSG defines it)."""
    from tests.conftest import bearer

    cgcs = "http://www.opengis.net/def/crs/EPSG/0/4490"

    def fetch(url: str) -> tuple[dict[str, Any], str]:
        with urllib.request.urlopen(urllib.request.Request(url, headers=bearer(tokens["查看员"]))) as resp:
            return json.load(resp), resp.headers["Content-Crs"]

    collection, _ = fetch(f"{live_server}/ogc/collections/eldercare_facilities")
    assert collection["storageCrs"] == cgcs and cgcs in collection["crs"]
    default, default_crs = fetch(f"{live_server}/ogc/collections/eldercare_facilities/items?limit=5")
    lat_first, crs = fetch(f"{live_server}/ogc/collections/eldercare_facilities/items?limit=5&crs={cgcs}")
    assert default_crs == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" and crs == f"<{cgcs}>"
    lonlat = [f["geometry"]["coordinates"] for f in default["features"]]
    latlon = [f["geometry"]["coordinates"] for f in lat_first["features"]]
    assert latlon == [[lat, lon] for lon, lat in lonlat] and 121 < lonlat[0][0] < 122 and 28 < lonlat[0][1] < 29
    lon, lat = lonlat[0]
    box = f"{lat - 1e-6},{lon - 1e-6},{lat + 1e-6},{lon + 1e-6}"  # bbox-crs EPSG:4490: latitude first too
    near, _ = fetch(f"{live_server}/ogc/collections/eldercare_facilities/items?bbox={box}&bbox-crs={cgcs}")
    assert [f["geometry"]["coordinates"] for f in near["features"]] == [[lon, lat]]
    one, one_crs = fetch(
        f"{live_server}/ogc/collections/eldercare_facilities/items/{default['features'][0]['id']}?crs={cgcs}"
    )
    assert one["geometry"]["coordinates"] == [lat, lon] and one_crs == f"<{cgcs}>"
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(f"{live_server}/ogc/collections/eldercare_facilities/items?crs=EPSG:3857")
    assert err.value.code == 400 and "crs 只支持" in json.loads(err.value.read())["message"]
