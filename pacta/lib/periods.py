"""Periods: calendar years, quarters, months and ISO weeks, or the same lengths
counted from an anchor day (an agreement's start).

Conventions (the engine's docs repeat them):

- A period is a pair of dates `(start, end)`: `start` is its first day and `end`
  the first day AFTER it (half-open, so consecutive periods share their
  boundary and the period's length in days is `end - start`). Its last day is
  `end - 1 day`.
- Calendar periods start on 1 January, 1 April/July/October, the 1st of the
  month, or the Monday of the ISO week.
- Periods aligned to an anchor start on the anchor plus a whole number of
  periods: anchor + k x 12/3/1 months (clamped to the month's last day, and
  always counted from the anchor, so 31 January gives 28 February, then 31
  March) or anchor + k x 7 days. Days before the anchor fall into periods
  counted backwards.
- Elapsed time is local wall-clock time, in exact Decimal days: a period that
  started at local midnight of 1 January is 181 days old at local midnight of
  1 July, whatever daylight saving did in between. So the elapsed share is
  (local moment - start) / (end - start), between 0 and 1, and the forecast
  total x (end - start) / (local moment - start), computed from whole
  microseconds with one division.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

import polars as pl

from pacta.lib.dates import tzinfo

_MONTHS = {"year": 12, "quarter": 3, "month": 1}
_DAY = dt.timedelta(days=1)
_MICROS_PER_DAY = 86_400_000_000


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the last day of the target month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _calendar_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "year":
        return day.replace(month=1, day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


def _calendar_end(start: dt.date, period: str) -> dt.date:
    if period == "week":
        return start + dt.timedelta(days=7)
    return add_months(start, _MONTHS[period])


def period_of(day: dt.date, period: str, align: str = "calendar", anchor: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The period containing `day` as `(start, end)`, `end` exclusive.

    `align` is "calendar" or "agreement"; with "agreement", periods are counted
    from `anchor` (required).
    """
    if align == "calendar":
        start = _calendar_start(day, period)
        return start, _calendar_end(start, period)
    if anchor is None:
        raise ValueError("periods aligned to the agreement need an anchor day")
    if period == "week":
        start = anchor + dt.timedelta(days=7 * ((day - anchor).days // 7))
        return start, start + dt.timedelta(days=7)
    n = _MONTHS[period]
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    k = months // n
    start = add_months(anchor, k * n)
    if day < start:  # the anchor's day of month is later than `day`'s
        k -= 1
        start = add_months(anchor, k * n)
    return start, add_months(anchor, (k + 1) * n)


def periods_between(first: dt.date, last: dt.date, period: str, align: str = "calendar",
                    anchor: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """Every period that holds a day of `first`..`last` (both inclusive), oldest
    first, NOT clipped (see `clip`). Empty when `last` < `first`."""
    found = []
    day = first
    while day <= last:
        start, end = period_of(day, period, align, anchor)
        found.append((start, end))
        day = end
    return found


def clip(span: tuple[dt.date, dt.date], first: dt.date, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """`span` (end exclusive) cut to the days `first`..`last` (inclusive; None = open-ended)."""
    start, end = span
    start = max(start, first)
    if last is not None:
        end = min(end, last + _DAY)
    return start, end


def period_label(start: dt.date, period: str, align: str = "calendar") -> str:
    """A stable, readable name of the period that starts on `start`:
    "2025", "2025-Q2", "2025-03", "2025-W07" (ISO week) for calendar periods,
    the start date ("2025-03-15") for periods aligned to the agreement."""
    if align != "calendar":
        return start.isoformat()
    if period == "year":
        return f"{start.year}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    iso = start.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def elapsed_time(start: dt.date, end: dt.date, moment: dt.datetime, tz: str) -> tuple[int, int]:
    """(elapsed, length) of the period `start`..`end` (end exclusive) at
    `moment`, in microseconds of local wall-clock time, exactly; elapsed is 0
    before the start and the length from the end on."""
    local = moment.astimezone(tzinfo(tz)).replace(tzinfo=None)
    length = (end - start).days * _MICROS_PER_DAY
    elapsed = (local - dt.datetime.combine(start, dt.time(0))) // dt.timedelta(microseconds=1)
    return min(max(elapsed, 0), length), length


def elapsed_fraction(start: dt.date, end: dt.date, moment: dt.datetime, tz: str) -> Decimal:
    """Share of the period elapsed at `moment` (see `elapsed_time`), 0..1."""
    elapsed, length = elapsed_time(start, end, moment, tz)
    return Decimal(elapsed) / Decimal(length)


def forecast(total: Decimal, elapsed: int, length: int) -> Decimal | None:
    """The total the period reaches at the same pace: total x period length /
    elapsed time (one division, so exact whenever the result is). None when no
    time has elapsed (no pace yet)."""
    if elapsed <= 0:
        return None
    return total * length / elapsed


# ---------------------------------------------------------------------------
# Column-wise


def _months_expr(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64)


def _offset_months(anchor: pl.Expr, months: pl.Expr) -> pl.Expr:
    return anchor.dt.offset_by(pl.format("{}mo", months))


def period_start_expr(day: pl.Expr, period: str, align: str = "calendar",
                      anchor: dt.date | pl.Expr | None = None) -> pl.Expr:
    """Polars expression: the start of the period holding each date of `day`,
    the column-wise twin of `period_of(...)[0]`. `anchor` (for align
    "agreement") is a date or an expression, so one expression serves rows of
    commitments with different anchors."""
    if align == "calendar":
        if period == "week":
            return day - pl.duration(days=day.dt.weekday().cast(pl.Int64) - 1)
        return day.dt.truncate({"year": "1y", "quarter": "1q", "month": "1mo"}[period])
    if anchor is None:
        raise ValueError("periods aligned to the agreement need an anchor day")
    anchor = pl.lit(anchor, dtype=pl.Date) if isinstance(anchor, dt.date) else anchor
    if period == "week":
        days = (day - anchor).dt.total_days()
        return anchor + pl.duration(days=days // 7 * 7)
    n = _MONTHS[period]
    k = (_months_expr(day) - _months_expr(anchor)) // n
    guess = _offset_months(anchor, k * n)
    return pl.when(day < guess).then(_offset_months(anchor, (k - 1) * n)).otherwise(guess)


__all__ = [
    "add_months",
    "clip",
    "elapsed_fraction",
    "elapsed_time",
    "forecast",
    "period_label",
    "period_of",
    "period_start_expr",
    "periods_between",
]
