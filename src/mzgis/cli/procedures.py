"""The naming procedure (`mzgis names apply / step / queue / attach / announcement / filing`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mzgis.cli import names_app
from mzgis.cli.common import (
    DbOption,
    JsonOption,
    UserOption,
    echo_json,
    fail,
    gazetteer_for,
    jurisdiction,
    recorded_as,
    settings_for,
)

__all__ = ["names_announcement", "names_apply", "names_attach", "names_filing", "names_queue", "names_step"]


def _procedures(db: str | None) -> Any:
    from mzgis.gazetteer.procedure import Procedures

    return Procedures(gazetteer_for(db))


@names_app.command("apply")
def names_apply(
    name_id: Annotated[int, typer.Argument(help="拟用地名的编号")],
    applicant: Annotated[str, typer.Option("--applicant", help="申报单位(人)")],
    reasons: Annotated[str, typer.Option("--reasons", help="申报理由")],
    on: Annotated[str | None, typer.Option("--on", help="申报日期 YYYY-MM-DD(默认今天)")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """申报地名(审批程序第一步)。Apply for a proposed name."""
    procedures = _procedures(db)
    f = procedures.apply(
        name_id,
        applicant=applicant,
        reasons=reasons,
        user=recorded_as(user, settings_for(db)),
        on=on,
        scope=jurisdiction(user, procedures.store, db),
    )
    typer.echo(f"已申报:{f.properties['name']}(申报编号 {f.id},版本 {f.version})")


@names_app.command("step")
def names_step(
    pid: Annotated[int, typer.Argument(help="申报编号")],
    step: Annotated[
        str, typer.Argument(help="accept 受理、review 论证、approve 批准、refuse 不予批准、announce 公告、file 备案")
    ],
    version: Annotated[int, typer.Option("--version", help="申报记录的当前版本")],
    on: Annotated[str | None, typer.Option("--on", help="办理日期 YYYY-MM-DD(默认今天)")] = None,
    approval_ref: Annotated[str | None, typer.Option("--approval-ref", help="批准文号")] = None,
    expert_opinion: Annotated[str | None, typer.Option("--expert-opinion", help="专家论证意见")] = None,
    public_comment: Annotated[str | None, typer.Option("--public-comment", help="征求意见结果")] = None,
    refusal_reason: Annotated[str | None, typer.Option("--refusal-reason", help="不予批准理由")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="公告或备案文号")] = None,
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """办理审批程序的一步。Take a step of the naming procedure."""
    details = {
        "approval_ref": approval_ref,
        "expert_opinion": expert_opinion,
        "public_comment": public_comment,
        "refusal_reason": refusal_reason,
        "announcement_ref": ref if step == "announce" else None,
        "filing_ref": ref if step == "file" else None,
    }
    procedures = _procedures(db)
    f = procedures.step(
        pid,
        step,
        version=version,
        user=recorded_as(user, settings_for(db)),
        scope=jurisdiction(user, procedures.store, db),
        on=on,
        details={k: v for k, v in details.items() if v is not None},
    )
    from mzgis.gazetteer.procedure import STAGE_ZH

    typer.echo(f"{f.properties['name']}:{STAGE_ZH[f.properties['stage']]}(版本 {f.version})")


@names_app.command("queue")
def names_queue(
    stage: Annotated[
        str | None,
        typer.Option("--stage", help="办理环节:申报、受理、论证、批准、公告、备案、不予批准(或 applied、accepted …)"),
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列批准后超过 15 日未公告的")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """审批队列:各环节的申报。The naming procedure's queue."""
    from mzgis.gazetteer.procedure import STAGE_ZH

    proc = _procedures(db)
    rows = [(f, None) for f in proc.queue(stage)] if not overdue else proc.overdue()
    if as_json:
        echo_json([{"id": f.id, "version": f.version, **f.properties, "overdue_days": d} for f, d in rows])
        return
    for f, days in rows:
        p = f.properties
        late = f"  批准后 {days} 日未公告" if days is not None else ""
        typer.echo(
            f"#{f.id} {p['name']}  {STAGE_ZH[p['stage']]}  申报 {p['applied_on']}  {p['applicant']}"
            f"  版本 {f.version}{late}"
        )
    typer.echo(f"共 {len(rows)} 件")


