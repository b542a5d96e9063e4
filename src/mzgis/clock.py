"""Times and dates as users read them: Beijing time (China has one time zone), whatever zone the server
runs in. Stored times stay UTC (the audit clock, :func:`mzgis.store.base.utc_now`)."""

from __future__ import annotations

import datetime as dt

__all__ = ["BEIJING", "beijing_time", "beijing_today"]

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def beijing_time(stamp: str) -> str:
    """A stored UTC stamp (ISO 8601) as users read it: Beijing time to the second; unparsable text as it is."""
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def beijing_today(now: dt.datetime | None = None) -> dt.date:
    """The date in Beijing now (or at ``now``): a server on UTC would otherwise date reports a day early
    between midnight and 08:00 Beijing time."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING).date()
