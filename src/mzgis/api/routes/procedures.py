"""The naming procedure over HTTP: the queue by stage, applications, steps (each with its role: editors record,
approvers approve or refuse), overdue announcements, documents, and the announcement of approved names."""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from mzgis.api.contract import TextRule, layer_text
from mzgis.api.deps import EditorDep, GazetteerDep
from mzgis.api.files import download, download_responses
from mzgis.api.models import ErrorOut, FeatureId, FeatureOut, IdIn, IsoDate, feature_out
from mzgis.clock import beijing_today
from mzgis.errors import BadInput
from mzgis.gazetteer.documents import MAX_DOCUMENT_BYTES, add_document, get_document
from mzgis.gazetteer.procedure import STEPS, Procedures
from mzgis.io.announcement import IDS_PATTERN, announce, filing_register
from mzgis.io.document import document_bytes
from mzgis.io.tables import write_table
from mzgis.layers import PROCEDURE_STAGES, get_layer
from mzgis.users import require

__all__ = ["router"]

router = APIRouter(prefix="/api/procedures", tags=["地名审批 naming procedure"])
_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorOut},
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
}
_IDS: dict[str, Any] = {"pattern": IDS_PATTERN}


def _field(name: str) -> TextRule:
    return layer_text(get_layer("name_procedures"), name)


_SHORT = TextRule(60)  # an authority, an issuer, a document number
Stage = Literal["applied", "accepted", "reviewed", "approved", "announced", "filed", "refused"]
StepName = Literal["accept", "review", "approve", "refuse", "announce", "file"]
assert set(Stage.__args__) == set(PROCEDURE_STAGES) and set(StepName.__args__) == set(STEPS)  # type: ignore[attr-defined]


class ApplyIn(BaseModel):
    name_id: FeatureId = Field(description="拟用地名的编号(状态须为拟用)")
    applicant: Annotated[str, _field("applicant")]
    reasons: Annotated[str, _field("reasons")]
    on: IsoDate | None = Field(default=None, description="申报日期(默认今天)")


class StepIn(BaseModel):
    step: StepName = Field(
        description="受理 accept、论证 review、批准 approve、不予批准 refuse、公告 announce、备案 file"
    )
    version: IdIn = Field(description="申报记录的当前版本")
    on: IsoDate | None = Field(default=None, description="办理日期(默认今天)")
    approval_ref: Annotated[str, _field("approval_ref")] | None = None
    expert_opinion: Annotated[str, _field("expert_opinion")] | None = None
    public_comment: Annotated[str, _field("public_comment")] | None = None
    refusal_reason: Annotated[str, _field("refusal_reason")] | None = None
    announcement_ref: Annotated[str, _field("announcement_ref")] | None = None
    filing_ref: Annotated[str, _field("filing_ref")] | None = None


