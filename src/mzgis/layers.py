"""The one definition of every layer: name, geometry type, fields and their constraints.

The store creates its tables from this, import validates rows against it, the API derives its schemas
from it and the page reads it from the API. The layer and field names are a contract with users'
import files and other tools: rename nothing here without a migration.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.text import clean_text, plain_name_problem

__all__ = [
    "ADMIN_LEVEL_CODE_LENGTH",
    "CODE_PATTERN",
    "LAYERS",
    "LIMITS",
    "SYSTEM_FIELDS",
    "Field",
    "FieldType",
    "Layer",
    "check_geometry",
    "check_record",
    "choice_labels",
    "coerce_value",
    "get_layer",
    "is_missing",
    "promote_geometry",
]

FieldType = Literal["text", "integer", "real", "boolean", "date"]
GeometryType = Literal["MULTIPOLYGON", "POINT", "LINESTRING", "GEOMETRY"]

# every text field has a length bound; this is the one for fields that do not name their own
DEFAULT_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request or edit may carry, beyond the fields' own (documented in the README)."""

    reason_chars: int = 500  # the reason of a change, an override reason, a changeset comment
    edits_per_changeset: int = 1000
    request_body_bytes: int = 5 * 1024 * 1024  # the API's bound (a 20,000-vertex polygon is about 0.8 MB)
    query_chars: int = 240  # a search: the pinyin of the longest name (40 characters of up to 6 letters)
    largest_id: int = 2**63 - 1  # ids, versions and offsets: SQLite's and PostgreSQL's bigint
    # ids, versions and offsets in the API: the largest integer a JSON number carries exactly (a browser's
    # JavaScript, and a schema's bound read as a float, round anything above it)
    json_integer: int = 2**53 - 1


LIMITS = Limits()

# level → digits of its statistical division code (统计用区划代码)
ADMIN_LEVEL_CODE_LENGTH = {"county": 6, "township": 9, "village": 12}
CODE_PATTERN = r"^([0-9]{6}|[0-9]{9}|[0-9]{12})$"  # ASCII digits, as the stores' SQL checks them


@dataclass(frozen=True)
class Field:
    """One attribute of a layer, with the constraints every write must satisfy."""

    name: str
    type: FieldType
    label_zh: str
    required: bool = False
    choices: tuple[str, ...] = ()
    choice_labels_zh: tuple[str, ...] = ()
    # the colour each value is drawn in (the page's map and legend, the QGIS project): one look everywhere
    choice_colours: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    unique: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()  # other column headers accepted on import (besides name and label)
    multiline: bool = False  # text that may hold line breaks and tabs (descriptions); never other controls
    plain: bool = False  # a name that becomes a file or folder name in exports: no path characters
    indexed: bool = False  # looked up by value on every save (a B-tree index in the file)
    derived: bool = False  # worked out by the layer's service from other fields; never edited by users

    @property
    def length_limit(self) -> int | None:
        """The longest text accepted: ``max_length``, or a bound for every text field that names none."""
        if self.type != "text":
            return None
        return self.max_length or DEFAULT_TEXT_LIMIT

    @property
    def sql_type(self) -> str:
        """The GeoPackage column type (GDAL maps BOOLEAN and DATE to its own field types)."""
        return {"text": "TEXT", "integer": "INTEGER", "real": "REAL", "boolean": "BOOLEAN", "date": "DATE"}[self.type]


@dataclass(frozen=True)
class Layer:
    """A layer: a GeoPackage feature table (or an attribute table when ``geometry`` is None)."""

    name: str
    label_zh: str
    geometry: GeometryType | None
    fields: tuple[Field, ...]
    # shapely geometry types a feature may have (single types are promoted where noted)
    allowed_geometries: tuple[str, ...] = ()
    description: str = ""
    # fields whose combination identifies a feature for users (unique together)
    natural_key: tuple[str, ...] = field(default=())
    # the most vertices one feature may have (a million-vertex "point of interest" is sent on every load)
    max_vertices: int = 1
    # the service every write of this layer must pass (its rules beyond the fields'): the store refuses
    # writes that it has not admitted (see Transaction.admit)
    gate: str | None = None
    # the fields holding the admin code a feature belongs to: a query's ``scope`` (a county's or
    # township's code) keeps the features whose code in any of them starts with it
    scope_fields: tuple[str, ...] = ()
    # a feature may be stored without geometry (a division code registered from the official list before
    # its polygon is drawn); a geometry given is checked as always
    geometry_optional: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


