from __future__ import annotations

import numpy as np
import pytest

from mzgis.coverage.access import e2sfca, gaussian_weight


def test_gaussian_weight() -> None:
    w = gaussian_weight(np.array([0.0, 5000.0, 10000.0, 12000.0]), 10000.0)
    assert w[0] == pytest.approx(1.0) and w[2] == pytest.approx(0.0) and w[3] == 0.0
    assert w[1] == pytest.approx((np.exp(-0.125) - np.exp(-0.5)) / (1 - np.exp(-0.5)))


def test_one_site_shared_by_two_villages() -> None:
    # 100 beds at the first village; the second, 5 km away, reaches it with weight w
    a = e2sfca(
        np.array([[0.0, 0.0], [5000.0, 0.0]]),
        np.array([1000.0, 1000.0]),
        np.array([[0.0, 0.0]]),
        np.array([100.0]),
        catchment_m=10000.0,
    )
    w = gaussian_weight(np.array([5000.0]), 10000.0)[0]
    r = 100.0 / (1000.0 + 1000.0 * w)
    assert a == pytest.approx([r * 1000.0, r * w * 1000.0])
    # every bed is accounted for: accessibility weighted by demand sums to the supply
    assert float((a * np.array([1000.0, 1000.0])).sum()) / 1000.0 == pytest.approx(100.0)


def test_out_of_reach_and_empty() -> None:
    a = e2sfca(
        np.array([[0.0, 0.0]]), np.array([500.0]), np.array([[20000.0, 0.0]]), np.array([50.0]), catchment_m=10000.0
    )
    assert a.tolist() == [0.0]
    assert e2sfca(np.empty((0, 2)), np.empty(0), np.array([[0.0, 0.0]]), np.array([1.0]), catchment_m=1.0).size == 0


def test_demo_accessibility_accounts_for_every_bed() -> None:
    from mzgis.coverage.service import analyze_store
    from mzgis.settings import default_demo_path
    from mzgis.store import GeoPackageStore

    v = analyze_store(GeoPackageStore(default_demo_path())).villages
    assert (v.access_beds_per_1000 * v.aged_60_plus).sum() / 1000 == pytest.approx(3828, abs=1.0)
    by_town = v.groupby("township").access_beds_per_1000.mean()
    assert by_town["331004401"] == 0.0  # 滨海新区: no institution within 10 km
