"""Dates and times the way agreements mean them.

Events carry either a whole day (`date_only`: the day in the agreement's time
zone) or an instant. These helpers turn both into the agreement's local terms,
for single values and as polars expressions over an event frame.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

import polars as pl

UTC = dt.timezone.utc


@lru_cache(maxsize=256)
def tzinfo(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_date(at: dt.datetime, date_only: bool, tz: str) -> dt.date:
    """The agreement-local date of a fact."""
    if date_only:
        return at.date() if at.tzinfo is None else at.astimezone(UTC).date()
    return at.astimezone(tzinfo(tz)).date()


def start_of_day(day: dt.date, tz: str) -> dt.datetime:
    """The first instant of a local day (aware)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo(tz))


def end_of_day(day: dt.date, tz: str) -> dt.datetime:
    """The last microsecond of a local day: a date deadline is inclusive."""
    return start_of_day(day + dt.timedelta(days=1), tz) - dt.timedelta(microseconds=1)


def date_to_utc_midnight(day: dt.date) -> dt.datetime:
    """How a date-only fact is stored: that date at 00:00 UTC."""
    return dt.datetime.combine(day, dt.time(0), UTC)


def local_date_expr(tz: str, at: str = "at", date_only: str = "date_only") -> pl.Expr:
    """Polars expression: the agreement-local date of each event row."""
    return (
        pl.when(pl.col(date_only))
        .then(pl.col(at).dt.date())
        .otherwise(pl.col(at).dt.convert_time_zone(tz).dt.date())
    )