@names_app.command("attach")
def names_attach(
    pid: Annotated[int, typer.Argument(help="申报编号")],
    file: Annotated[Path, typer.Argument(help="附件:PDF、JPG、PNG 或 Word(.docx),至多 20 MB")],
    note: Annotated[str, typer.Option("--note", help="说明,如 专家论证意见")] = "",
    user: UserOption = None,
    db: DbOption = None,
) -> None:
    """给申报添加附件(保存在数据文件中)。Attach a document to an application."""
    from mzgis.gazetteer.documents import MAX_DOCUMENT_BYTES, add_document

    if not file.is_file():
        raise fail(f"找不到文件 {file}", 3)
    if file.stat().st_size > MAX_DOCUMENT_BYTES:
        raise fail(f"附件超过 {MAX_DOCUMENT_BYTES // 2**20} MB:{file.name}", 2)
    procedures = _procedures(db)  # a named officer attaches only to applications in their jurisdiction
    procedures.guard_application(pid, recorded_as(user, settings_for(db)), jurisdiction(user, procedures.store, db))
    rec = add_document(
        procedures.store, pid, file.name, file.read_bytes(), user=recorded_as(user, settings_for(db)), note=note
    )
    typer.echo(f"已添加附件 {rec['filename']}(编号 {rec['id']},{rec['bytes']} 字节)")


@names_app.command("announcement")
def names_announcement(
    out: Annotated[Path, typer.Option("--out", help="输出文件 .docx、.pdf 或 .html")],
    issuer: Annotated[str, typer.Option("--issuer", help="发布机关,如 台州市路桥区人民政府")],
    ids: Annotated[
        str | None, typer.Option("--ids", help="申报编号,逗号分隔(默认全部已批准、未公告的;已公告的可重印)")
    ] = None,
    number: Annotated[str, typer.Option("--number", help="公告文号,如 路政地公〔2026〕1号(重印时默认取已登记的)")] = "",
    authority: Annotated[str, typer.Option("--authority", help="批准机关(默认同发布机关)")] = "",
    db: DbOption = None,
) -> None:
    """生成已批准地名的公告(Word、PDF 或 HTML)。The announcement of approved names."""
    from mzgis.clock import beijing_today
    from mzgis.io.announcement import announce
    from mzgis.io.document import DOCUMENT_FORMATS, document_bytes

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in DOCUMENT_FORMATS:
        raise fail(f"输出文件须以 .docx、.pdf 或 .html 结尾:{out.name}", 2)
    doc, count = announce(_procedures(db), ids, issuer=issuer, authority=authority, number=number, day=beijing_today())
    out.write_bytes(document_bytes(doc, fmt))
    typer.echo(f"已写出公告 {out}({count} 条地名)")


@names_app.command("filing")
def names_filing(
    out: Annotated[Path, typer.Option("--out", help="输出文件 .xlsx 或 .csv")],
    ids: Annotated[
        str | None, typer.Option("--ids", help="申报编号,逗号分隔(默认全部已公告待备案的和已备案的)")
    ] = None,
    authority: Annotated[str, typer.Option("--authority", help="批准机关(默认本区县人民政府)")] = "",
    db: DbOption = None,
) -> None:
    """地名备案登记表(报上级和国家地名信息库)。The filing register of announced names."""
    from mzgis.io.announcement import filing_register
    from mzgis.io.tables import write_table

    table = filing_register(_procedures(db), ids, authority=authority)
    write_table(table, out, sheet="地名备案登记")
    typer.echo(f"已写出备案登记表 {out}({len(table)} 条地名)")
