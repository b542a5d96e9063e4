"""Coverage analysis on the store: reads the layers and hands them to the pure analysis."""

from __future__ import annotations

from mzgis.coverage.analysis import CoverageResult, analyze
from mzgis.coverage.targets import Targets, load_targets
from mzgis.errors import NotFound
from mzgis.store import Store

__all__ = ["analyze_store"]


def analyze_store(store: Store, *, targets: Targets | None = None) -> CoverageResult:
    """The per-township analysis of the store's county."""
    units = store.read_frame("admin_units")
    townships = units[units.level == "township"]
    villages = units[units.level == "village"]
    if townships.empty or villages.empty:
        raise NotFound("数据库中没有乡镇或村级区划,无法做覆盖分析", "no townships or villages in the store")
    return analyze(
        townships,
        villages,
        store.read_frame("population"),
        store.read_frame("eldercare_facilities"),
        store.read_frame("community_complexes"),
        store.read_frame("burial_sites"),
        targets=targets or load_targets(),
    )
