"""Layers: the list with counts, each layer's schema, and its features as GeoJSON (bbox, limit, offset)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from mzgis.api.deps import SettingsDep, StoreDep
from mzgis.api.models import ErrorOut, FeatureCollectionOut, FeatureOut, LayerOut, feature_out, layer_out
from mzgis.errors import BadInput
from mzgis.layers import LAYERS, get_layer

__all__ = ["feature_page", "parse_bbox", "router"]

router = APIRouter(prefix="/api/layers", tags=["图层 layers"])
_ERRORS: dict[int | str, dict[str, object]] = {404: {"model": ErrorOut}, 400: {"model": ErrorOut}}


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minx,miny,maxx,maxy`` in lon/lat → a tuple; a malformed box is a :class:`BadInput`."""
    if text is None or text.strip() == "":
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise BadInput(
            f"bbox “{text}”格式不对:应为 最小经度,最小纬度,最大经度,最大纬度",
            "bbox must be minx,miny,maxx,maxy with min <= max",
        )
    return parts[0], parts[1], parts[2], parts[3]


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
    limit: Annotated[int | None, Query(ge=1, description="每页最多要素数")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> FeatureCollectionOut:
    return feature_page(store, get_layer(name).name, request, parse_bbox(bbox), limit, offset, settings.max_features)


def feature_page(
    store: StoreDep,
    layer: str,
    request: Request,
    box: tuple[float, float, float, float] | None,
    limit: int | None,
    offset: int,
    max_features: int,
) -> FeatureCollectionOut:
    """One page of a layer as GeoJSON, with the total and a next link (shared by /api and /ogc)."""
    page = min(limit or max_features, max_features)
    feats = store.features(layer, bbox=box, limit=page, offset=offset)
    matched = store.count(layer, bbox=box) if (offset or len(feats) == page) else offset + len(feats)
    links = [{"rel": "self", "href": str(request.url), "type": "application/geo+json"}]
    if offset + len(feats) < matched:
        nxt = request.url.include_query_params(offset=offset + len(feats), limit=page)
        links.append({"rel": "next", "href": str(nxt), "type": "application/geo+json"})
    return FeatureCollectionOut(
        features=[feature_out(f) for f in feats],
        numberMatched=matched,
        numberReturned=len(feats),
        links=links,
    )


@router.get("/{name}/features/{fid}", response_model=FeatureOut, responses=_ERRORS, summary="单个要素")
def layer_feature(name: str, fid: int, store: StoreDep) -> FeatureOut:
    return feature_out(store.get(get_layer(name).name, fid))
