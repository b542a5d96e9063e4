from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mzgis.api import create_app
from mzgis.api.models import ErrorOut, FeatureCollectionOut, FeatureOut, HealthOut, LayerOut
from mzgis.settings import Settings
from mzgis.store import open_store
from tests.conftest import bearer


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(db=demo_db, max_features=100, _env_file=None)
    with TestClient(create_app(settings), headers=bearer(db_tokens["查看员"])) as c:
        yield c


def test_health(client: TestClient, demo_db: Path | str) -> None:
    health = HealthOut.model_validate(client.get("/api/health").json())
    assert health.status == "ok" and health.layers == 9
    # the file's or database's name only (not where it lives, nor who connects): health is open before sign-in
    expected = "demo.gpkg" if isinstance(demo_db, Path) else str(demo_db).rsplit("/", 1)[-1]
    assert health.database == expected and "postgres@" not in health.database


def test_layers_with_counts_match_the_store(client: TestClient, demo_db: Path | str) -> None:
    layers = [LayerOut.model_validate(x) for x in client.get("/api/layers").json()]
    store = open_store(demo_db)
    assert {x.name: x.count for x in layers} == {i.name: i.count for i in store.layer_infos()}
    units = next(x for x in layers if x.name == "admin_units")
    assert units.label_zh == "行政区划" and units.geometry == "MULTIPOLYGON"
    assert [f.name for f in units.fields][:4] == ["code", "name", "level", "parent_code"]
    assert units.extent is not None and units.extent[0] < 121.3


def test_features_as_geojson_with_bbox_and_paging(client: TestClient, demo_db: Path | str) -> None:
    store = open_store(demo_db)
    box = (121.36, 28.56, 121.40, 28.60)
    expected = [f.id for f in store.features("eldercare_facilities", bbox=box)]
    assert 5 < len(expected) < 100
    resp = client.get("/api/layers/eldercare_facilities/features", params={"bbox": ",".join(map(str, box)), "limit": 5})
    assert resp.status_code == 200
    page = FeatureCollectionOut.model_validate(resp.json())
    assert [f.id for f in page.features] == expected[:5]
    assert page.numberMatched == len(expected) and page.numberReturned == 5
    assert page.features[0].geometry is not None and page.features[0].geometry["type"] == "Point"
    assert page.features[0].properties["version"] == 1
    nxt = next(link["href"] for link in page.links if link["rel"] == "next")
    second = FeatureCollectionOut.model_validate(client.get(nxt).json())
    assert [f.id for f in second.features] == expected[5:10]


def test_pages_never_exceed_the_configured_maximum(client: TestClient) -> None:
    page = FeatureCollectionOut.model_validate(client.get("/api/layers/eldercare_facilities/features").json())
    assert page.numberReturned == 100 and page.numberMatched == 254


def test_single_feature_and_attribute_table(client: TestClient) -> None:
    one = FeatureOut.model_validate(client.get("/api/layers/admin_units/features/1").json())
    assert one.properties["code"] == "331002" and one.properties["name"] == "椒江区"
    pop = FeatureCollectionOut.model_validate(client.get("/api/layers/population/features?limit=2").json())
    assert pop.features[0].geometry is None and pop.features[0].properties["year"] == 2020


@pytest.mark.parametrize(
    ("url", "status", "kind", "message"),
    [
        ("/api/layers/roads/features", 404, "not_found", "没有图层“roads”"),
        ("/api/layers/admin_units/features/9999", 404, "not_found", "没有编号为 9999 的要素"),
        ("/api/layers/admin_units/features?bbox=1,2,3", 400, "bad_input", "bbox “1,2,3”格式不对"),
        ("/api/layers/admin_units/features?limit=0", 422, "bad_input", "请求参数不合法"),
    ],
)
def test_errors_are_mapped_with_chinese_messages(
    client: TestClient, url: str, status: int, kind: str, message: str
) -> None:
    resp = client.get(url)
    assert resp.status_code == status
    err = ErrorOut.model_validate(resp.json())
    assert err.error == kind and message in err.message


def test_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {
        "/api/health",
        "/api/layers",
        "/api/layers/{name}",
        "/api/layers/{name}/features",
        "/api/layers/{name}/features/{fid}",
    } <= set(spec["paths"])
    assert "FeatureCollectionOut" in spec["components"]["schemas"]


def test_docs_need_no_internet(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "/static/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_docs_run_their_one_inline_script_by_nonce_only(client: TestClient) -> None:
    resp = client.get("/docs")
    policy = resp.headers["Content-Security-Policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in resp.text and "<script>" not in resp.text
    assert client.get("/docs").headers["Content-Security-Policy"] != policy  # a new nonce per response
    page = client.get("/")
    assert "nonce" not in page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]


def test_index_page_is_chinese_and_local(client: TestClient) -> None:
    html = client.get("/").text
    assert "mzgis 民政 GIS 工作台" in html and "查地名" in html
    assert '<script src="/static/leaflet/leaflet.js">' in html and "http" not in html
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
    assert client.get("/web/app.js").status_code == 200


def test_an_invalid_database_gives_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpkg"
    bad.write_text("x", encoding="utf-8")
    settings = Settings(db=bad, _env_file=None)
    from mzgis.errors import InvalidStore

    with pytest.raises(InvalidStore), TestClient(create_app(settings)):
        pass


def test_gdal_reads_a_layer_from_the_running_app(live_server: str, gdal_signed_in: None) -> None:
    """GDAL as a client: the GeoJSON endpoint of a real server opens in pyogrio with the Chinese names."""
    import pyogrio

    frame = pyogrio.read_dataframe(f"{live_server}/api/layers/community_complexes/features")
    assert sorted(frame["name"]) == ["和兴社区城市社区服务综合体", "小伍份村农村社区服务综合体"]
    assert frame.crs.to_epsg() == 4326  # GeoJSON's lon/lat, equal to CGCS2000 within centimetres


def test_a_wrong_method_is_told_every_method_the_path_answers_to(client: TestClient) -> None:
    """405 with ``Allow`` naming every route of the path (Starlette's own names the first route's only), and
    a path that is no name's number is not taken for one."""
    allowed = {
        ("OPTIONS", "/api/names"): "GET, POST",
        ("DELETE", "/api/names/1"): "GET, PATCH",
        ("PATCH", "/api/names/subcategories"): "GET",
        ("PUT", "/api/procedures/1/documents"): "GET, POST",
        ("DELETE", "/ogc/collections"): "GET",
    }
    for (method, path), allow in allowed.items():
        resp = client.request(method, path)
        assert (resp.status_code, resp.headers.get("allow")) == (405, allow), (method, path)
        assert resp.json()["message"] == "该地址不支持这种请求方法"