# Every feature also carries these, maintained by the store, never by the user.
SYSTEM_FIELDS: tuple[Field, ...] = (
    Field("version", "integer", "版本", required=True, minimum=1),
    Field("updated_at", "text", "更新时间", required=True),
    Field("updated_by", "text", "更新人", required=True),
)


def _code(name: str, label: str, *, required: bool = False, unique: bool = False, desc: str = "") -> Field:
    return Field(name, "text", label, required=required, pattern=CODE_PATTERN, unique=unique, description=desc)


# the key of the facility layers: a corrected list re-imports with --update by it
_FACILITY_CODE = Field(
    "facility_code",
    "text",
    "设施编码",
    unique=True,
    max_length=40,
    description="the facility's own stable code (its registration number or unified social credit code)",
)


ADMIN_UNITS = Layer(
    "admin_units",
    "行政区划",
    "MULTIPOLYGON",
    (
        _code("code", "区划代码", required=True, unique=True, desc="6 (county), 9 (township) or 12 digits"),
        Field("name", "text", "名称", required=True, max_length=50, description="place name, e.g. 方林村"),
        Field(
            "level",
            "text",
            "层级",
            required=True,
            choices=("county", "township", "village"),
            choice_labels_zh=("区县", "乡镇街道", "村社区"),
            choice_colours=("#1d3557", "#1d3557", "#7890a8"),
        ),
        _code("parent_code", "上级代码", desc="the parent's code; a prefix of code below county level"),
        Field("official_name", "text", "机构名称", max_length=60, description="as published: 方林村委会"),
    ),
    allowed_geometries=("MultiPolygon", "Polygon"),
    max_vertices=1_000_000,
    description="County, township and village-level division polygons (统计用区划).",
    natural_key=("code",),
    scope_fields=("code",),
    geometry_optional=True,
)

POPULATION = Layer(
    "population",
    "人口",
    None,
    (
        _code("code", "村级区划代码", required=True),  # or a township's, counted as a whole (the label is kept:
        # it is part of the file's structure, and a new label would have every existing file rebuilt)
        Field("year", "integer", "年份", required=True, minimum=1949, maximum=2100),
        Field("total", "integer", "户籍人口", required=True, minimum=0),
        Field("aged_60_plus", "integer", "60岁以上", required=True, minimum=0),
        Field("aged_80_plus", "integer", "80岁以上", required=True, minimum=0),
    ),
    description="Registered population per village-level unit and year.",
    natural_key=("code", "year"),
    scope_fields=("code",),
)

PLACE_NAME_CATEGORIES = (
    "administrative_area",
    "self_governing_org",
    "non_administrative_area",
    "settlement",
    "transport_facility",
    "utility_facility",
    "memorial_scenic",
    "building",
    "institution",
    "land_water_body",
    "land_terrain",
    "sea_area",
)
PLACE_NAME_CATEGORY_LABELS = (
    "行政区域",
    "群众自治组织",
    "非行政区域",
    "居民点",
    "交通运输设施",
    "水利、电力、通信设施",
    "纪念地、旅游景点",
    "建筑物",
    "单位",
    "陆地水系",
    "陆地地形",
    "海域",
)

