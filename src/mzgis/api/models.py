"""Response models of the API (pydantic), derived from the layer model where they describe layers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, Field

from mzgis.api.contract import TextRule
from mzgis.layers import LIMITS, Layer
from mzgis.store import Feature, LayerInfo

__all__ = [
    "COMMON_ERRORS",
    "ErrorOut",
    "FeatureCollectionOut",
    "FeatureId",
    "FeatureOut",
    "FieldOut",
    "HealthOut",
    "IdIn",
    "IsoDate",
    "LayerOut",
    "Offset",
    "ReasonIn",
    "feature_out",
    "layer_out",
]


# ids, versions and offsets beyond what JSON carries exactly are refused as input errors, never an overflow
FeatureId = Annotated[int, Path(ge=1, le=LIMITS.json_integer, description="要素编号")]
Offset = Annotated[int, Query(ge=0, le=LIMITS.json_integer, description="跳过的要素数")]
IdIn = Annotated[int, Field(ge=1, le=LIMITS.json_integer)]
ReasonIn = Annotated[str, TextRule(LIMITS.reason_chars, multiline=True, description="修改说明")]


def _iso_date(value: Any) -> Any:
    """A date as the schema says (``YYYY-MM-DD``): pydantic would also take a number of seconds (``0`` is
    1970-01-01), which is never what an officer meant."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("应为日期 YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class ErrorOut(BaseModel):
    error: str = Field(
        description="错误类别 kind: bad_input(不符合接口文档), rule_violation(违反规则), not_found, conflict,"
        " version_required(未给出版本号), not_signed_in, forbidden, too_large, busy …"
    )
    message: str = Field(description="中文说明")
    message_en: str
    details: dict[str, Any] = {}


# What any route may answer besides its own statuses, all in the ErrorOut shape (documented for clients
# and checked by the schemathesis run): bad input, not signed in, not allowed, not found, conflict, too
# large, rule violation or invalid parameters, the data file busy or unusable.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "输入有误"},
    401: {"model": ErrorOut, "description": "未登录或登录已失效"},
    403: {"model": ErrorOut, "description": "无此权限"},
    404: {"model": ErrorOut, "description": "没有该对象"},
    409: {"model": ErrorOut, "description": "冲突(版本过期或重复),未作修改"},
    413: {"model": ErrorOut, "description": "请求过大"},
    422: {"model": ErrorOut, "description": "参数不合法或违反规则"},
    503: {"model": ErrorOut, "description": "数据文件正被其他程序写入或无法使用;见 Retry-After"},
}


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
    database: str
    layers: int
    backend: Literal["geopackage", "postgis"] = Field(description="数据存储:GeoPackage 文件或 PostGIS 数据库")
    workers: int = Field(description="服务进程数(mzgis serve --workers)")
    worker: int = Field(description="答复本次请求的服务进程号")


class FieldOut(BaseModel):
    name: str
    type: str
    label_zh: str
    required: bool
    unique: bool
    choices: list[str] = []
    choice_labels_zh: list[str] = []
    choice_colours: list[str] = Field([], description="the colour each choice is drawn in (map, legend, QGIS project)")
    description: str = ""
    derived: bool = Field(False, description="worked out by mzgis from other fields (not shown or edited in forms)")


class LayerOut(BaseModel):
    name: str
    label_zh: str
    geometry: str | None = Field(description="GeoPackage geometry type; null for attribute tables")
    count: int
    extent: list[float] | None = Field(None, description="[minx, miny, maxx, maxy] in EPSG:4490")
    fields: list[FieldOut]


class FeatureOut(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollectionOut(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureOut]
    numberMatched: int = Field(description="features matching the filter (all pages)")
    numberReturned: int
    links: list[dict[str, str]] = []


def layer_out(layer: Layer, info: LayerInfo) -> LayerOut:
    return LayerOut(
        name=layer.name,
        label_zh=layer.label_zh,
        geometry=layer.geometry,
        count=info.count,
        extent=list(info.extent) if info.extent else None,
        fields=[
            FieldOut(
                name=f.name,
                type=f.type,
                label_zh=f.label_zh,
                required=f.required,
                unique=f.unique,
                choices=list(f.choices),
                choice_labels_zh=list(f.choice_labels_zh),
                choice_colours=list(f.choice_colours),
                description=f.description,
                derived=f.derived,
            )
            for f in layer.fields
        ],
    )


def feature_out(feature: Feature) -> FeatureOut:
    import json

    import shapely

    geometry = None if feature.geometry is None else json.loads(shapely.to_geojson(feature.geometry))
    props = dict(feature.properties) | {
        "version": feature.version,
        "updated_at": feature.updated_at,
        "updated_by": feature.updated_by,
    }
    return FeatureOut(id=feature.id, geometry=geometry, properties=props)
