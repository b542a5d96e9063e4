"""The announcement (地名公告) of a batch of approved names, as county bureaus publish it (《地名管理条例》第十七条:
within 15 days of approval; 民政部《地名备案公告管理办法(试行)》: each name's 标准名称, 罗马字母拼写, 所属政区,
位置描述, 批准机关 and 批准时间): a title with the issuer, the document number, the approval, a table of the
names, 特此公告, the issuer and the date on their own lines at the right. Word, HTML and (through Chromium)
PDF, from one document; produced again at any time for names already announced (a reprint says so and leaves
the procedure as it is)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import pandas as pd
from shapely.geometry import Point, box

from mzgis.admin import AdminLookup
from mzgis.errors import BadInput, Conflict
from mzgis.gazetteer.position import describe_position, names_near
from mzgis.gazetteer.procedure import Procedures
from mzgis.io.document import Document, Heading, Para, Table, date_zh
from mzgis.layers import LAYERS, choice_labels
from mzgis.store import Feature, Store
from mzgis.text import text_problem

__all__ = ["IDS_PATTERN", "announce", "announcement", "filing_register"]

# the applications of an announcement or a filing: their numbers, comma-separated, at most 500
IDS_PATTERN = r"^(?:\s*[0-9]{1,15}(?:\s*,\s*[0-9]{1,15}){0,499}\s*)?$"

CATEGORY_ZH = choice_labels(LAYERS["place_names"], "category")
# the stages whose names may be (re)announced: approved, and those announced or filed since (a reprint)
_ANNOUNCEABLE = ("approved", "announced", "filed")
_NEAR_DEG = 0.0005  # how far around a line's end other names are looked for (about 50 m)


def announcement(
    applications: list[Feature],
    names: Mapping[int, Feature],
    *,
    issuer: str,
    authority: str,
    units: Mapping[str, str],
    positions: Mapping[int, str],
    number: str,
    day: dt.date,
) -> Document:
    """The announcement of ``applications`` (approved; announced or filed ones are reprinted), their names
    from ``names`` (by id), ``units`` naming admin codes, ``positions`` each name's 位置描述 (by name id),
    approved by ``authority`` and issued by ``issuer`` on ``day`` under ``number`` (文号, may be empty)."""
    if not applications:
        raise Conflict("没有可公告的已批准地名", "nothing to announce")
    not_ready = [a.properties["name"] for a in applications if a.properties["stage"] not in _ANNOUNCEABLE]
    if not_ready:
        raise Conflict(f"只有已批准的地名可以公告:{'、'.join(map(str, not_ready))}", "not approved")
    rows = _name_rows(applications, names, units=units, positions=positions, authority=authority)
    first, n = rows[0]["标准名称"], len(rows)
    which = f"“{first}”" if n == 1 else f"“{first}”等 {n} 条"
    refs = sorted({str(r["批准文号"]) for r in rows})
    approval = f"经{authority}批准({'、'.join(refs)})" if len(refs) <= 3 else f"经{authority}批准"
    doc = Document(f"{issuer}地名公告", landscape=True)
    doc.add(Heading(f"{issuer}关于{which}标准地名的公告", 1))
    if number:
        doc.add(Para(number, align="center"))
    doc.add(
        Para(
            f"根据《地名管理条例》第十七条,{approval},现将{which}标准地名予以公告。"
            "标准地名及其罗马字母拼写以本公告为准,各有关单位和个人应规范使用。"
        ),
        Table(pd.DataFrame(rows), font_pt=9),
        Para("特此公告。"),
        Para(issuer, align="right"),
        Para(date_zh(day), align="right"),
    )
    reprinted = [a for a in applications if a.properties["stage"] != "approved"]
    if reprinted:
        when = sorted({str(a.properties.get("announced_on") or "") for a in reprinted} - {""})
        doc.add(Para(f"(本件为重印件{',原公告日期 ' + '、'.join(when) if when else ''})", small=True))
    return doc


def _name_rows(
    applications: list[Feature],
    names: Mapping[int, Feature],
    *,
    units: Mapping[str, str],
    positions: Mapping[int, str],
    authority: str,
) -> list[dict[str, object]]:
    """One row per application: the elements of its name an announcement and a filing state."""
    rows: list[dict[str, object]] = []
    for i, app in enumerate(applications, start=1):
        nid = int(app.properties["name_id"])
        name = names[nid].properties
        code = str(name.get("admin_code") or "")
        rows.append(
            {
                "序号": i,
                "标准名称": name["name"],
                "罗马字母拼写": name.get("romanized") or "",
                "地名类别": CATEGORY_ZH.get(str(name.get("category")), name.get("category")),
                "所属政区": units.get(code, "") or code,
                "位置描述": positions.get(nid, ""),
                "批准机关": authority,
                "批准文号": app.properties["approval_ref"],
                "批准时间": date_zh(app.properties["approved_on"]),
            }
        )
    return rows


def filing_register(procedures: Procedures, ids: str | None = None, *, authority: str = "") -> pd.DataFrame:
    """The 地名备案登记 of the applications ``ids`` (default: every one announced and not yet filed, and
    those filed): what the national place-name database asks of each name (标准名称, 罗马字母拼写, 类别, 所属
    政区, 位置描述, 批准机关, 文号 and dates of the approval, the announcement and the filing)."""
    apps = _chosen(procedures, ids, default=("announced", "filed"))
    not_announced = [str(a.properties["name"]) for a in apps if a.properties["stage"] not in ("announced", "filed")]
    if not_announced:
        raise Conflict(f"只有已公告的地名可以备案:{'、'.join(not_announced)}", "not announced")
    if not apps:
        raise Conflict("没有已公告待备案或已备案的地名", "nothing to file")
    names, admin, issuer = _context(procedures, apps)
    units, positions = _described(procedures.store, admin, names)
    rows = _name_rows(apps, names, units=units, positions=positions, authority=authority.strip() or issuer)
    for row, app in zip(rows, apps, strict=True):
        p = app.properties
        row |= {
            "公告文号": p.get("announcement_ref") or "",
            "公告时间": date_zh(p["announced_on"]) if p.get("announced_on") else "",
            "备案文号": p.get("filing_ref") or "",
            "备案时间": date_zh(p["filed_on"]) if p.get("filed_on") else "",
        }
    return pd.DataFrame(rows)


def _chosen(procedures: Procedures, ids: str | None, *, default: tuple[str, ...]) -> list[Feature]:
    """The applications ``ids`` (:data:`IDS_PATTERN`), or those at the ``default`` stages."""
    if not ids:
        return [a for stage in default for a in procedures.queue(stage)]
    if not re.fullmatch(IDS_PATTERN, ids):
        raise BadInput("申报编号应为逗号分隔的整数,一次至多 500 条", "ids must be at most 500 integers")
    return [procedures.get(int(x)) for x in ids.split(",")]


def _context(procedures: Procedures, apps: list[Feature]) -> tuple[dict[int, Feature], AdminLookup, str]:
    """The names of ``apps`` by id, the admin units, and the home county's government (the default issuer)."""
    names = {i: procedures.store.get("place_names", i) for i in (int(a.properties["name_id"]) for a in apps)}
    admin = procedures.gazetteer.admin()
    county = admin.county.properties.get("name") if admin.county is not None and admin.county.properties else ""
    return names, admin, f"{county or ''}人民政府"