PLACE_NAMES = Layer(
    "place_names",
    "标准地名",
    "GEOMETRY",
    (
        Field("name", "text", "标准名称", required=True, max_length=40, aliases=("名称", "地名")),
        Field("specific", "text", "专名", required=True, max_length=30),
        Field("generic", "text", "通名", max_length=10),
        Field("romanized", "text", "罗马字母拼写", max_length=120, aliases=("罗马字母拼音",)),
        Field(
            "category",
            "text",
            "地名类别",
            required=True,
            choices=PLACE_NAME_CATEGORIES,
            choice_labels_zh=PLACE_NAME_CATEGORY_LABELS,
            aliases=("类别", "类别名称"),
        ),
        Field("subcategory", "text", "小类", max_length=30, description="e.g. village, community, road"),
        Field("admin_code", "text", "所在区划代码", required=True, pattern=CODE_PATTERN, aliases=("行政区划代码",)),
        Field(
            "status",
            "text",
            "状态",
            required=True,
            choices=("current", "proposed", "retired"),
            choice_labels_zh=("现行", "拟用", "已废止"),
        ),
        Field("origin", "text", "来历含义", max_length=2000, multiline=True, aliases=("地名含义", "含义", "来历")),
        # fields of the second national place-name census (第二次全国地名普查登记表), exchanged with the national
        # place-name database: its place-name code, history and the description of the entity
        Field(
            "census_code",
            "text",
            "地名代码",
            max_length=40,
            unique=True,
            description="the national place-name database's code of the name (国家地名数据库代码编制规则)",
        ),
        Field("history", "text", "历史沿革", max_length=4000, multiline=True),
        Field("description", "text", "地理实体描述", max_length=4000, multiline=True, aliases=("备注", "描述")),
        Field("approval_ref", "text", "批准文号", max_length=100),
        Field("approved_on", "date", "批准日期"),
        Field("former_names", "text", "曾用名", max_length=20_000, description="JSON list of {name, from, to}"),
        Field("retired_on", "date", "废止日期"),
        Field("retire_reason", "text", "废止原因", max_length=500, multiline=True),
        Field("is_example", "boolean", "示例数据", description="irregular names kept as clean-up examples"),
        Field(
            "scope_key",
            "text",
            "命名范围",
            max_length=40,
            indexed=True,
            derived=True,
            description="the unit within which the name must be unique (villages in a township, roads in a town…),"
            " worked out by the gazetteer; a save compares the name with its own scope only",
        ),
        Field(
            "pinyin",
            "text",
            "拼音",
            max_length=300,
            derived=True,
            description="the name's toneless pinyin, syllables apart (lu nan jie dao), under the gazetteer's readings;"
            " the homophone rule and the clean-up report compare it",
        ),
    ),
    allowed_geometries=(
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    ),
    max_vertices=20_000,
    # a division's name registered from the national list waits for its unit's polygon (said, not faked);
    # the edit form, the CLI and imports still ask every other name for its position
    geometry_optional=True,
    gate="地名服务(命名规则检查与罗马字母拼写)",
    description="The standard gazetteer (标准地名).",
    scope_fields=("admin_code",),
)

ELDERCARE_FACILITIES = Layer(
    "eldercare_facilities",
    "养老服务设施",
    "POINT",
    (
        Field("name", "text", "名称", required=True, max_length=60),
        _FACILITY_CODE,
        Field(
            "kind",
            "text",
            "类型",
            required=True,
            choices=("institution", "home_care_centre", "day_care_station"),
            choice_labels_zh=("养老机构", "居家养老服务中心", "居家养老服务照料中心"),
            choice_colours=("#e76f51", "#f4a261", "#2a9d8f"),
        ),
        Field("beds", "integer", "床位数", minimum=0),
        Field("nursing_beds", "integer", "护理型床位数", minimum=0),
        Field("operator", "text", "运营方", max_length=60),
        Field("professionally_run", "boolean", "专业化运营"),
        Field("demonstration", "boolean", "示范型"),
        _code("admin_code", "所在区划代码", required=True),
    ),
    allowed_geometries=("Point",),
    natural_key=("facility_code",),
    description="Eldercare institutions, home-care service centres and day-care stations.",
    scope_fields=("admin_code",),
)

COMMUNITY_COMPLEXES = Layer(
    "community_complexes",
    "社区服务综合体",
    "POINT",
    (
        Field("name", "text", "名称", required=True, max_length=60),
        _FACILITY_CODE,
        Field(
            "kind",
            "text",
            "类型",
            required=True,
            choices=("urban", "rural"),
            choice_labels_zh=("城市", "农村"),
            choice_colours=("#6a4c93", "#8ac926"),
        ),
        _code("admin_code", "所在区划代码", required=True),
        Field("opened", "date", "建成日期"),
    ),
    allowed_geometries=("Point",),
    natural_key=("facility_code",),
    scope_fields=("admin_code",),
)

BURIAL_SITES = Layer(
    "burial_sites",
    "节地生态安葬点",
    "GEOMETRY",
    (
        Field("name", "text", "名称", required=True, max_length=60),
        _FACILITY_CODE,
        Field(
            "kind",
            "text",
            "类型",
            required=True,
            choices=("tree", "flower", "lawn", "columbarium", "cemetery"),
            choice_labels_zh=("树葬", "花葬", "草坪葬", "骨灰塔", "公墓"),
            choice_colours=("#2d6a4f", "#d46a92", "#90be6d", "#7d8597", "#343a40"),
        ),
        Field(
            "status",
            "text",
            "状态",
            required=True,
            choices=("planned", "under_construction", "open"),
            choice_labels_zh=("规划", "在建", "已建成"),
        ),
        Field("capacity", "integer", "容量(穴位)", minimum=0),
        _code("admin_code", "所在区划代码", required=True),
    ),
    allowed_geometries=("Point", "Polygon", "MultiPolygon"),
    max_vertices=20_000,
    natural_key=("facility_code",),
    scope_fields=("admin_code",),
)

