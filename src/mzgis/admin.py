"""Lookups of admin units shared by the services: the home county, known codes, containing units.

Reads through the store; holds no state.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.errors import BadInput
from mzgis.store import Feature, Store

__all__ = [
    "AdminLookup",
    "area_name",
    "counties_ready",
    "load_admin",
    "register_area",
    "require_polygons",
    "with_polygons",
]


@dataclass(frozen=True)
class AdminLookup:
    """The admin units of a store: codes with level and name, and the home county's outline."""

    units: dict[str, Feature]
    county: Feature | None
    # outlines widened by their tolerance and prepared, worked out on first use (a lookup is kept while the
    # admin units do not change, so every save after the first reuses them)
    _covers: dict[tuple[str, float], BaseGeometry] = field(default_factory=dict, compare=False, repr=False)

    @property
    def codes(self) -> set[str]:
        return set(self.units)

    def known(self, code: str) -> bool:
        return code in self.units

    def _widened(self, key: str, geom: BaseGeometry, tolerance: float) -> BaseGeometry:
        widened = self._covers.get((key, tolerance))
        if widened is None:
            widened = geom.buffer(tolerance)
            shapely.prepare(widened)
            self._covers[(key, tolerance)] = widened
        return widened

    def name(self, code: str) -> str:
        unit = self.units.get(code)
        return "" if unit is None else str(unit.properties["name"])

    def level(self, code: str) -> str | None:
        unit = self.units.get(code)
        return None if unit is None else str(unit.properties["level"])

    def county_of(self, code: str) -> Feature | None:
        """The county a unit's code belongs to (its first six digits), when the store has that county with its
        outline; else the home county (a store of one county, or the union of those with townships)."""
        own = self.units.get(str(code)[:6])
        if own is not None and own.properties.get("level") == "county" and own.geometry is not None:
            return own
        return self.county

    def in_county(self, geom: BaseGeometry, *, code: str = "", tolerance_deg: float = 0.001) -> bool:
        """Whether ``geom`` lies in the county of unit ``code`` (within about 100 m): in a store of many
        counties each name is checked against its own; True when there is no county yet."""
        county = self.county_of(code)
        if county is None or county.geometry is None:
            return True
        key = "" if county is self.county else f"county {county.properties['code']}"
        return bool(self._widened(key, county.geometry, tolerance_deg).covers(geom))

    def contains(self, code: str, geom: BaseGeometry, *, tolerance_deg: float = 1e-6) -> bool:
        unit = self.units.get(code)
        if unit is None or unit.geometry is None:
            return True
        return bool(self._widened(code, unit.geometry, tolerance_deg).covers(geom))

    def at(self, lon: float, lat: float) -> list[Feature]:
        """The units holding the point (lon/lat), the smallest level first: village, township, county."""
        units = [u for u in self.units.values() if u.geometry is not None]
        if not units:
            return []
        inside = shapely.contains_xy([u.geometry for u in units], lon, lat)
        order = {"village": 0, "township": 1, "county": 2}
        held = [u for u, hit in zip(units, inside, strict=True) if hit]
        return sorted(held, key=lambda u: (order.get(str(u.properties["level"]), 3), str(u.properties["code"])))

    def code_of(self, text: str, *, within: str = "", level: str | None = None) -> str:
        """The code of the unit ``text`` names — a code (full-width digits read as digits), or the unit's name
        or its committee's (回浦村, 回浦村委会) — among the units under ``within`` (a code prefix) of ``level``;
        BadInput naming the candidates when several fit, or saying none does."""
        key = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
        if key.isdigit():
            if key in self.units:
                return key
            raise BadInput(f"区划代码“{key}”不存在", f"unknown admin code {key!r}")
        hits = sorted(
            code
            for code, unit in self.units.items()
            if code.startswith(within)
            and (level is None or unit.properties.get("level") == level)
            and key in (unit.properties.get("name"), unit.properties.get("official_name"))
        )
        where = f"{self.name(within)}({within})下" if within else ""
        what = {"township": "乡镇(街道)", "village": "村(社区)"}.get(level or "", "区划单位")
        if not hits:
            raise BadInput(f"{where}没有名为“{key}”的{what}", f"no admin unit named {key!r}")
        if len(hits) > 1:
            shown = "、".join(f"{self.name(c)}({c})" for c in hits)
            raise BadInput(f"名为“{key}”的{what}有 {len(hits)} 个,请写代码:{shown}", f"ambiguous unit name {key!r}")
        return hits[0]

    def extent(self, *, margin_deg: float = 0.0) -> tuple[float, float, float, float] | None:
        if self.county is None or self.county.geometry is None:
            return None
        minx, miny, maxx, maxy = self.county.geometry.bounds
        return minx - margin_deg, miny - margin_deg, maxx + margin_deg, maxy + margin_deg


