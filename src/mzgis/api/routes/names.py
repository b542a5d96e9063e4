"""Place names: search, create, read, update (version as If-Match or in the body), retire, restore,
history, check without saving, and changesets. Thin: every call goes to :class:`Gazetteer`."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema
from shapely.geometry.base import BaseGeometry

from mzgis.api.contract import IF_MATCH_PATTERN, GeometryIn, GeometryModel, TextRule, layer_text
from mzgis.api.deps import EditorDep, GazetteerDep, SignedInDep, UsersDep, client_of
from mzgis.api.files import download, download_responses
from mzgis.api.models import ErrorOut, FeatureId, FeatureOut, IdIn, IsoDate, ReasonIn, feature_out
from mzgis.clock import beijing_today
from mzgis.crs import CHINA_BOUNDS, LONLAT_PATTERN, check_lonlat, parse_lonlat
from mzgis.errors import BadInput, PreconditionRequired
from mzgis.gazetteer.edits import Edit
from mzgis.gazetteer.service import CheckResult
from mzgis.io.geojson import parse_geometry
from mzgis.io.names_export import export_census, export_names, write_cleanup_report
from mzgis.layers import LIMITS, PLACE_NAMES

__all__ = ["router"]

router = APIRouter(tags=["标准地名 names"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "输入有误"},
    404: {"model": ErrorOut, "description": "没有该地名"},
    409: {"model": ErrorOut, "description": "版本冲突:details 含当前版本、修改人和当前内容"},
    422: {"model": ErrorOut, "description": "违反地名规则:details.findings 列出全部问题"},
}
# a change of a name must say which version it edits
_VERSIONED: dict[int | str, dict[str, Any]] = _ERRORS | {
    428: {"model": ErrorOut, "description": "未给出所编辑的版本号(请求头 If-Match 或请求体 version)"},
}


NameText = Annotated[str, layer_text(PLACE_NAMES, "name", spaces=False)]
Category = Annotated[str, layer_text(PLACE_NAMES, "category")]
AdminCode = Annotated[str, layer_text(PLACE_NAMES, "admin_code")]
Subcategory = Annotated[str, layer_text(PLACE_NAMES, "subcategory")]
Generic = Annotated[str, layer_text(PLACE_NAMES, "generic", spaces=False)]
Origin = Annotated[str, layer_text(PLACE_NAMES, "origin")]
ApprovalRef = Annotated[str, layer_text(PLACE_NAMES, "approval_ref")]
RequiredReason = Annotated[str, TextRule(LIMITS.reason_chars, required=True, multiline=True)]


class FindingOut(BaseModel):
    rule: str
    severity: Literal["error", "warning"]
    message: str
    message_en: str
    related: list[dict[str, Any]] = []


class CheckIn(BaseModel):
    name: NameText
    category: Category
    admin_code: AdminCode
    subcategory: Subcategory | None = None
    generic: Generic | None = None
    geometry: GeometryIn | None = None
    exclude_id: IdIn | None = Field(None, description="the id of the name being edited, so it is not its own duplicate")


class CheckOut(BaseModel):
    name: str
    specific: str
    generic: str
    romanized: str
    words: list[tuple[str, str]] = Field(description="拼写依据:每个词的汉字与拼写(如 景山 Jingshan | 后街 Houjie)")
    findings: list[FindingOut]


class NameFieldsIn(BaseModel):
    """A new name's fields (a create, alone or in a changeset)."""

    name: NameText
    category: Category
    admin_code: AdminCode
    subcategory: Subcategory | None = None
    generic: Generic | None = None
    status: Literal["current", "proposed"] = "current"
    origin: Origin | None = None
    approval_ref: ApprovalRef | None = None
    approved_on: IsoDate | None = None


class NameIn(NameFieldsIn):
    geometry: GeometryIn
    reason: ReasonIn = ""
    override_reason: ReasonIn | None = Field(None, description="保存违反规则(错误级)的地名时必填的理由")


class NameChangesIn(BaseModel):
    """The fields an update changes (those left out keep their values; null clears an optional one)."""

    name: NameText | SkipJsonSchema[None] = None
    category: Category | SkipJsonSchema[None] = None
    admin_code: AdminCode | SkipJsonSchema[None] = None
    status: Literal["current", "proposed"] | SkipJsonSchema[None] = None
    subcategory: Subcategory | None = None
    generic: Generic | None = None
    origin: Origin | None = None
    approval_ref: ApprovalRef | None = None
    approved_on: IsoDate | None = None


class RenameChangesIn(NameChangesIn):
    name: NameText