BOUNDARY_LINES = Layer(
    "boundary_lines",
    "行政区域界线",
    "LINESTRING",
    (
        Field("name", "text", "界线名称", required=True, max_length=20, plain=True, description="路黄线 …"),
        _code("county_a", "本方区划代码", required=True),
        _code("county_b", "相邻方区划代码", required=True),
        Field(
            "side",
            "text",
            "版本",
            required=True,
            choices=("ours", "neighbour"),
            choice_labels_zh=("本方", "对方"),
            choice_colours=("#d62828", "#f77f00"),
        ),
        Field("surveyed_on", "date", "测绘日期"),
    ),
    allowed_geometries=("LineString",),
    max_vertices=200_000,
    natural_key=("name", "side"),
    scope_fields=("county_a", "county_b"),
)

BOUNDARY_MARKERS = Layer(
    "boundary_markers",
    "界桩",
    "POINT",
    (
        Field("marker_id", "text", "界桩编号", required=True, unique=True, max_length=20, plain=True),
        Field("line_name", "text", "所在界线", required=True, max_length=20, plain=True),
        Field(
            "kind",
            "text",
            "类型",
            required=True,
            choices=("single", "paired", "tripoint"),
            choice_labels_zh=("单立", "同号双立", "三交点"),
        ),
        Field(
            "condition",
            "text",
            "状况",
            required=True,
            choices=("intact", "damaged", "missing"),
            choice_labels_zh=("完好", "损坏", "丢失"),
            choice_colours=("#277da1", "#e9c46a", "#d62828"),  # intact: not the day-care stations' teal
        ),
        Field("last_inspected", "date", "最近检查日期"),
        Field("installed_on", "date", "埋设日期"),
    ),
    allowed_geometries=("Point",),
    natural_key=("marker_id",),
)

# The naming procedure (地名管理条例 2022, 第十二条至第十九条): a proposed name is applied for (申报), accepted
# (受理), examined by experts and the public (论证/征求意见), approved (批准) or refused (不予批准), announced
# within 15 days (公告) and filed (备案). One row per application; each step is an update (versioned,
# audited). The order and the dates of the steps are rules of the file, so any tool keeps them.
PROCEDURE_STAGES = ("applied", "accepted", "reviewed", "approved", "announced", "filed", "refused")
NAME_PROCEDURES = Layer(
    "name_procedures",
    "地名审批",
    None,
    (
        Field("name_id", "integer", "地名编号", required=True, minimum=1, indexed=True),
        Field("name", "text", "申报名称", required=True, max_length=100),
        Field(
            "stage",
            "text",
            "办理环节",
            required=True,
            choices=PROCEDURE_STAGES,
            choice_labels_zh=("申报", "受理", "论证", "批准", "公告", "备案", "不予批准"),
        ),
        Field("applicant", "text", "申报单位(人)", required=True, max_length=100),
        Field("reasons", "text", "申报理由", required=True, max_length=2000, multiline=True),
        Field("applied_on", "date", "申报日期", required=True),
        Field("accepted_on", "date", "受理日期"),
        Field("accepted_by", "text", "受理人", max_length=60),
        Field("expert_opinion", "text", "专家论证意见", max_length=4000, multiline=True),
        Field("public_comment", "text", "征求意见结果", max_length=4000, multiline=True),
        Field("reviewed_on", "date", "论证完成日期"),
        Field("approved_on", "date", "批准日期"),
        Field("approval_ref", "text", "批准文号", max_length=100),
        Field("approved_by", "text", "批准人", max_length=60),
        Field("announced_on", "date", "公告日期"),
        Field("announcement_ref", "text", "公告文号", max_length=100),
        Field("filed_on", "date", "备案日期"),
        Field("filing_ref", "text", "备案文号", max_length=100),
        Field("refused_on", "date", "不予批准日期"),
        Field("refusal_reason", "text", "不予批准理由", max_length=2000, multiline=True),
    ),
    description="Applications for place names through the approval procedure, one row each.",
    gate="naming_procedure",
)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        ADMIN_UNITS,
        POPULATION,
        PLACE_NAMES,
        ELDERCARE_FACILITIES,
        COMMUNITY_COMPLEXES,
        BURIAL_SITES,
        BOUNDARY_LINES,
        BOUNDARY_MARKERS,
        NAME_PROCEDURES,
    )
}


