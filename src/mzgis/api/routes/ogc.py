"""OGC API - Features, Part 1 (read-only) at /ogc, so QGIS and GDAL open the layers directly:
landing page, conformance, collections, items (bbox, limit, offset; GeoJSON) and single items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from mzgis.api.deps import SettingsDep, StoreDep
from mzgis.api.models import FeatureId, Offset, feature_out
from mzgis.api.routes.layers import feature_page, geojson_response, parse_bbox
from mzgis.errors import NotFound
from mzgis.layers import LAYERS

__all__ = ["router"]

router = APIRouter(prefix="/ogc", tags=["OGC API Features"])
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
SPATIAL = [name for name, layer in LAYERS.items() if layer.geometry]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _collection(request: Request, name: str, extent: tuple[float, float, float, float] | None) -> dict[str, Any]:
    base = _base(request)
    layer = LAYERS[name]
    out: dict[str, Any] = {
        "id": name,
        "title": layer.label_zh,
        "description": layer.description or layer.label_zh,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "links": [
            {"rel": "self", "type": "application/json", "href": f"{base}/ogc/collections/{name}"},
            {"rel": "items", "type": GEOJSON, "href": f"{base}/ogc/collections/{name}/items"},
        ],
    }
    if extent is not None:
        out["extent"] = {"spatial": {"bbox": [list(extent)], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}}
    return out


def _known(name: str) -> str:
    if name not in SPATIAL:
        raise NotFound(f"没有要素集合“{name}”", f"no collection {name!r}")
    return name


@router.get("", summary="OGC API 入口")
def landing(request: Request) -> dict[str, Any]:
    base = _base(request)
    return {
        "title": "mzgis OGC API - Features",
        "description": "区县民政局 GIS 工作台的图层(只读),坐标为 CGCS2000 经纬度(与 WGS 84 相差厘米级)。",
        "links": [
            {"rel": "self", "type": "application/json", "href": f"{base}/ogc"},
            {
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "href": f"{base}/openapi.json",
            },
            {"rel": "service-doc", "type": "text/html", "href": f"{base}/docs"},
            {"rel": "conformance", "type": "application/json", "href": f"{base}/ogc/conformance"},
            {"rel": "data", "type": "application/json", "href": f"{base}/ogc/collections"},
        ],
    }


@router.get("/conformance", summary="一致性声明")
def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", summary="要素集合")
def collections(request: Request, store: StoreDep) -> dict[str, Any]:
    extents = {i.name: i.extent for i in store.layer_infos()}
    return {
        "links": [{"rel": "self", "type": "application/json", "href": f"{_base(request)}/ogc/collections"}],
        "collections": [_collection(request, name, extents.get(name)) for name in SPATIAL],
    }


@router.get("/collections/{name}", summary="一个要素集合")
def collection(name: str, request: Request, store: StoreDep) -> dict[str, Any]:
    extents = {i.name: i.extent for i in store.layer_infos()}
    return _collection(request, _known(name), extents.get(name))


@router.get("/collections/{name}/items", summary="要素(GeoJSON)")
def items(
    name: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (CRS84)")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    offset: Offset = 0,
) -> Response:
    page = feature_page(store, _known(name), request, parse_bbox(bbox), limit, offset, settings.max_features)
    return geojson_response(page, media_type=GEOJSON)


@router.get("/collections/{name}/items/{fid}", summary="单个要素")
def item(name: str, fid: FeatureId, request: Request, store: StoreDep) -> JSONResponse:
    out = feature_out(store.get(_known(name), fid)).model_dump()
    out["links"] = [
        {"rel": "self", "type": GEOJSON, "href": str(request.url)},
        {"rel": "collection", "type": "application/json", "href": f"{_base(request)}/ogc/collections/{name}"},
    ]
    return JSONResponse(out, media_type=GEOJSON)
