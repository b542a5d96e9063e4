"""The division units' own names in the gazetteer: a county's, its townships' and its villages' and
communities' names are standard place names (行政区划, 群众自治组织) and what new names most often collide
with, so a register made from the national division list holds them from the start.

:func:`seed_division_names` adds, as one changeset through the gazetteer's rules, the name of every admin unit
that has none yet (of its category and subcategory, romanized, status 现行, its source said in its
description); a unit without a polygon gives a name without a position — said, not faked.
:func:`place_division_names` gives those names the representative point of their unit once the unit's polygon
is there (``mzgis import admin_units … --update``), as moves in the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mzgis.gazetteer.edits import Edit
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Feature, Store

__all__ = [
    "DIVISION_CATEGORIES",
    "SeedReport",
    "division_class",
    "place_division_names",
    "seed_division_names",
    "unnamed_units",
]

# the categories of the division units' names
DIVISION_CATEGORIES = ("administrative_area", "non_administrative_area", "self_governing_org")
_SOURCE = "据{source}登记的区划名称"
_OVERRIDE = "区划名录中的现行名称,按名录登记"


def division_class(code: str, name: str, level: str) -> tuple[str, str | None]:
    """The category and subcategory of a division unit's name: a county; a township by the code's type
    (统计用区划代码: 0xx 街道, 1xx 镇, 2xx 乡, 4xx–5xx units like townships: development zones, farms); a
    village-level unit by its generic (村 a village, 社区 a community)."""
    if level == "county":
        return "administrative_area", "county"
    if level == "township":
        if code[6:7] in ("4", "5"):
            return "non_administrative_area", "development_zone"
        return "administrative_area", "subdistrict" if name.endswith("街道") else "town"
    if name.endswith("社区"):
        return "self_governing_org", "community"
    return "self_governing_org", "village" if name.endswith("村") else None


@dataclass
class SeedReport:
    """How many names were added, and how many of them have no position yet."""

    added: int = 0
    without_position: int = 0


def seed_division_names(
    gazetteer: Gazetteer, *, source: str, user: str, under: str | None = None, reason: str = ""
) -> SeedReport:
    """Add the name of every admin unit (under ``under``, a code prefix) that has no name of a division's
    category with its code yet; ``source``: where the units come from (said in each name's description)."""
    units, named = _units_and_names(gazetteer.store, under)
    report = SeedReport()
    edits = []
    for unit in (u for u in units if u.properties["code"] not in named):
        code, name, level = (str(unit.properties[k]) for k in ("code", "name", "level"))
        category, subcategory = division_class(code, name, level)
        point = None if unit.geometry is None else unit.geometry.representative_point()
        props = {
            "name": name,
            "category": category,
            "subcategory": subcategory,
            "admin_code": code,
            "status": "current",
            "description": _SOURCE.format(source=source),
        }
        edits.append(Edit("create", properties=props, geometry=point, override_reason=_OVERRIDE))
        report.without_position += point is None
    if edits:
        gazetteer.apply(edits, user=user, comment=reason or f"按{source}登记区划名称")
    report.added = len(edits)
    return report


def unnamed_units(store: Store, under: str | None = None) -> int:
    """How many admin units (under ``under``) have no name of a division's category with their code."""
    units, named = _units_and_names(store, under)
    return sum(1 for u in units if u.properties["code"] not in named)


def _units_and_names(store: Store, under: str | None) -> tuple[list[Feature], set[str]]:
    """The units of the store's own counties (those with townships in it: a neighbour held only as an
    outline is not registered) and the codes that have a division's name."""
    every = [u for u in store.features("admin_units", scope=under) if str(u.properties.get("name") or "")]
    kept = {str(u.properties["code"])[:6] for u in every if u.properties.get("level") == "township"}
    units = [u for u in every if str(u.properties["code"])[:6] in kept]
    named = {
        str(f.properties["admin_code"])
        for f in store.features("place_names", scope=under, geometry=False)
        if f.properties["category"] in DIVISION_CATEGORIES
    }
    return units, named


def place_division_names(gazetteer: Gazetteer, codes: Iterable[str], *, user: str) -> int:
    """Give the division names of units ``codes`` that have no position the representative point of their
    unit's polygon, where it now has one; returns how many names were placed."""
    store = gazetteer.store
    wanted = set(codes)
    if not wanted:
        return 0
    units: dict[str, Feature] = {
        str(u.properties["code"]): u for u in store.features("admin_units", where={"code": sorted(wanted)})
    }
    outlines = {code: u.geometry for code, u in units.items() if u.geometry is not None}
    edits = [
        Edit("move", f.id, f.version, geometry=outlines[code].representative_point(), override_reason=_OVERRIDE)
        for f in store.features("place_names", where={"admin_code": sorted(wanted)})
        if f.geometry is None
        and f.properties["category"] in DIVISION_CATEGORIES
        and (code := str(f.properties["admin_code"])) in outlines
        and f.properties["name"] == units[code].properties["name"]
    ]
    if edits:
        gazetteer.apply(edits, user=user, comment="区划面已导入:区划名称取区划面内的代表点")
    return len(edits)