class DocumentIn(BaseModel):
    filename: str = Field(max_length=200, description="文件名(类型以内容为准:PDF、JPG、PNG、DOCX)")
    content_base64: str = Field(max_length=MAX_DOCUMENT_BYTES * 4 // 3 + 8, description="文件内容(Base64)")
    note: str = Field(default="", max_length=200, description="说明,如 专家论证意见")


class DocumentOut(BaseModel):
    id: int
    procedure_id: int
    filename: str
    media_type: str
    bytes: int
    sha256: str
    note: str
    added_at: str
    added_by: str


class OverdueOut(BaseModel):
    application: FeatureOut
    days_since_approval: int


class StepOut(BaseModel):
    step: str
    zh: str
    after: list[str] = Field(description="可在这些环节之后办理")
    to: str
    role: str = Field(description="所需角色(及以上)")
    fields: list[dict[str, Any]] = Field(description="本步骤的字段:name、label_zh、required、multiline")


@router.get("/steps", response_model=list[StepOut], responses=_ERRORS, summary="审批步骤、所需角色与字段")
def steps() -> list[StepOut]:
    layer = get_layer("name_procedures")
    out = []
    for key, st in STEPS.items():
        fields = [
            {
                "name": n,
                "label_zh": layer.field(n).label_zh,
                "required": n in st.required,
                "multiline": layer.field(n).multiline,
            }
            for n in (*st.required, *st.optional)
        ]
        out.append(StepOut(step=key, zh=st.zh, after=list(st.after), to=st.to, role=st.role, fields=fields))
    return out


@router.get("", response_model=list[FeatureOut], responses=_ERRORS, summary="审批队列(按环节)")
def queue(gaz: GazetteerDep, stage: Annotated[Stage | None, Query(description="办理环节")] = None) -> list[FeatureOut]:
    return [feature_out(f) for f in Procedures(gaz).queue(stage)]


@router.get("/overdue", response_model=list[OverdueOut], responses=_ERRORS, summary="批准后超过 15 日未公告")
def overdue(gaz: GazetteerDep) -> list[OverdueOut]:
    return [OverdueOut(application=feature_out(f), days_since_approval=d) for f, d in Procedures(gaz).overdue()]


@router.get(
    "/announcement",
    response_class=Response,
    responses=_ERRORS | download_responses(".docx", ".pdf", ".html"),
    summary="已批准地名的公告(Word 或 HTML)",
)
def announcement_file(
    gaz: GazetteerDep,
    ids: Annotated[
        str | None,
        Query(max_length=9000, description="申报编号,逗号分隔(默认全部已批准、未公告的)", json_schema_extra=_IDS),
    ] = None,
    format: Annotated[Literal["docx", "pdf", "html"], Query(description="文件格式")] = "docx",
    issuer: Annotated[str, Query(description="发布机关"), _SHORT] = "",
    authority: Annotated[str, Query(description="批准机关(默认同发布机关)"), _SHORT] = "",
    number: Annotated[str, Query(description="公告文号(重印时默认取已登记的)"), _SHORT] = "",
) -> Response:
    doc, _ = announce(Procedures(gaz), ids, issuer=issuer, authority=authority, number=number, day=beijing_today())
    return download(document_bytes(doc, format), f"地名公告_{beijing_today().isoformat()}.{format}")


@router.get(
    "/filing",
    response_class=Response,
    responses=_ERRORS | download_responses(".xlsx"),
    summary="地名备案登记表(XLSX)",
)
def filing_file(
    gaz: GazetteerDep,
    ids: Annotated[
        str | None,
        Query(
            max_length=9000, description="申报编号,逗号分隔(默认全部已公告待备案的和已备案的)", json_schema_extra=_IDS
        ),
    ] = None,
    authority: Annotated[str, Query(description="批准机关(默认本区县人民政府)"), _SHORT] = "",
) -> Response:
    table = filing_register(Procedures(gaz), ids, authority=authority)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "filing.xlsx"
        write_table(table, path, sheet="地名备案登记")
        return download(path.read_bytes(), f"地名备案登记_{beijing_today().isoformat()}.xlsx")


@router.post(
    "", response_model=FeatureOut, status_code=status.HTTP_201_CREATED, responses=_ERRORS, summary="申报(编辑及以上)"
)
def apply(body: ApplyIn, gaz: GazetteerDep, user: EditorDep) -> FeatureOut:
    f = Procedures(gaz).apply(
        body.name_id, applicant=body.applicant, reasons=body.reasons, user=user.name, on=body.on, scope=user.scope
    )
    return feature_out(f)


@router.get("/{pid}", response_model=FeatureOut, responses=_ERRORS, summary="一件申报")
def get_one(pid: FeatureId, gaz: GazetteerDep) -> FeatureOut:
    return feature_out(Procedures(gaz).get(pid))


@router.post("/{pid}/steps", response_model=FeatureOut, responses=_ERRORS, summary="办理一步(批准、不予批准须审批角色)")
def take_step(pid: FeatureId, body: StepIn, gaz: GazetteerDep, user: EditorDep) -> FeatureOut:
    signed = require(user, STEPS[body.step].role)  # type: ignore[arg-type]
    details = {k: v for k, v in body.model_dump(exclude={"step", "version", "on"}).items() if v is not None}
    f = Procedures(gaz).step(
        pid, body.step, version=body.version, user=signed.name, on=body.on, details=details, scope=signed.scope
    )
    return feature_out(f)


@router.get("/{pid}/documents", response_model=list[DocumentOut], responses=_ERRORS, summary="申报的附件")
def documents(pid: FeatureId, gaz: GazetteerDep) -> list[DocumentOut]:
    Procedures(gaz).get(pid)
    return [DocumentOut.model_validate(d) for d in gaz.store.documents(pid)]  # type: ignore[attr-defined]


@router.post(
    "/{pid}/documents",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS | {413: {"model": ErrorOut}},
    summary="添加附件(编辑及以上;PDF、JPG、PNG、DOCX,至多 20 MB)",
)
def attach(pid: FeatureId, body: DocumentIn, gaz: GazetteerDep, user: EditorDep) -> DocumentOut:
    Procedures(gaz).guard_application(pid, user.name, user.scope)
    try:
        data = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("附件内容不是有效的 Base64", "content is not base64") from None
    rec = add_document(gaz.store, pid, body.filename, data, user=user.name, note=body.note)  # type: ignore[arg-type]
    return DocumentOut.model_validate(rec)


@router.get(
    "/{pid}/documents/{doc_id}",
    response_class=Response,
    responses=_ERRORS | download_responses(".pdf", ".png", ".docx"),
    summary="下载附件",
)
def download_document(pid: FeatureId, doc_id: FeatureId, gaz: GazetteerDep) -> Response:
    rec, data = get_document(gaz.store, doc_id)  # type: ignore[arg-type]
    if rec["procedure_id"] != pid:
        raise BadInput("附件不属于这件申报", "document of another application")
    return download(data, str(rec["filename"]))
