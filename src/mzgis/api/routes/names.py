"""Place names: search, create, read, update (version as If-Match or in the body), retire, restore,
history, check without saving, and changesets. Thin: every call goes to :class:`Gazetteer`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, Field
from shapely.geometry.base import BaseGeometry

from mzgis.api.deps import EditorDep, GazetteerDep, SignedInDep, UsersDep, client_of
from mzgis.api.files import download, download_responses
from mzgis.api.models import ErrorOut, FeatureId, FeatureOut, IdIn, IsoDate, ReasonIn, feature_out
from mzgis.clock import beijing_today
from mzgis.crs import CHINA_BOUNDS, check_lonlat
from mzgis.errors import BadInput
from mzgis.gazetteer.edits import Edit
from mzgis.gazetteer.service import CheckResult
from mzgis.io.geojson import parse_geometry
from mzgis.io.names_export import export_census, export_names, write_cleanup_report
from mzgis.layers import LIMITS

__all__ = ["router"]

router = APIRouter(tags=["标准地名 names"])
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "输入有误"},
    404: {"model": ErrorOut, "description": "没有该地名"},
    409: {"model": ErrorOut, "description": "版本冲突:details 含当前版本、修改人和当前内容"},
    422: {"model": ErrorOut, "description": "违反地名规则:details.findings 列出全部问题"},
}
Category = Annotated[str, Field(description="地名类别,如 self_governing_org、transport_facility")]


class FindingOut(BaseModel):
    rule: str
    severity: Literal["error", "warning"]
    message: str
    message_en: str
    related: list[dict[str, Any]] = []


class CheckIn(BaseModel):
    name: str
    category: Category
    admin_code: str
    subcategory: str | None = None
    generic: str | None = None
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry (EPSG:4490)")
    exclude_id: IdIn | None = Field(None, description="the id of the name being edited, so it is not its own duplicate")


class CheckOut(BaseModel):
    name: str
    specific: str
    generic: str
    romanized: str
    words: list[tuple[str, str]] = Field(description="拼写依据:每个词的汉字与拼写(如 景山 Jingshan | 后街 Houjie)")
    findings: list[FindingOut]


class NameIn(BaseModel):
    name: str
    category: Category
    admin_code: str
    geometry: dict[str, Any] = Field(description="GeoJSON geometry (EPSG:4490)")
    subcategory: str | None = None
    generic: str | None = None
    status: Literal["current", "proposed"] = "current"
    origin: str | None = None
    approval_ref: str | None = None
    approved_on: str | None = None
    reason: ReasonIn = ""
    override_reason: ReasonIn | None = Field(None, description="保存违反规则(错误级)的地名时必填的理由")


class NameUpdateIn(BaseModel):
    version: IdIn | None = Field(None, description="the version edited (or send it as If-Match)")
    name: str | None = None
    category: str | None = None
    subcategory: str | None = None
    generic: str | None = None
    admin_code: str | None = None
    status: Literal["current", "proposed"] | None = None
    origin: str | None = None
    approval_ref: str | None = None
    approved_on: str | None = None
    geometry: dict[str, Any] | None = None
    on: str | None = Field(None, description="date of a rename (default today)")
    reason: ReasonIn = ""
    override_reason: ReasonIn | None = None


class RetireIn(BaseModel):
    version: IdIn | None = None
    reason: str = Field(min_length=1, max_length=LIMITS.reason_chars, description="废止原因")
    on: str | None = None


class RestoreIn(BaseModel):
    version: IdIn | None = None
    reason: ReasonIn = ""
    override_reason: ReasonIn | None = None


class RevertIn(BaseModel):
    version: IdIn | None = None
    to_version: IdIn = Field(description="the earlier version whose content becomes a new version")
    reason: str = Field(min_length=1, max_length=LIMITS.reason_chars, description="恢复原因")
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


class EditIn(BaseModel):
    action: Literal["create", "update", "rename", "move", "retire", "restore", "revert"]
    id: IdIn | None = None
    version: IdIn | None = None
    properties: dict[str, Any] = {}
    geometry: dict[str, Any] | None = None
    on: str | None = None
    override_reason: ReasonIn | None = None
    to_version: IdIn | None = Field(None, description="revert: the earlier version whose content comes back")


class ChangesetIn(BaseModel):
    comment: str = Field(min_length=1, max_length=LIMITS.reason_chars, description="变更集说明")
    edits: list[EditIn] = Field(min_length=1, max_length=LIMITS.edits_per_changeset)


def _geometry(data: dict[str, Any] | None) -> BaseGeometry | None:
    return None if data is None else parse_geometry(data)


def _version(body: int | None, if_match: str | None) -> int:
    if body is not None:
        return body
    if if_match:
        text = if_match.strip().removeprefix("W/").strip('"')
        if text.isdigit() and 1 <= int(text) <= LIMITS.largest_id:
            return int(text)
    raise BadInput("修改需要提供所编辑的版本号(请求头 If-Match 或请求体 version)", "a version is required")


def _check_out(result: CheckResult) -> CheckOut:
    return CheckOut.model_validate(result.as_dict())


def _with_etag(response: Response, out: FeatureOut) -> FeatureOut:
    response.headers["ETag"] = f'"{out.properties["version"]}"'
    return out


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
    near: Annotated[str | None, Query(description="lon,lat")] = None,
    within_m: Annotated[float | None, Query(gt=0)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> list[SearchHitOut]:
    point = None
    if near:
        try:
            lon, lat = (float(v) for v in near.split(","))
        except ValueError:
            raise BadInput("near 应为 经度,纬度", "near must be lon,lat") from None
        check_lonlat(lon, lat)
        point = (lon, lat)
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
    props = body.model_dump(exclude={"geometry", "reason", "override_reason"})
    edit = Edit("create", properties=props, geometry=_geometry(body.geometry), override_reason=body.override_reason)
    out = _saved(gaz, edit, user, body.reason, response)
    response.headers["Location"] = f"/api/names/{out.id}"
    return out


@router.get("/api/names/{fid:int}", response_model=FeatureOut, responses=_ERRORS, summary="读取地名")
def read_name(fid: FeatureId, gaz: GazetteerDep, response: Response) -> FeatureOut:
    return _with_etag(response, feature_out(gaz.get(fid)))


IfMatch = Annotated[str | None, Header()]


@router.patch("/api/names/{fid:int}", response_model=FeatureOut, responses=_ERRORS, summary="修改地名(含更名、移动)")
def update_name(
    fid: FeatureId, body: NameUpdateIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    changes = body.model_dump(exclude_unset=True, exclude={"version", "geometry", "on", "reason", "override_reason"})
    version = _version(body.version, if_match)
    edit = Edit("update", fid, version, changes, _geometry(body.geometry), body.on, body.override_reason)
    return _saved(gaz, edit, user, body.reason, response)


@router.post("/api/names/{fid:int}/retire", response_model=FeatureOut, responses=_ERRORS, summary="废止地名")
def retire_name(
    fid: FeatureId, body: RetireIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    edit = Edit("retire", fid, _version(body.version, if_match), on=body.on)
    return _saved(gaz, edit, user, body.reason, response)


@router.post("/api/names/{fid:int}/restore", response_model=FeatureOut, responses=_ERRORS, summary="恢复已废止的地名")
def restore_name(
    fid: FeatureId, body: RestoreIn, gaz: GazetteerDep, user: EditorDep, response: Response, if_match: IfMatch = None
) -> FeatureOut:
    edit = Edit("restore", fid, _version(body.version, if_match), override_reason=body.override_reason)
    return _saved(gaz, edit, user, body.reason, response)


@router.post("/api/names/{fid:int}/revert", response_model=FeatureOut, responses=_ERRORS, summary="恢复到旧版本的内容")
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
    edits = [
        Edit(e.action, e.id, e.version, e.properties, _geometry(e.geometry), e.on, e.override_reason, e.to_version)
        for e in body.edits
    ]
    return [feature_out(f) for f in gaz.apply(edits, user=user, comment=body.comment)]
