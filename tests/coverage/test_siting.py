"""Maximal covering: cases with known optima where the greedy pick is strictly worse, so the exact solver
is tested on its own answer, not on one greedy also finds."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import Point

from mzgis.coverage.siting import SitingModel, exact, greedy


def _model(weights: list[int], covers: list[list[int]], already: list[int] | None = None) -> SitingModel:
    names = [f"候选{chr(ord('A') + j)}" for j in range(len(covers))]
    candidates = gpd.GeoDataFrame(
        {"name": names, "township": ["甲镇"] * len(covers)},
        geometry=[Point(121.0 + j / 100, 28.5) for j in range(len(covers))],
        crs=4490,
    )
    done = np.zeros(len(weights), dtype=bool)
    done[already or []] = True
    return SitingModel(np.array(weights, dtype=float), [np.array(c) for c in covers], done, candidates)


def test_greedy_takes_the_big_set_first_and_misses_the_optimum() -> None:
    # A covers villages 1–4, B covers 0–2, C covers 3–5 (100 elderly each); two sites
    model = _model([100] * 6, [[1, 2, 3, 4], [0, 1, 2], [3, 4, 5]])
    assert [(p.name, p.gain_elderly) for p in greedy(model, 2)] == [("候选A", 400), ("候选B", 100)]  # 500
    picks = exact(model, 2)
    assert sorted(p.name for p in picks) == ["候选B", "候选C"]  # 600: every village
    assert sum(p.gain_elderly for p in picks) == 600 and sum(p.gain_villages for p in picks) == 6


def test_villages_already_covered_count_nothing_for_either_method() -> None:
    # as above, and A also reaches a large village (1,000 elderly) an existing site already covers
    model = _model([100] * 6 + [1000], [[1, 2, 3, 4, 6], [0, 1, 2], [3, 4, 5]], already=[6])
    assert [(p.name, p.gain_elderly, p.gain_villages) for p in greedy(model, 2)] == [
        ("候选A", 400, 4),
        ("候选B", 100, 1),
    ]
    assert sorted((p.name, p.gain_elderly) for p in exact(model, 2)) == [("候选B", 300), ("候选C", 300)]


def test_weights_not_counts_decide() -> None:
    # one site: A reaches three villages of 30, B one village of 100; B is the optimum by elderly covered
    model = _model([30, 30, 30, 100], [[0, 1, 2], [3]])
    assert [p.name for p in exact(model, 1)] == ["候选B"] == [p.name for p in greedy(model, 1)]
