"""The announcement (地名公告) of a batch of approved names, as the bureau publishes it (第十七条: within 15
days of approval): HTML (printed to PDF by a browser) and Word, from one document."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mzgis.errors import BadInput
from mzgis.gazetteer.procedure import Procedures
from mzgis.io.document import Document, Heading, Para, Table
from mzgis.layers import LAYERS, choice_labels
from mzgis.store import Feature

__all__ = ["announce", "announcement"]

CATEGORY_ZH = choice_labels(LAYERS["place_names"], "category")


def announcement(
    applications: list[Feature], names: dict[int, Feature], *, issuer: str, units: dict[str, str], day: dt.date
) -> Document:
    """The announcement of ``applications`` (approved, not yet announced), their names from ``names`` (by
    id), ``units`` naming admin codes, issued by ``issuer`` on ``day``."""
    if not applications:
        raise BadInput("没有可公告的已批准地名", "nothing to announce")
    not_ready = [a.properties["name"] for a in applications if a.properties["stage"] != "approved"]
    if not_ready:
        raise BadInput(f"只有已批准、未公告的地名可以公告:{'、'.join(map(str, not_ready))}", "not approved")
    rows = []
    for i, app in enumerate(applications, start=1):
        name = names[int(app.properties["name_id"])].properties
        code = str(name.get("admin_code") or "")
        rows.append(
            {
                "序号": i,
                "标准名称": name["name"],
                "罗马字母拼写": name.get("romanized") or "",
                "地名类别": CATEGORY_ZH.get(str(name.get("category")), name.get("category")),
                "所在区划": f"{units.get(code, '')} {code}".strip(),
                "地名含义": name.get("origin") or "",
                "批准文号": app.properties["approval_ref"],
                "批准日期": app.properties["approved_on"],
            }
        )
    first = rows[0]["标准名称"]
    doc = Document(f"{issuer}地名公告", landscape=True)
    doc.add(
        Heading(f"{issuer}关于批准“{first}”等 {len(rows)} 条地名的公告", 1),
        Para(
            f"根据《地名管理条例》第十七条,现将经批准的“{first}”等 {len(rows)} 条标准地名予以公告。"
            "标准地名及其罗马字母拼写以本公告为准,各有关单位和个人应规范使用。"
        ),
        Table(pd.DataFrame(rows), font_pt=9),
        Para("特此公告。"),
        Para(f"{issuer}    {day.year} 年 {day.month} 月 {day.day} 日"),
    )
    return doc


def announce(procedures: Procedures, ids: str | None = None, *, issuer: str = "", day: dt.date) -> tuple[Document, int]:
    """The announcement of the applications ``ids`` (comma-separated, at most 500; default: every approved
    one not yet announced), issued by ``issuer`` (default: the home county's government), and how many names
    it announces: for ``mzgis names announcement`` and the API alike."""
    if ids:
        try:
            wanted = [int(x) for x in ids.split(",") if x.strip()]
        except ValueError:
            raise BadInput("申报编号应为逗号分隔的整数", "ids must be integers") from None
        if len(wanted) > 500:
            raise BadInput("一次公告至多 500 条申报", "at most 500 applications")
        apps = [procedures.get(i) for i in wanted]
    else:
        apps = procedures.queue("approved")
    names = {i: procedures.store.get("place_names", i) for i in (int(a.properties["name_id"]) for a in apps)}
    admin = procedures.gazetteer.admin()
    if not issuer.strip():
        county = admin.county.properties.get("name") if admin.county is not None and admin.county.properties else ""
        issuer = f"{county or ''}人民政府"
    codes = {str(n.properties.get("admin_code")) for n in names.values()}
    doc = announcement(apps, names, issuer=issuer.strip(), units={c: admin.name(c) for c in codes}, day=day)
    return doc, len(apps)
