"""The API's input types: what the OpenAPI document states of a value is what the server checks of it, no
more and no less. A request the schema calls well formed is then never refused as malformed (a 400, or a
422 of kind ``bad_input``); what it still may be refused for is a rule of the register (422
``rule_violation``), the state of the data (404, 409) or the user's rights (401, 403). The schemathesis run
holds the server to it (tests/hostile/test_api_fuzz.py).

The text types validate here, with the same test as the store (:func:`mzgis.text.text_problem`), and state
it as a pattern built from that test (:func:`mzgis.text.refused_class`); layer fields take their length,
choices and code pattern from the layer model."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import BaseModel, BeforeValidator, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from mzgis.crs import CHINA_BOUNDS, check_lonlat
from mzgis.errors import BadInput, RuleViolation
from mzgis.layers import DEFAULT_TEXT_LIMIT, Layer, value_words
from mzgis.text import refused_class, text_problem

__all__ = [
    "IF_MATCH_PATTERN",
    "GeometryIn",
    "GeometryModel",
    "Lat",
    "Lon",
    "TextRule",
    "accepted_spellings",
    "layer_text",
    "lonlat_first",
    "text_pattern",
]

_FULL_WIDTH_SPACE = "\\u3000"
_SPACE = re.compile(r"\s")


@cache
def text_pattern(
    *, multiline: bool = False, required: bool = False, full_width_space: bool = True, spaces: bool = True
) -> str:
    """A pattern for the text the API's text types accept: none of the refused characters and, when
    ``required``, something besides white space; no white space at all unless ``spaces``."""
    refused = refused_class(multiline) + ("" if full_width_space else _FULL_WIDTH_SPACE)
    if not spaces:
        return f"^[^\\s{refused}]{'+' if required else '*'}$"
    if not required:
        return f"^[^{refused}]*$"
    return f"^[^{refused}]*[^\\s{refused}][^{refused}]*$"


@dataclass(frozen=True)
class TextRule:
    """Text as the server takes it, for ``Annotated[str, TextRule(…)]``: at most ``max_length`` characters,
    without control, invisible or unencodable characters (line breaks and tabs when ``multiline``; no
    full-width space unless ``full_width_space``; no white space at all unless ``spaces``); not blank when
    ``required``; one of ``choices`` or matching ``pattern`` when given. Checked here, stated in the schema."""

    max_length: int
    required: bool = False
    multiline: bool = False
    full_width_space: bool = True
    spaces: bool = True
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    description: str = ""

    def check(self, value: str | None) -> str | None:
        if value is None:  # an optional text left out
            return None
        if len(value) > self.max_length:
            raise ValueError(f"过长(最多 {self.max_length} 个字符)")
        problem = text_problem(value, multiline=self.multiline)
        if problem:
            raise ValueError(problem)
        if not self.full_width_space and "\u3000" in value:
            raise ValueError("含全角空格")
        if not self.spaces and _SPACE.search(value):
            raise ValueError("不能含空格")
        if self.required and not value.strip():
            raise ValueError("不能为空")
        if self.choices and value not in self.choices:
            raise ValueError("应为以下之一:" + "、".join(self.choices))
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError("格式不对(应为 6、9 或 12 位数字)")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out = handler(schema)
        out["maxLength"] = self.max_length
        if self.choices:
            out["enum"] = list(self.choices)
        else:
            out["pattern"] = self.pattern or text_pattern(
                multiline=self.multiline,
                required=self.required,
                full_width_space=self.full_width_space,
                spaces=self.spaces,
            )
        if self.description:
            out["description"] = self.description
        return out


def accepted_spellings(layer: Layer, name: str) -> tuple[str, ...]:
    """The values a choice field takes: its codes, their Chinese names and the everyday words for them
    (what :func:`mzgis.layers.coerce_value` reads)."""
    f = layer.field(name)
    words = [w for w, code in value_words(name).items() if code in f.choices]
    return tuple(dict.fromkeys([*f.choices, *f.choice_labels_zh, *words]))


def layer_text(layer: Layer, name: str, *, required: bool | None = None, spaces: bool = True) -> TextRule:
    """A text field of ``layer`` as the layer model bounds it: its length, its choices (codes, Chinese names
    or everyday words), its code pattern; required as the layer says unless ``required`` is given; no white
    space at all unless ``spaces`` (a place name)."""
    f = layer.field(name)
    assert f.type == "text" and not f.plain, f"{layer.name}.{name}: no API type for it yet"
    return TextRule(
        f.length_limit or DEFAULT_TEXT_LIMIT,
        required=f.required if required is None else required,
        multiline=f.multiline,
        full_width_space=f.multiline,
        spaces=spaces,
        choices=accepted_spellings(layer, name) if f.choices else (),
        pattern=f.pattern,
        description=f.label_zh,
    )


# ------------------------------------------------------------------ coordinates and geometries

_W, _S, _E, _N = CHINA_BOUNDS
Lon = Annotated[float, Field(ge=_W, le=_E, description="经度(中国范围内)")]
Lat = Annotated[float, Field(ge=_S, le=_N, description="纬度(中国范围内)")]


Position = tuple[Lon, Lat]  # (a height is named by parse_geometry first: see GeometryIn)
Line = Annotated[list[Position], Field(min_length=2)]
Ring = Annotated[list[Position], Field(min_length=4, description="闭合的环:首尾坐标相同")]
Rings = Annotated[list[Ring], Field(min_length=1)]


class _Geometry(BaseModel):
    def as_geojson(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class PointIn(_Geometry):
    type: Literal["Point"]
    coordinates: Position


class MultiPointIn(_Geometry):
    type: Literal["MultiPoint"]
    coordinates: Annotated[list[Position], Field(min_length=1)]


class LineStringIn(_Geometry):
    type: Literal["LineString"]
    coordinates: Line


class MultiLineStringIn(_Geometry):
    type: Literal["MultiLineString"]
    coordinates: Annotated[list[Line], Field(min_length=1)]


class PolygonIn(_Geometry):
    type: Literal["Polygon"]
    coordinates: Rings


class MultiPolygonIn(_Geometry):
    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Rings], Field(min_length=1)]


def _named_problems_first(value: Any) -> Any:
    """The geometry's problems as :func:`mzgis.io.geojson.parse_geometry` names them (a swapped pair, NaN, a
    height, a type it does not take) before the schema's plainer words; a rule beyond the schema (a ring not
    closed) is left to the route, which refuses it as a rule violation."""
    from mzgis.io.geojson import parse_geometry

    try:
        parse_geometry(value)
    except RuleViolation:
        pass
    except BadInput as exc:
        raise ValueError(exc.message_zh) from None
    return value


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def lonlat_first(what: str) -> Callable[[Any], Any]:
    """A check of an object's ``lon`` and ``lat`` by :func:`mzgis.crs.check_lonlat` (a swapped pair named as
    such) before the schema's bounds."""

    def check(value: Any) -> Any:
        if isinstance(value, dict):
            lon, lat = value.get("lon"), value.get("lat")
            if _number(lon) and _number(lat):
                try:
                    check_lonlat(lon, lat, what=what)
                except BadInput as exc:
                    raise ValueError(exc.message_zh) from None
        return value

    return check


GeometryModel = PointIn | MultiPointIn | LineStringIn | MultiLineStringIn | PolygonIn | MultiPolygonIn
# a GeoJSON geometry in EPSG:4490, longitude first, every position within China's extent; that rings are
# closed and shapes valid are rules beyond a schema (refused as rule violations, each named)
GeometryIn = Annotated[
    GeometryModel,
    Field(discriminator="type", description="GeoJSON geometry (EPSG:4490, 经度在前, 中国范围内)"),
    BeforeValidator(_named_problems_first),
]

# the version a change edits, as HTTP's If-Match carries it: the ETag of the read ("3", W/"3" or 3); at
# most 15 digits, below the largest integer JSON carries exactly
# (empty: none given, as when left out)
IF_MATCH_PATTERN = r'^(?:(?:W/)?"?([1-9][0-9]{0,14})"?)?$'
