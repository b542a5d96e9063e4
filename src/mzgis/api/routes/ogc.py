"""OGC API - Features, Part 1 (read-only) at /ogc, so QGIS and GDAL open the layers directly:
landing page, conformance, collections, items (bbox, limit, offset; GeoJSON) and single items."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from mzgis.api.deps import SettingsDep, StoreDep
from mzgis.api.models import FeatureId, Offset, feature_out
from mzgis.api.routes.layers import feature_page, geojson_response, lat_first_order
from mzgis.crs import BBOX_ANY_AXES_PATTERN, STORAGE_EPSG, parse_bbox
from mzgis.errors import BadInput, NotFound
from mzgis.layers import LAYERS

__all__ = ["router"]

router = APIRouter(prefix="/ogc", tags=["OGC API Features"])
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = f"http://www.opengis.net/def/crs/EPSG/0/{STORAGE_EPSG}"  # axis order latitude, longitude
CRS_LIST = [CRS84, CGCS2000]
_CRS_ENUM: dict[str, Any] = {"enum": CRS_LIST}  # stated in the schema, checked by _crs with its own message


def _crs(value: str | None, what: str) -> str:
    """A supported CRS URI (CRS84 by default), or BadInput naming the ones offered."""
    crs = CRS84 if value is None else value
    if crs not in CRS_LIST:
        raise BadInput(f"{what}只支持 {'、'.join(CRS_LIST)}", f"{what} must be one of {', '.join(CRS_LIST)}")
    return crs


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
        "crs": CRS_LIST,
        "storageCrs": CGCS2000,
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


# what items and single items answer: GeoJSON under its own media type (declared, so clients and the
# schemathesis run know it)
_GEOJSON_200: dict[int | str, dict[str, Any]] = {200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}}


@router.get("/collections/{name}/items", summary="要素(GeoJSON)", response_class=Response, responses=_GEOJSON_200)
def items(
    name: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy (CRS84), or in bbox-crs",
            json_schema_extra={"pattern": BBOX_ANY_AXES_PATTERN},
        ),
    ] = None,
    bbox_crs: Annotated[
        str | None,
        Query(alias="bbox-crs", description="bbox 的坐标系 (CRS84 或 EPSG:4490)", json_schema_extra=_CRS_ENUM),
    ] = None,
    crs: Annotated[
        str | None,
        Query(description="输出坐标系:CRS84(默认,经度在前)或 EPSG:4490(纬度在前)", json_schema_extra=_CRS_ENUM),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    offset: Offset = 0,
) -> Response:
    out_crs, box_crs = _crs(crs, "crs "), _crs(bbox_crs, "bbox-crs ")
    box = parse_bbox(bbox, lonlat=False)  # the axis order follows bbox-crs
    if box is not None and box_crs == CGCS2000:  # given in EPSG:4490's order: latitude first
        box = (box[1], box[0], box[3], box[2])
    page = feature_page(store, _known(name), request, box, limit, offset, settings.max_features)
    return geojson_response(
        page, media_type=GEOJSON, lat_first=out_crs == CGCS2000, headers={"Content-Crs": f"<{out_crs}>"}
    )


@router.get("/collections/{name}/items/{fid}", summary="单个要素", response_class=JSONResponse, responses=_GEOJSON_200)
def item(
    name: str,
    fid: FeatureId,
    request: Request,
    store: StoreDep,
    crs: Annotated[
        str | None, Query(description="输出坐标系:CRS84(默认)或 EPSG:4490", json_schema_extra=_CRS_ENUM)
    ] = None,
) -> JSONResponse:
    out_crs = _crs(crs, "crs ")
    feature = store.get(_known(name), fid)
    if out_crs == CGCS2000 and feature.geometry is not None:
        feature = replace(feature, geometry=lat_first_order(feature.geometry))
    out = feature_out(feature).model_dump()
    out["links"] = [
        {"rel": "self", "type": GEOJSON, "href": str(request.url)},
        {"rel": "collection", "type": "application/json", "href": f"{_base(request)}/ogc/collections/{name}"},
    ]
    return JSONResponse(out, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs}>"})