def choice_labels(layer: Layer, field_name: str) -> dict[str, str]:
    """A field's allowed values → their Chinese names (what officers read in files and reports)."""
    f = layer.field(field_name)
    return dict(zip(f.choices, f.choice_labels_zh or f.choices, strict=True))


def get_layer(name: str) -> Layer:
    """The layer called ``name``; an unknown name is a :class:`~mzgis.errors.NotFound` with the known ones."""
    from mzgis.errors import NotFound

    try:
        return LAYERS[name]
    except KeyError:
        raise NotFound(
            f"没有图层“{name}”;已有图层:{'、'.join(LAYERS)}",
            f"no layer {name!r}; layers: {', '.join(LAYERS)}",
            layer=name,
        ) from None


def is_missing(value: Any) -> bool:
    """An empty cell: None, NaN, a null date (NaT) or blank text."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, dt.date) and value != value:  # pandas' NaT (a null date read by GDAL) is no date
        return True
    if type(value).__name__ == "datetime64" and str(value) == "NaT":  # numpy's
        return True
    return isinstance(value, str) and value.strip() == ""


_TRUE = {"1", "true", "yes", "y", "t", "是", "对", "√"}
_FALSE = {"0", "false", "no", "n", "f", "否", "×"}


@functools.cache
def _all_value_words() -> dict[str, dict[str, str]]:
    with resources.files("mzgis").joinpath("value_words.toml").open("rb") as fh:
        return tomllib.load(fh)


def value_words(field_name: str) -> dict[str, str]:
    """The everyday words offices write for the values of fields of this name (value_words.toml): word →
    value; a word counts only where its value is allowed for the field at hand."""
    return _all_value_words().get(field_name, {})


def coerce_value(f: Field, value: Any) -> Any:
    """Convert ``value`` to the field's type, or raise ``ValueError`` with a Chinese reason.

    Missing values (None, NaN, empty strings) become None.
    """
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if f.type == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # codes read from spreadsheets as numbers
        text = clean_text(value, multiline=f.multiline)
        if "\u3000" in text and not f.multiline:
            raise ValueError("含全角空格")
        if f.choices and text not in f.choices and text in f.choice_labels_zh:
            text = f.choices[f.choice_labels_zh.index(text)]  # the Chinese name an office's table uses
        elif f.choices and text not in f.choices and value_words(f.name).get(text) in f.choices:
            text = value_words(f.name)[text]  # an everyday word for it (敬老院, 照料中心 …: value_words.toml)
        if f.plain and (problem := plain_name_problem(text)):
            raise ValueError(problem)
        return text
    if f.type == "integer":
        if isinstance(value, bool):
            raise ValueError(f"“{value}”不是整数")
        if not isinstance(value, int):
            try:
                number = float(str(value).strip())
            except ValueError:
                raise ValueError(f"“{value}”不是整数") from None
            if not math.isfinite(number) or not number.is_integer():
                raise ValueError(f"“{value}”不是整数")
            value = int(number)
        if abs(value) > LIMITS.largest_id:  # SQLite's integers end there
            raise ValueError(f"“{value}”超出整数范围")
        return value
    if f.type == "real":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"“{value}”不是数值") from None
        if not math.isfinite(number):
            raise ValueError(f"“{value}”不是有限数值")
        return number
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"“{value}”不是是/否值")
    if f.type == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()[:10]
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"“{value}”不是日期(应为 YYYY-MM-DD)") from None
    raise AssertionError(f.type)  # pragma: no cover


def check_record(layer: Layer, values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Coerce and check one record's attributes against the layer model.

    Returns the clean record (every field of the layer, missing ones as None) and the list of problems
    in Chinese, all at once. Unknown keys are ignored by the caller's choice, not here: pass only fields.
    """
    clean: dict[str, Any] = {}
    problems: list[str] = []
    for f in layer.fields:
        try:
            value = coerce_value(f, values.get(f.name))
        except ValueError as exc:
            problems.append(f"{f.label_zh}({f.name}){exc}")
            clean[f.name] = None
            continue
        clean[f.name] = value
        if value is None:
            if f.required:
                problems.append(f"缺少必填字段 {f.label_zh}({f.name})")
            continue
        if f.choices and value not in f.choices:
            allowed = "、".join(
                f"{c}({lbl})" for c, lbl in zip(f.choices, f.choice_labels_zh or f.choices, strict=True)
            )
            problems.append(f"{f.label_zh}({f.name})的值“{value}”不在允许范围内:{allowed}")
        if f.pattern and not re.fullmatch(f.pattern, str(value)):
            problems.append(f"{f.label_zh}({f.name})“{value}”格式不对(应为 6、9 或 12 位数字)")
        limit = f.length_limit
        if limit is not None and len(str(value)) > limit:
            problems.append(f"{f.label_zh}({f.name})超过 {limit} 个字符")
        if f.minimum is not None and value < f.minimum:
            problems.append(f"{f.label_zh}({f.name})不能小于 {f.minimum:g}")
        if f.maximum is not None and value > f.maximum:
            problems.append(f"{f.label_zh}({f.name})不能大于 {f.maximum:g}")
    problems.extend(_cross_field_problems(layer, clean))
    return clean, problems


