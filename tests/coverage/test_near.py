"""Grid pairs against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from mzgis.coverage.near import Grid, pairs_within


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairs_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-5_000, 25_000, (300, 2))  # some outside b's extent
    b = rng.uniform(0, 20_000, (500, 2))
    ia, ib, d = pairs_within(a, b, 1_500.0)
    full = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    expected = set(zip(*np.nonzero(full <= 1_500.0), strict=True))
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == expected
    assert np.allclose(d, full[ia, ib])


def test_exact_distance_counts_and_empty_inputs() -> None:
    ia, ib, d = pairs_within(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [3.0, 4.1]]), 5.0)
    assert ia.tolist() == [0] and ib.tolist() == [0] and d.tolist() == [5.0]
    assert [len(x) for x in pairs_within(np.empty((0, 2)), np.array([[1.0, 1.0]]), 5.0)] == [0, 0, 0]
    assert [len(x) for x in pairs_within(np.array([[1.0, 1.0]]), np.empty((0, 2)), 5.0)] == [0, 0, 0]
    with pytest.raises(ValueError, match="positive"):
        Grid(np.array([[0.0, 0.0]]), 0.0)


@pytest.mark.parametrize("distance", [250.0, 1_000.0, 3_700.0])
def test_one_grid_answers_any_distance(distance: float) -> None:
    """A grid of 1 km cells answers distances below, at and above its cell size exactly."""
    rng = np.random.default_rng(7)
    a = rng.uniform(-3_000, 23_000, (200, 2))
    b = rng.uniform(0, 20_000, (400, 2))
    ia, ib, d = Grid(b, 1_000.0).within(a, distance)
    full = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == set(zip(*np.nonzero(full <= distance), strict=True))
    assert np.allclose(d, full[ia, ib])


def test_points_without_coordinates_are_near_nothing() -> None:
    b = np.array([[0.0, 0.0], [np.nan, np.nan], [10.0, 0.0]])
    ia, ib, d = Grid(b, 5.0).within(np.array([[1.0, 0.0], [np.nan, 1.0]]), 20.0)
    assert (ia.tolist(), ib.tolist(), d.tolist()) == ([0, 0], [0, 2], [1.0, 9.0])
