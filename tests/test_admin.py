"""Admin-unit lookups: which units hold a point."""

from __future__ import annotations

from shapely.geometry import box

from mzgis.admin import AdminLookup
from mzgis.store import Feature


def unit(code: str, level: str, geometry: object) -> Feature:
    return Feature("admin_units", 0, 1, {"code": code, "name": f"单位{code}", "level": level}, geometry, "", "")  # type: ignore[arg-type]


def test_units_at_a_point_smallest_first() -> None:
    units = {
        "331004": unit("331004", "county", box(0, 0, 10, 10)),
        "331004001": unit("331004001", "township", box(0, 0, 5, 10)),
        "331004001001": unit("331004001001", "village", box(0, 0, 5, 5)),
        "331004001002": unit("331004001002", "village", None),  # no polygon yet: never holds a point
    }
    lookup = AdminLookup(units, units["331004"])
    assert [u.properties["code"] for u in lookup.at(1, 1)] == ["331004001001", "331004001", "331004"]
    assert [u.properties["code"] for u in lookup.at(7, 7)] == ["331004"]
    assert lookup.at(20, 20) == []
    assert lookup.at(5, 2) == [units["331004"]]  # on the township's and village's edge: only the county holds it
    assert AdminLookup({}, None).at(1, 1) == []