def _cross_field_problems(layer: Layer, rec: Mapping[str, Any]) -> list[str]:
    """Constraints between fields of one record."""
    out: list[str] = []
    if layer.name == "admin_units":
        code, level, parent = rec.get("code"), rec.get("level"), rec.get("parent_code")
        if code and level in ADMIN_LEVEL_CODE_LENGTH and len(code) != ADMIN_LEVEL_CODE_LENGTH[level]:
            out.append(f"层级 {level} 的区划代码应为 {ADMIN_LEVEL_CODE_LENGTH[level]} 位,实为 {len(code)} 位")
        if code and parent and level in ("township", "village") and not code.startswith(parent):
            out.append(f"区划代码 {code} 不以上级代码 {parent} 开头")
        if level in ("township", "village") and not parent:
            out.append("乡镇和村级单位必须有上级代码(parent_code)")
    elif layer.name == "population":
        total, a60, a80 = rec.get("total"), rec.get("aged_60_plus"), rec.get("aged_80_plus")
        if total is not None and a60 is not None and a60 > total:
            out.append("60岁以上人口不能多于总人口")
        if a60 is not None and a80 is not None and a80 > a60:
            out.append("80岁以上人口不能多于60岁以上人口")
    elif layer.name == "eldercare_facilities":
        beds, nursing = rec.get("beds"), rec.get("nursing_beds")
        if beds is not None and nursing is not None and nursing > beds:
            out.append("护理型床位数不能多于床位数")
    elif layer.name == "boundary_lines":
        if rec.get("county_a") and rec.get("county_a") == rec.get("county_b"):
            out.append("界线两侧不能是同一个区划")
    elif layer.name == "place_names":
        name, spec, gen = rec.get("name"), rec.get("specific"), rec.get("generic")
        if name and spec and (spec + (gen or "")) != name:
            out.append(f"专名“{spec}”加通名“{gen or ''}”应等于标准名称“{name}”")
    return out


def check_geometry(layer: Layer, geom: BaseGeometry | None) -> list[str]:
    """Problems with a feature's geometry for this layer, in Chinese (empty list when fine)."""
    if layer.geometry is None:
        return [] if geom is None else ["该图层是属性表,不能带几何"]
    if geom is None and layer.geometry_optional:
        return []
    if geom is None or geom.is_empty:
        return ["缺少几何"]
    problems: list[str] = []
    if geom.geom_type not in layer.allowed_geometries:
        problems.append(f"几何类型 {geom.geom_type} 不符合图层要求({'/'.join(layer.allowed_geometries)})")
    elif (vertices := int(shapely.get_num_coordinates(geom))) > layer.max_vertices:
        return [f"几何有 {vertices} 个顶点,超过本图层上限 {layer.max_vertices}"]  # not worth checking further
    if not _finite(geom):
        return [*problems, "几何含非有限坐标(NaN 或无穷)"]
    if geom.has_z:
        problems.append("几何带 Z 坐标;只接受二维坐标")
    if not geom.is_valid:
        from shapely.validation import explain_validity

        problems.append(f"几何无效:{explain_validity(geom)}")
    return problems


def _finite(geom: BaseGeometry) -> bool:
    return bool(np.isfinite(shapely.get_coordinates(geom)).all())


def promote_geometry(layer: Layer, geom: BaseGeometry | None) -> BaseGeometry | None:
    """A Polygon becomes a one-part MultiPolygon where the layer stores MultiPolygons."""
    if geom is not None and layer.geometry == "MULTIPOLYGON" and geom.geom_type == "Polygon":
        from shapely.geometry import MultiPolygon

        return MultiPolygon([geom])  # type: ignore[list-item]
    return geom
