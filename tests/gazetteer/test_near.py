"""The live spatial index of the gazetteer: exact on the sphere, and following edits without a rebuild."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from shapely.geometry import Point

from mzgis.gazetteer.near import NearIndex, distance_m
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Backend, open_store
from tests.outside import outside

BRIDGE = {"name": "金清大桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106"}


def test_distance_on_the_sphere() -> None:
    assert distance_m(121.0, 28.0, 121.0, 29.0) == pytest.approx(111_195.08, abs=0.01)  # one degree of latitude
    assert distance_m(121.0, 60.0, 122.0, 60.0) == pytest.approx(55_596.1, abs=1.0)  # half as long at 60°N


def test_nearest_in_metres_not_in_degrees() -> None:
    # at 60°N a degree of longitude is half a degree of latitude: A is 0.9° east, B 0.6° north.
    # In degrees B is nearer; on the ground A is (50.0 km against 66.7 km).
    tree = NearIndex([(1, 10.9, 60.0), (2, 10.0, 60.6)])
    assert [fid for fid, _ in tree.nearest(10.0, 60.0, 1)] == [1]
    naive = min(((1, 10.9, 60.0), (2, 10.0, 60.6)), key=lambda p: math.hypot(p[1] - 10.0, p[2] - 60.0))
    assert naive[0] == 2  # the simple method gets it wrong


def test_within_nearest_filters_ties_and_edits() -> None:
    tree = NearIndex([(1, 121.0, 28.0), (2, 121.01, 28.0), (3, 121.0, 28.02), (4, 121.01, 28.0)])
    d = distance_m(121.0, 28.0, 121.01, 28.0)  # about 982 m
    assert [fid for fid, _ in tree.within(121.0, 28.0, d)] == [1, 2, 4]  # on the boundary counts
    assert [fid for fid, _ in tree.within(121.0, 28.0, d - 0.01)] == [1]
    assert [fid for fid, _ in tree.nearest(121.0, 28.0, 2)] == [1, 2, 4]  # the tie at the 2nd distance is kept
    assert [fid for fid, _ in tree.nearest(121.0, 28.0, 1, accept=lambda f: f == 3)] == [3]  # grows the radius
    assert tree.nearest(121.0, 28.0, 5, within_m=1500) == tree.within(121.0, 28.0, 1500)
    tree.update(1, 121.02, 28.02)  # moved away
    tree.update(2, None, None)  # gone
    tree.update(9, 121.0001, 28.0)  # new
    assert [fid for fid, _ in tree.nearest(121.0, 28.0, 2)] == [9, 4]
    assert len(tree) == 4 and tree.position(2) is None
    assert NearIndex().nearest(121.0, 28.0, 3) == []


def test_the_gazetteer_index_follows_saves_of_any_tool(demo_store: Backend) -> None:
    gaz = Gazetteer(demo_store, today=lambda: dt.date(2026, 3, 1))
    spot = (121.5758, 28.5822)  # in 滨海新区, about 4 km from the nearest name
    before = gaz.search(near=spot, limit=1)[0]
    tree = gaz.near_index()
    made = gaz.create(BRIDGE, Point(121.5757, 28.5823), user="甲", reason="新建")
    assert gaz.search(near=spot, limit=1)[0].record.id == made.id
    assert gaz.near_index() is tree  # updated in place, not rebuilt
    gaz.move(made.id, Point(121.30, 28.60), expected_version=1, user="甲", reason="移位")
    assert gaz.search(near=spot, limit=1)[0].record.id == before.record.id
    # another process (here: another Gazetteer on the same file) saves; this one sees it at its next search
    other = Gazetteer(open_store(demo_store.location), today=lambda: dt.date(2026, 3, 1))
    far = other.create(BRIDGE | {"name": "东海大桥"}, Point(121.5759, 28.5821), user="乙", reason="新建")
    hits = gaz.search(near=spot, limit=2)
    assert [h.record.id for h in hits] == [far.id, before.record.id] and gaz.near_index() is tree
    # an edit in the file or database itself (as QGIS, sqlite3 or psql would make it) is followed through the audit
    with outside(demo_store) as conn:
        conn.execute("UPDATE place_names SET status = 'retired' WHERE id = ?", (far.id,))
    retired = gaz.search(near=spot, limit=1, status="current")
    assert retired[0].record.id != far.id
    assert gaz.search(near=spot, within_m=10, limit=5) == []
