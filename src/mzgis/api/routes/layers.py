"""Layers: the list with counts, each layer's schema, and its features as GeoJSON (bbox, limit, offset)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request, Response

from mzgis.api.deps import SettingsDep, StoreDep
from mzgis.api.models import (
    ErrorOut,
    FeatureCollectionOut,
    FeatureId,
    FeatureOut,
    LayerOut,
    Offset,
    feature_out,
    layer_out,
)
from mzgis.crs import parse_bbox
from mzgis.layers import LAYERS, LIMITS, get_layer
from mzgis.store import Feature

__all__ = ["FeaturePage", "feature_page", "geojson_response", "lat_first_order", "router"]

router = APIRouter(prefix="/api/layers", tags=["图层 layers"])
_ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorOut}, 400: {"model": ErrorOut}}


@router.get("", response_model=list[LayerOut], summary="图层列表及要素数")
def list_layers(store: StoreDep) -> list[LayerOut]:
    return [layer_out(LAYERS[info.name], info) for info in store.layer_infos()]


@router.get("/{name}", response_model=LayerOut, responses=_ERRORS, summary="图层结构")
def layer_schema(name: str, store: StoreDep) -> LayerOut:
    layer = get_layer(name)
    info = next(i for i in store.layer_infos() if i.name == layer.name)
    return layer_out(layer, info)


@router.get("/{name}/features", response_model=FeatureCollectionOut, responses=_ERRORS, summary="图层要素 (GeoJSON)")
def layer_features(
    name: str,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy (EPSG:4490 经纬度)")] = None,
    limit: Annotated[int | None, Query(ge=1, le=LIMITS.largest_id, description="每页最多要素数")] = None,
    offset: Offset = 0,
) -> FeatureCollectionOut:
    page = feature_page(store, get_layer(name).name, request, parse_bbox(bbox), limit, offset, settings.max_features)
    return geojson_response(page)  # type: ignore[return-value]  # the model documents it; the bytes are built fast


@dataclass
class FeaturePage:
    """A page of features with its total and links (serialized by :func:`geojson_response`)."""

    features: list[Feature]
    number_matched: int
    links: list[dict[str, str]]


def lat_first_order(geoms: Any) -> Any:
    """Geometries (one, or an array) with each coordinate as latitude, longitude: EPSG:4490's axis order."""
    return shapely.transform(geoms, lambda xy: xy[:, ::-1])


def geojson_response(
    page: FeaturePage,
    media_type: str = "application/json",
    *,
    lat_first: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """The page as GeoJSON text, built directly: geometry strings from GEOS in one vectorized call and
    properties with the standard json module (no model per feature; the bbox endpoint's hot path).
    ``lat_first``: coordinates in latitude, longitude order (EPSG:4490's own axis order)."""
    shapes = np.array([f.geometry for f in page.features], dtype=object)
    if lat_first and len(shapes):
        shapes = lat_first_order(shapes)
    geoms = shapely.to_geojson(shapes)
    parts = []
    for f, g in zip(page.features, geoms, strict=True):
        props = dict(f.properties) | {"version": f.version, "updated_at": f.updated_at, "updated_by": f.updated_by}
        parts.append(
            f'{{"type":"Feature","id":{f.id},"geometry":{g if g is not None else "null"},'
            f'"properties":{json.dumps(props, ensure_ascii=False, default=str)}}}'
        )
    body = (
        f'{{"type":"FeatureCollection","features":[{",".join(parts)}],"numberMatched":{page.number_matched},'
        f'"numberReturned":{len(page.features)},"links":{json.dumps(page.links, ensure_ascii=False)}}}'
    )
    return Response(body.encode("utf-8"), media_type=media_type, headers=headers)


def feature_page(
    store: StoreDep,
    layer: str,
    request: Request,
    box: tuple[float, float, float, float] | None,
    limit: int | None,
    offset: int,
    max_features: int,
) -> FeaturePage:
    """One page of a layer, with the total and a next link (shared by /api and /ogc)."""
    page = min(limit or max_features, max_features)
    feats = store.features(layer, bbox=box, limit=page, offset=offset)
    matched = store.count(layer, bbox=box) if (offset or len(feats) == page) else offset + len(feats)
    links = [{"rel": "self", "href": str(request.url), "type": "application/geo+json"}]
    if offset + len(feats) < matched:
        nxt = request.url.include_query_params(offset=offset + len(feats), limit=page)
        links.append({"rel": "next", "href": str(nxt), "type": "application/geo+json"})
    return FeaturePage(feats, matched, links)


@router.get("/{name}/features/{fid}", response_model=FeatureOut, responses=_ERRORS, summary="单个要素")
def layer_feature(name: str, fid: FeatureId, store: StoreDep) -> FeatureOut:
    return feature_out(store.get(get_layer(name).name, fid))
