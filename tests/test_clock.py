"""Times and dates as users read them: Beijing time."""

from __future__ import annotations

import datetime as dt

from mzgis.clock import BEIJING, beijing_time, beijing_today, parse_stamp, stamp


def test_stored_utc_times_read_in_beijing_time() -> None:
    assert beijing_time("2026-03-01T08:00:02.000Z") == "2026-03-01 16:00:02"
    assert beijing_time("2026-12-31T20:30:00.000Z") == "2027-01-01 04:30:00"  # past midnight in Beijing
    assert beijing_time("2026-03-01T08:00:02") == "2026-03-01 16:00:02"  # no zone: stored times are UTC
    assert beijing_time("不是时间") == "不是时间"


def test_today_is_the_date_in_beijing() -> None:
    assert beijing_today(dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)) == dt.date(2026, 3, 2)  # 01:00 in Beijing
    assert beijing_today(dt.datetime(2026, 3, 1, 15, 59, tzinfo=dt.UTC)) == dt.date(2026, 3, 1)
    assert BEIJING.utcoffset(None) == dt.timedelta(hours=8)


def test_stored_times_round_trip() -> None:
    moment = dt.datetime(2026, 3, 1, 16, 0, 2, 345000, tzinfo=BEIJING)
    assert stamp(moment) == "2026-03-01T08:00:02.345Z"  # stored in UTC, to the millisecond
    assert parse_stamp(stamp(moment)) == moment
    assert parse_stamp("2026-03-01T08:00:02") == dt.datetime(2026, 3, 1, 8, 0, 2, tzinfo=dt.UTC)
