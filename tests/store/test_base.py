"""The store interface's own logic, shared by both backends."""

from __future__ import annotations

import pytest

from mzgis.errors import StaleVersion
from mzgis.store.base import Feature, check_version


def test_only_the_current_version_may_be_edited() -> None:
    """A version older than the stored one is stale, and so is one that was never stored (higher)."""
    feature = Feature("place_names", 7, 2, {"name": "方林村"}, None, "2026-03-01T00:00:00Z", "地名科")
    check_version(feature, 2)
    check_version(feature, None)  # nothing expected: nothing to check
    for expected in (1, 3):
        with pytest.raises(StaleVersion) as caught:
            check_version(feature, expected)
        assert caught.value.message_zh == (
            f"标准地名“方林村”(#7)已被 地名科 修改(当前版本 2,你的版本 {expected}),本次修改未保存"
        )