class NameUpdateIn(NameChangesIn):
    version: IdIn | None = Field(None, description="the version edited (or send it as If-Match)")
    geometry: GeometryIn | None = None
    on: IsoDate | None = Field(None, description="date of a rename (default today)")
    reason: ReasonIn = ""
    override_reason: ReasonIn | None = None


class RetireIn(BaseModel):
    version: IdIn | None = None
    reason: RequiredReason = Field(description="废止原因")
    on: IsoDate | None = None


class RestoreIn(BaseModel):
    version: IdIn | None = None
    reason: ReasonIn = ""
    override_reason: ReasonIn | None = None


class RevertIn(BaseModel):
    version: IdIn | None = None
    to_version: IdIn = Field(description="the earlier version whose content becomes a new version")
    reason: RequiredReason = Field(description="恢复原因")
    override_reason: ReasonIn | None = None


class SearchHitOut(BaseModel):
    id: int
    name: str
    romanized: str
    category: str
    admin_code: str
    status: str
    score: float
    matched: str = Field(
        description="name, name_prefix, name_contains, pinyin, pinyin_prefix, initials, fuzzy, homophone, near,"
        " listed (no query and no point)"
    )
    distance_m: float | None = None
    lon: float | None = None
    lat: float | None = None


class HistoryOut(BaseModel):
    id: int
    changeset_id: int
    version: int
    action: str
    changed_at: str
    changed_by: str
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class _EditOf(BaseModel):
    """An edit of a name that exists: its id and the version edited."""

    id: IdIn
    version: IdIn


class CreateEdit(BaseModel):
    action: Literal["create"]
    properties: NameFieldsIn
    geometry: GeometryIn
    override_reason: ReasonIn | None = None


class UpdateEdit(_EditOf):
    action: Literal["update"]
    properties: NameChangesIn = NameChangesIn()
    geometry: GeometryIn | None = None
    on: IsoDate | None = None
    override_reason: ReasonIn | None = None


class RenameEdit(UpdateEdit):
    action: Literal["rename"]  # type: ignore[assignment]
    properties: RenameChangesIn


class MoveEdit(_EditOf):
    action: Literal["move"]
    geometry: GeometryIn
    override_reason: ReasonIn | None = None


class RetireEdit(_EditOf):
    action: Literal["retire"]
    on: IsoDate | None = None


class RestoreEdit(_EditOf):
    action: Literal["restore"]
    override_reason: ReasonIn | None = None


class RevertEdit(_EditOf):
    action: Literal["revert"]
    to_version: IdIn = Field(description="the earlier version whose content comes back")
    override_reason: ReasonIn | None = None


EditIn = Annotated[
    CreateEdit | UpdateEdit | RenameEdit | MoveEdit | RetireEdit | RestoreEdit | RevertEdit,
    Field(discriminator="action"),
]


class ChangesetIn(BaseModel):
    comment: RequiredReason = Field(description="变更集说明")
    edits: list[EditIn] = Field(min_length=1, max_length=LIMITS.edits_per_changeset)


def _edit(e: BaseModel) -> Edit:
    """A changeset's edit as the gazetteer takes it."""
    data = e.model_dump(mode="json", exclude_unset=True)
    return Edit(
        data["action"],
        data.get("id"),
        data.get("version"),
        data.get("properties", {}),
        _geometry(getattr(e, "geometry", None)),
        data.get("on"),
        data.get("override_reason"),
        data.get("to_version"),
    )


def _geometry(data: GeometryModel | None) -> BaseGeometry | None:
    return None if data is None else parse_geometry(data.as_geojson())


_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def _version(body: int | None, if_match: str | None) -> int:
    if body is not None:
        return body
    if if_match:
        found = _IF_MATCH.fullmatch(if_match)  # (not empty: then its digits are there)
        if found is None:
            raise BadInput('If-Match 应为所编辑的版本号,如 "3"', "If-Match must be a version number")
        return int(found.group(1))
    raise PreconditionRequired("修改需要提供所编辑的版本号(请求头 If-Match 或请求体 version)", "a version is required")


def _check_out(result: CheckResult) -> CheckOut:
    return CheckOut.model_validate(result.as_dict())


def _with_etag(response: Response, out: FeatureOut) -> FeatureOut:
    response.headers["ETag"] = f'"{out.properties["version"]}"'
    return out


_NEAR = f"^(?:{LONLAT_PATTERN[1:-1]})?$"  # a point, or empty for none
# China's extent as the schema states it; the server checks it itself (check_lonlat: a swapped pair is named)
_W, _S, _E, _N = CHINA_BOUNDS
_BOUNDS: dict[str, dict[str, Any]] = {"lon": {"minimum": _W, "maximum": _E}, "lat": {"minimum": _S, "maximum": _N}}


