"""Store helpers shared by every back end."""

from __future__ import annotations

from mzgis.store.base import beijing_time


def test_stored_utc_times_read_in_beijing_time() -> None:
    assert beijing_time("2026-03-01T08:00:02.000Z") == "2026-03-01 16:00:02"
    assert beijing_time("2026-12-31T20:30:00.000Z") == "2027-01-01 04:30:00"  # past midnight in Beijing
    assert beijing_time("2026-03-01T08:00:02") == "2026-03-01 16:00:02"  # no zone: stored times are UTC
    assert beijing_time("不是时间") == "不是时间"