def _described(store: Store, admin: AdminLookup, names: Mapping[int, Feature]) -> tuple[dict[str, str], dict[int, str]]:
    """The units of ``names`` with the units above them (by code), and each name's 位置描述 (by id)."""
    codes = {str(n.properties.get("admin_code")) for n in names.values()}
    units = {c: _unit_chain(admin, c) for c in codes}
    return units, {nid: position_of(store, admin, n) for nid, n in names.items()}


def _unit_words(admin: AdminLookup, point: Point) -> str:
    """The township and village holding ``point`` (金清镇下梁村), or the county where no smaller unit does."""
    held = admin.at(point.x, point.y)
    parts = [str(u.properties["name"]) for u in held if u.properties.get("level") in ("township", "village")]
    if parts:
        return "".join(reversed(parts))  # township first
    return str(held[0].properties["name"]) if held else ""


def position_of(store: Store, admin: AdminLookup, name: Feature) -> str:
    """A name's 位置描述: the officer's own description where the register has one, else worked out from its
    geometry (:func:`~mzgis.gazetteer.position.describe_position`, the ends of a line by the names they meet)."""
    own = str(name.properties.get("description") or "").strip()
    if own:
        return own
    geom = name.geometry

    def name_at(point: Point) -> str | None:
        around = box(point.x - _NEAR_DEG, point.y - _NEAR_DEG, point.x + _NEAR_DEG, point.y + _NEAR_DEG)
        others = store.features("place_names", bbox=around.bounds)
        candidates = [
            (str(f.properties["name"]), f.geometry)
            for f in others
            if f.id != name.id and f.properties.get("status") != "retired" and f.geometry is not None
        ]
        return names_near(candidates, point)

    return describe_position(geom, unit_at=lambda p: _unit_words(admin, p), name_at=name_at)


def announce(
    procedures: Procedures,
    ids: str | None = None,
    *,
    issuer: str = "",
    authority: str = "",
    number: str = "",
    day: dt.date,
) -> tuple[Document, int]:
    """The announcement of the applications ``ids`` (comma-separated, at most 500; default: every approved
    one not yet announced), issued by ``issuer`` (default: the home county's government), approved by
    ``authority`` (default: the issuer), under ``number`` (default: the 公告文号 recorded with the
    applications, when they were announced), and how many names it announces: for ``mzgis names
    announcement`` and the API alike."""
    for label, text in (("发布机关", issuer), ("批准机关", authority), ("文号", number)):
        problem = text_problem(text)
        if problem or len(text) > 60:
            raise BadInput(f"{label}{problem or '过长(最多 60 个字符)'}", f"bad {label}")
    apps = _chosen(procedures, ids, default=("approved",))
    store = procedures.store
    names, admin, home = _context(procedures, apps)
    issuer = issuer.strip() or home
    if not number.strip():  # a reprint keeps the number it was announced under
        number = "、".join(sorted({str(a.properties.get("announcement_ref") or "") for a in apps} - {""}))
    units, positions = _described(store, admin, names)
    doc = announcement(
        apps,
        names,
        issuer=issuer.strip(),
        authority=authority.strip() or issuer.strip(),
        units=units,
        positions=positions,
        number=number.strip(),
        day=day,
    )
    return doc, len(apps)


def _unit_chain(admin: AdminLookup, code: str) -> str:
    """A unit with the units above it in the county: 路桥区金清镇, 路桥区金清镇下梁村."""
    names = []
    for length in (6, 9, 12):
        if len(code) >= length and admin.known(code[:length]):
            names.append(admin.name(code[:length]))
    return "".join(names) or admin.name(code) or code