@router.get("/api/names", response_model=list[SearchHitOut], responses=_ERRORS, summary="查询地名")
def search_names(
    gaz: GazetteerDep,
    q: Annotated[
        str,
        Query(
            max_length=LIMITS.query_chars,
            description="中文、全拼 (lunan)、首字母 (lnjd);可带错字。不给查询词也不给位置时,列出符合筛选条件的地名",
        ),
    ] = "",
    category: str | None = None,
    township: Annotated[str | None, Query(description="乡镇(或区县)代码:只要此区划下的地名")] = None,
    name_status: Annotated[str | None, Query(alias="status")] = None,
    near: Annotated[
        str | None,
        Query(description="经度,纬度(中国范围内,如 121.38,28.58)", json_schema_extra={"pattern": _NEAR}),
    ] = None,
    within_m: Annotated[float | None, Query(gt=0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> list[SearchHitOut]:
    point = parse_lonlat(near, what="near ") if near else None
    hits = gaz.search(
        q, category=category, township=township, status=name_status, near=point, within_m=within_m, limit=limit
    )
    return [
        SearchHitOut(
            id=h.record.id,
            name=h.record.name,
            romanized=h.record.romanized,
            category=h.record.category,
            admin_code=h.record.admin_code,
            status=h.record.status,
            score=h.score,
            matched=h.matched,
            distance_m=None if h.distance_m is None else round(h.distance_m, 1),
            lon=h.record.lon,
            lat=h.record.lat,
        )
        for h in hits
    ]


class SubcategoryOut(BaseModel):
    code: str
    label_zh: str
    generics: list[str]  # the generics that fit it, when the rules narrow them


@router.get("/api/names/subcategories", response_model=list[SubcategoryOut], summary="地名小类(代码、中文名、适用通名)")
def subcategories(gaz: GazetteerDep) -> list[SubcategoryOut]:
    rules = gaz.rules
    return [
        SubcategoryOut(code=code, label_zh=label, generics=list(rules.subcategory_generics.get(code, ())))
        for code, label in rules.subcategory_labels.items()
    ]


class AdminUnitOut(BaseModel):
    code: str
    name: str
    level: str


@router.get(
    "/api/names/admin-units-at",
    response_model=list[AdminUnitOut],
    responses=_ERRORS,
    summary="某点所在的区划(村、乡镇、区县,由小到大)",
)
def admin_units_at(
    gaz: GazetteerDep,
    lon: Annotated[float, Query(description="经度(中国范围内)", json_schema_extra=_BOUNDS["lon"])],
    lat: Annotated[float, Query(description="纬度(中国范围内)", json_schema_extra=_BOUNDS["lat"])],
) -> list[AdminUnitOut]:
    check_lonlat(lon, lat)
    return [
        AdminUnitOut(code=str(u.properties["code"]), name=str(u.properties["name"]), level=str(u.properties["level"]))
        for u in gaz.admin().at(lon, lat)
    ]


@router.get(
    "/api/names/export",
    response_class=Response,
    responses=_ERRORS | download_responses(".csv", ".xlsx", ".geojson", ".gpkg"),
    summary="导出全部地名(CSV、XLSX、GeoJSON、GeoPackage;census=true:地名普查交换格式,CSV 或 XLSX)",
)
def export_all(
    gaz: GazetteerDep,
    users: UsersDep,
    user: SignedInDep,
    request: Request,
    fmt: Annotated[Literal["csv", "xlsx", "geojson", "gpkg"], Query(alias="format")] = "xlsx",
    census: Annotated[
        bool,
        Query(description="按第二次全国地名普查登记表的字段(含 GB/T 18521 地名类别代码)导出,供与国家地名数据库交换"),
    ] = False,
) -> Response:
    title = "地名普查交换" if census else "标准地名"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{title}.{fmt}"
        n = (export_census if census else export_names)(gaz, path)
        data = path.read_bytes()
    account = user.name if user else ""
    detail = f"{title}.{fmt},{n} 条"
    users.security.record("export", account=account, client=client_of(request), detail=detail)
    return download(data, f"{title}_{beijing_today().isoformat()}.{fmt}")


@router.get(
    "/api/names/cleanup-report",
    response_class=Response,
    responses=_ERRORS | download_responses(".xlsx"),
    summary="不规范地名清理整治表(XLSX:每条问题一行,含类别、位置、整治建议、完成时限)",
)
def cleanup(
    gaz: GazetteerDep,
    deadline: Annotated[IsoDate | None, Query(description="整治完成时限(默认:错误 90 天、提示 180 天)")] = None,
) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.xlsx"
        write_cleanup_report(gaz, path, deadline=deadline)
        return download(path.read_bytes(), f"不规范地名清理报告_{beijing_today().isoformat()}.xlsx")


@router.post("/api/names/check", response_model=CheckOut, responses=_ERRORS, summary="检查拟用地名(不保存)")
def check_name(body: CheckIn, gaz: GazetteerDep) -> CheckOut:
    result = gaz.check(
        body.name,
        body.category,
        body.admin_code,
        subcategory=body.subcategory,
        generic=body.generic,
        geometry=_geometry(body.geometry),
        exclude_id=body.exclude_id,
    )
    return _check_out(result)


def _saved(gaz: GazetteerDep, edit: Edit, user: EditorDep, reason: str, response: Response) -> FeatureOut:
    """One edit through the gazetteer's one pipeline, as the signed-in user; the saved name with its ETag."""
    (feature,) = gaz.apply([edit], user=user, comment=reason)
    return _with_etag(response, feature_out(feature))


@router.post(
    "/api/names", response_model=FeatureOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS, summary="新增地名"
)
def create_name(body: NameIn, gaz: GazetteerDep, user: EditorDep, response: Response) -> FeatureOut:
    props = body.model_dump(mode="json", exclude={"geometry", "reason", "override_reason"})
    edit = Edit("create", properties=props, geometry=_geometry(body.geometry), override_reason=body.override_reason)
    out = _saved(gaz, edit, user, body.reason, response)
    response.headers["Location"] = f"/api/names/{out.id}"
    return out


@router.get("/api/names/{fid:int}", response_model=FeatureOut, responses=_ERRORS, summary="读取地名")
def read_name(fid: FeatureId, gaz: GazetteerDep, response: Response) -> FeatureOut:
    return _with_etag(response, feature_out(gaz.get(fid)))


IfMatch = Annotated[
    str | SkipJsonSchema[None],
    Header(
        description='所编辑的版本号(读取时的 ETag,如 "3");也可放在请求体 version',
        json_schema_extra={"pattern": IF_MATCH_PATTERN},  # checked by _version, with its own message
    ),
]


@router.patch("/api/names/{fid:int}", response_model=FeatureOut, responses=_VERSIONED, summary="修改地名(含更名、移动)")
def update_name(
    fid: FeatureId, body: NameUpdateIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    changes = body.model_dump(
        mode="json", exclude_unset=True, exclude={"version", "geometry", "on", "reason", "override_reason"}
    )
    version = _version(body.version, if_match)
    on = body.on.isoformat() if body.on else None
    edit = Edit("update", fid, version, changes, _geometry(body.geometry), on, body.override_reason)
    return _saved(gaz, edit, user, body.reason, response)


@router.post("/api/names/{fid:int}/retire", response_model=FeatureOut, responses=_VERSIONED, summary="废止地名")
def retire_name(
    fid: FeatureId, body: RetireIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    edit = Edit("retire", fid, _version(body.version, if_match), on=body.on.isoformat() if body.on else None)
    return _saved(gaz, edit, user, body.reason, response)


@router.post(
    "/api/names/{fid:int}/restore", response_model=FeatureOut, responses=_VERSIONED, summary="恢复已废止的地名"
)
def restore_name(
    fid: FeatureId, body: RestoreIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    edit = Edit("restore", fid, _version(body.version, if_match), override_reason=body.override_reason)
    return _saved(gaz, edit, user, body.reason, response)


@router.post(
    "/api/names/{fid:int}/revert", response_model=FeatureOut, responses=_VERSIONED, summary="恢复到旧版本的内容"
)
def revert_name(
    fid: FeatureId, body: RevertIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    version = _version(body.version, if_match)
    edit = Edit("revert", fid, version, override_reason=body.override_reason, to_version=body.to_version)
    return _saved(gaz, edit, user, body.reason, response)


@router.get("/api/names/{fid:int}/history", response_model=list[HistoryOut], responses=_ERRORS, summary="地名修改历史")
def name_history(fid: FeatureId, gaz: GazetteerDep) -> list[HistoryOut]:
    return [
        HistoryOut(
            id=e.id,
            changeset_id=e.changeset_id,
            version=e.version,
            action=e.action,
            changed_at=e.changed_at,
            changed_by=e.changed_by,
            reason=e.reason,
            before=e.before,
            after=e.after,
        )
        for e in gaz.history(fid)
    ]


@router.post(
    "/api/changesets",
    response_model=list[FeatureOut],
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
    summary="批量修改(全部成功或全部不生效)",
)
def apply_changeset(body: ChangesetIn, gaz: GazetteerDep, user: EditorDep) -> list[FeatureOut]:
    return [feature_out(f) for f in gaz.apply([_edit(e) for e in body.edits], user=user, comment=body.comment)]