def load_admin(store: Store) -> AdminLookup:
    """Every admin unit; the home county is the county-level unit that has townships below it."""
    units = {str(f.properties["code"]): f for f in store.iter_features("admin_units")}
    parents = {f.properties["parent_code"] for f in units.values() if f.properties["level"] == "township"}
    counties = [f for f in units.values() if f.properties["level"] == "county"]
    home = [f for f in counties if f.properties["code"] in parents]
    county = home[0] if len(home) == 1 else None
    if county is None and len(counties) == 1:
        county = counties[0]
    if county is None and home:
        geoms = [f.geometry for f in home if f.geometry is not None]
        county = Feature("admin_units", 0, 0, {}, shapely.union_all(geoms), "", "")
    return AdminLookup(units, county)


def _without(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = units.geometry
    return units[geoms.isna() | geoms.is_empty]


def with_polygons(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The units that have a polygon (a map draws what there is; codes registered without one wait)."""
    return units.drop(_without(units).index)


def require_polygons(units: gpd.GeoDataFrame, purpose: str) -> gpd.GeoDataFrame:
    """``units``, refused by name when some are only registered by code: an analysis over the others would
    silently leave them out."""
    missing = _without(units)
    if not missing.empty:
        examples = "、".join(str(n) for n in missing["name"].head(3))
        raise BadInput(
            f"{len(missing)} 个区划单位还没有区划面(如 {examples}),{purpose}需要全部区划面;"
            "请先导入:mzgis import admin_units 面文件 --update(按代码补上)",
            f"{len(missing)} admin units have no polygon",
        )
    return units


def counties_ready(
    units: gpd.GeoDataFrame, needed: gpd.GeoDataFrame, purpose: str
) -> tuple[gpd.GeoDataFrame, list[dict[str, str | int]]]:
    """A store of several counties at different stages: ``units`` without the counties (by the first six
    digits of the code) where some of ``needed`` have no polygon yet, and those counties, each with its
    code, name, how many units wait for a polygon and a Chinese line saying it was left out of ``purpose``.
    Refused by name (as :func:`require_polygons`) when no county is ready."""
    missing = _without(needed)
    if missing.empty:
        return units, []
    waiting = missing["code"].astype(str).str[:6].value_counts().sort_index()
    kept = units[~units["code"].astype(str).str[:6].isin(set(waiting.index))]
    if kept.empty or needed["code"].astype(str).str[:6].isin(set(waiting.index)).all():
        require_polygons(needed, purpose)
    names = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=True))
    left = []
    for county, count in waiting.items():
        name = names.get(str(county), "")
        left.append(
            {
                "code": str(county),
                "name": name,
                "missing": int(count),
                "message": f"{name}({county})有 {int(count)} 个区划单位还没有区划面,未参加{purpose}",
            }
        )
    return kept, left


def area_name(units: gpd.GeoDataFrame, unit: str | None = None) -> str:
    """Whose a document is: the unit ``unit`` (a township with its county: 路桥区金清镇), else the county (or
    up to three counties) whose townships the register holds, drawn or not, else the counties it holds;
    "本区县" for a register without any (or of more than three)."""
    if unit:
        names = {str(c): str(n) for c, n in zip(units.code, units.name, strict=True)}
        chain = [names[unit[:k]] for k in (6, 9, 12) if len(unit) >= k and unit[:k] in names]
        return "".join(chain) or names.get(unit, "本区县")
    counties = units[units.level == "county"]
    towns = units[units.level == "township"]
    home = counties[counties.code.isin({str(c)[:6] for c in towns.code})] if not towns.empty else counties
    return "、".join(home.name) if 0 < len(home) <= 3 else "本区县"


def register_area(store: Store, unit: str | None = None) -> str:
    """:func:`area_name` of the register's units, read without their outlines."""
    rows = [f.properties for f in store.features("admin_units", geometry=False)]
    return area_name(pd.DataFrame(rows, columns=["code", "name", "level"]), unit)
