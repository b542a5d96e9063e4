"""Times and dates as users read them: Beijing time (China has one time zone), whatever zone the server
runs in. Stored times stay UTC (the audit clock, :func:`mzgis.store.base.utc_now`)."""

from __future__ import annotations

import datetime as dt

__all__ = ["BEIJING", "beijing_time", "beijing_today", "parse_stamp", "stamp"]

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def stamp(moment: dt.datetime) -> str:
    """A time as stored: ISO 8601 in UTC with milliseconds (``2026-03-01T08:00:00.000Z``)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_stamp(text: str) -> dt.datetime:
    """A stored time back as an aware datetime (one without a zone is UTC); ValueError when it is none."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def beijing_time(text: str) -> str:
    """A stored UTC time as users read it: Beijing time to the second; unparsable text as it is."""
    try:
        moment = parse_stamp(text)
    except ValueError:
        return text
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def beijing_today(now: dt.datetime | None = None) -> dt.date:
    """The date in Beijing now (or at ``now``): a server on UTC would otherwise date reports a day early
    between midnight and 08:00 Beijing time."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING).date()
