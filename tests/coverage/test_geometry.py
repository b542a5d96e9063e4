"""Population centres and the point-in-polygon index."""

from __future__ import annotations

import numpy as np
import shapely

from mzgis.coverage.geometry import Polygons, population_centres

U_SHAPE = shapely.Polygon([(0, 0), (4, 0), (4, 4), (3, 4), (3, 1), (1, 1), (1, 4), (0, 4)])


def test_centre_of_the_extent_when_inside_else_a_point_inside() -> None:
    xy = population_centres([shapely.box(0, 0, 2, 6), U_SHAPE, None, shapely.Polygon()])
    assert xy[0].tolist() == [1.0, 3.0]  # a compact village: the centre of its extent
    assert not shapely.contains_xy(U_SHAPE, 2.0, 2.0)  # the U's extent centre lies in its gap...
    assert shapely.contains_xy(U_SHAPE, *xy[1])  # ...so a point inside it is used
    assert np.isnan(xy[2:]).all()  # no geometry, no centre
    assert population_centres([]).shape == (0, 2)


def test_polygons_holding_points_edges_outside() -> None:
    shapes = Polygons([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), U_SHAPE])
    points = shapely.points([(0.5, 0.5), (1.5, 1.5), (2.0, 0.5), (2.0, 2.5), (9.0, 9.0)])
    p, g = shapes.holding(points)
    pairs = sorted(zip(p.tolist(), g.tolist(), strict=True))
    # (2, 0.5) lies on the first box's edge: only the U holds it; (2, 2.5) and (1.5, 1.5) are in the U's gap
    assert pairs == [(0, 0), (0, 2), (1, 0), (1, 1), (2, 2), (3, 1)]


def test_subdivisions_looked_up_in_their_parent_then_everywhere() -> None:
    from mzgis.coverage.geometry import Subdivisions

    # parent 0 holds villages 0 and 1, parent 1 holds village 2; village 3 has no known parent
    villages = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6), shapely.box(8, 8, 9, 9)]
    subdivisions = Subdivisions(villages, np.array([0, 0, 1, -1]), 2)
    points = shapely.points([(0.5, 0.5), (1.5, 0.5), (5.5, 5.5), (8.5, 8.5), (1.0, 0.5), (20.0, 20.0)])
    # point 2 stands in parent 0 by location yet lies in parent 1's village: found by the fallback;
    # point 3 stands in no parent; point 4 is on a shared edge; point 5 is nowhere
    p, g = subdivisions.holding(points, np.array([0, 0, 0, -1, 0, -1]))
    assert sorted(zip(p.tolist(), g.tolist(), strict=True)) == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert [len(x) for x in subdivisions.holding(points[:0], np.array([], dtype=np.int64))] == [0, 0]


def test_locate_tries_the_hint_first() -> None:
    shapes = Polygons([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3), shapely.box(5, 5, 6, 6)])
    points = shapely.points([(1.5, 1.5), (1.5, 1.5), (5.5, 5.5), (0.5, 0.5), (9.0, 9.0), (2.5, 2.5)])
    located = shapes.locate(points, np.array([1, -1, 0, 0, 2, -1]))
    # overlap: the hinted box wins, else the first; a wrong hint falls back to the search; nowhere is -1
    assert located.tolist() == [1, 0, 2, 0, -1, 1]


def test_missing_and_empty_points_are_nowhere() -> None:
    from mzgis.coverage.geometry import Subdivisions

    shapes = Polygons([shapely.box(0, 0, 2, 2)])
    points = np.array([shapely.Point(1, 1), None, shapely.Point(), shapely.Point(1.5, 1.5)], dtype=object)
    assert shapes.locate(points, np.array([0, 0, 0, -1])).tolist() == [0, -1, -1, 0]
    p, g = Subdivisions([shapely.box(0, 0, 2, 2)], np.array([0]), 1).holding(points, np.array([0, 0, 0, 0]))
    assert sorted(p.tolist()) == [0, 3] and g.tolist() == [0, 0]
