"""Dates and times the way agreements mean them.

Events carry either a whole day (`date_only`: the day in the agreement's time
zone) or an instant. These helpers turn both into the agreement's local terms,
for single values and as polars expressions over an event frame.

A *moment* is either a `datetime.date` (a whole local day) or an aware
`datetime.datetime` (an instant). Comparing a date with anything compares local
dates; only two instants are compared to the microsecond (COMMITMENTS.md
section 2).

Every calculation exists once as a plain function (the reference, used for
single values) and, where the engine needs it over whole frames, once as a
polars expression; the tests check that both agree.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import holidays as holidays_lib
import polars as pl

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
_US_PER_DAY = 86_400_000_000


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


def is_date(moment: dt.date | dt.datetime) -> bool:
    """True for a whole day, False for an instant."""
    return not isinstance(moment, dt.datetime)


def moment_date(moment: dt.date | dt.datetime, tz: str) -> dt.date:
    """The local date of a moment."""
    return moment if is_date(moment) else moment.astimezone(tzinfo(tz)).date()


def localize(naive: dt.datetime, tz: str) -> dt.datetime:
    """Attach a time zone to a local wall-clock time.

    A time that occurs twice (the night clocks go back) is its first
    occurrence; a time that does not exist (clocks go forward) is read with the
    offset before the change, which lands just after the gap.
    """
    zone = tzinfo(tz)
    # Through UTC, so that a time in the gap comes out as the real reading after it (02:30 -> 03:30).
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def localize_expr(wall: pl.Expr, tz: str) -> pl.Expr:
    """Polars version of `localize` for naive local times: the instants, in UTC."""
    hour = pl.duration(hours=1)
    exact = wall.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    # A time in the gap: read an hour earlier (before the change) and add the hour back, as `localize` does.
    gap = (wall - hour).dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null") + hour
    return pl.coalesce(exact, gap).dt.convert_time_zone("UTC")


def add_duration(at: dt.datetime, delta: dt.timedelta, tz: str) -> dt.datetime:
    """`at` + `delta`, whole days on the local clock and the rest in real time.

    "P14D after Monday 09:00" is Monday 09:00 two weeks later even when the
    clocks changed in between; "PT1H" is always one real hour.
    """
    sign = -1 if delta < dt.timedelta(0) else 1
    days = sign * dt.timedelta(days=abs(delta).days)  # -PT1H is minus one hour, not minus a day plus 23 hours
    rest = delta - days
    if days:
        at = localize(at.astimezone(tzinfo(tz)).replace(tzinfo=None) + days, tz)
    return (at.astimezone(UTC) + rest).astimezone(tzinfo(tz))  # real time: Python adds wall-clock within a zone


# ---------------------------------------------------------------------------
# Business days


WEEKEND = (5, 6)  # Saturday and Sunday, as date.weekday()
WORKWEEK = (0, 1, 2, 3, 4)


@lru_cache(maxsize=1024)
def _holidays_of_year(country: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    return frozenset(holidays_lib.country_holidays(country, years=year).keys())


def holiday_dates(country: str, years: Iterable[int]) -> frozenset[dt.date]:
    """The public holidays of `country` (ISO code; "" = none) in `years`."""
    found: set[dt.date] = set()
    for year in years:
        found |= _holidays_of_year(country, year)
    return frozenset(found)


def is_business_day(day: dt.date, country: str, weekdays: Sequence[int] = WORKWEEK) -> bool:
    """A working day: one of `weekdays` and not a public holiday of `country`."""
    return day.weekday() in weekdays and day not in _holidays_of_year(country, day.year)


def add_business_days(day: dt.date, n: int, country: str) -> dt.date:
    """The `n`-th working day after `day` (`day` itself never counts; n = 0 is `day`).

    An order on Saturday with one business day of lead time is due on Monday;
    an order on Wednesday before a Thursday holiday is due on Friday.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    while n:
        day += DAY
        if is_business_day(day, country):
            n -= 1
    return day


def week_mask(weekdays: Iterable[int]) -> tuple[bool, ...]:
    """Polars' week mask (Monday first) for a set of weekday numbers."""
    chosen = set(weekdays)
    return tuple(i in chosen for i in range(7))


def add_business_days_expr(day: pl.Expr, n: pl.Expr, country: str, years: Iterable[int]) -> pl.Expr:
    """Polars version of `add_business_days` for a column of dates and counts.

    `years` must cover the dates and the results (holidays are looked up there).
    """
    holidays = sorted(holiday_dates(country, years))
    # Rolling back then stepping forward makes "the n-th working day after" hold
    # for non-working start days too (Saturday + 1 = Monday).
    shifted = day.dt.add_business_days(n, week_mask=week_mask(WORKWEEK), holidays=holidays, roll="backward")
    return pl.when(n == 0).then(day).otherwise(shifted)


# ---------------------------------------------------------------------------
# Lateness (COMMITMENTS.md section 2)


def days_late(due: dt.date | dt.datetime, done: dt.date | dt.datetime, tz: str, *,
              partial_day_counts: bool = False) -> int:
    """Days from the deadline `due` to the fulfilling moment `done` (0 when not late).

    When either is a date, the difference of local calendar dates (a date
    deadline is inclusive, so "by 3 March" delivered on 4 March is 1 day late).
    When both are instants, elapsed 24-hour periods, truncated; with
    `partial_day_counts` a started period counts as a whole one.
    """
    if is_date(due) or is_date(done):
        return max(0, (moment_date(done, tz) - moment_date(due, tz)).days)
    elapsed = (done.astimezone(UTC) - due.astimezone(UTC)) / DAY  # real time, not the wall clock
    if elapsed <= 0:
        return 0
    return math.ceil(elapsed) if partial_day_counts else math.floor(elapsed)


def is_after(done: dt.date | dt.datetime, due: dt.date | dt.datetime, tz: str) -> bool:
    """Whether `done` is past the inclusive deadline `due` (dates compare by local date)."""
    if is_date(due) or is_date(done):
        return moment_date(done, tz) > moment_date(due, tz)
    return done > due


def days_late_expr(due_at: pl.Expr, due_day: pl.Expr, due_is_date: pl.Expr,
                   done_at: pl.Expr, done_day: pl.Expr, done_is_date: pl.Expr,
                   partial_day_counts: pl.Expr | bool = False) -> pl.Expr:
    """Polars version of `days_late`; a moment is given as (instant, local date, is-a-date)."""
    by_dates = (done_day - due_day).dt.total_days()
    elapsed_us = (done_at - due_at).dt.total_microseconds()
    truncated = elapsed_us // _US_PER_DAY
    started = -((-elapsed_us) // _US_PER_DAY)
    partial = partial_day_counts if isinstance(partial_day_counts, pl.Expr) else pl.lit(partial_day_counts)
    by_time = pl.when(partial).then(started).otherwise(truncated)
    return pl.when(due_is_date | done_is_date).then(by_dates).otherwise(by_time).clip(lower_bound=0)


def is_after_expr(done_at: pl.Expr, done_day: pl.Expr, done_is_date: pl.Expr,
                  due_at: pl.Expr, due_day: pl.Expr, due_is_date: pl.Expr) -> pl.Expr:
    """Polars version of `is_after`."""
    return pl.when(due_is_date | done_is_date).then(done_day > due_day).otherwise(done_at > due_at)


# ---------------------------------------------------------------------------
# Working time (business hours)


@dataclass(frozen=True)
class WorkingHours:
    """Working time: `start`-`end` on the local clock of `weekdays` (0 = Monday),
    except public holidays of `country` ("" = none)."""

    weekdays: tuple[int, ...] = WORKWEEK
    start: dt.time = dt.time(8)
    end: dt.time = dt.time(17)
    country: str = ""

    @property
    def day_length(self) -> dt.timedelta:
        return _wall(self.end) - _wall(self.start)

    def is_working_day(self, day: dt.date) -> bool:
        return is_business_day(day, self.country, self.weekdays)


def _wall(t: dt.time) -> dt.timedelta:
    return dt.timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _worked_on_day(day: dt.date, time_of_day: dt.timedelta, hours: WorkingHours) -> dt.timedelta:
    """Working time of `day` before the local clock time `time_of_day`."""
    if not hours.is_working_day(day):
        return dt.timedelta(0)
    return min(max(time_of_day - _wall(hours.start), dt.timedelta(0)), hours.day_length)


def working_time_between(start: dt.datetime, end: dt.datetime, hours: WorkingHours, tz: str) -> dt.timedelta:
    """Working time that passes from `start` to `end` (0 when `end` is not later).

    Working time is counted on the local clock: "08:00-17:00" is nine hours on
    every working day, whatever the clocks did that night.
    """
    if end <= start:
        return dt.timedelta(0)
    a = start.astimezone(tzinfo(tz)).replace(tzinfo=None)
    b = end.astimezone(tzinfo(tz)).replace(tzinfo=None)
    day, total = a.date(), dt.timedelta(0)
    total -= _worked_on_day(day, a - dt.datetime.combine(day, dt.time(0)), hours)
    while day < b.date():
        total += _worked_on_day(day, DAY, hours)
        day += DAY
    return total + _worked_on_day(day, b - dt.datetime.combine(day, dt.time(0)), hours)


def add_working_time(start: dt.datetime, duration: dt.timedelta, hours: WorkingHours, tz: str) -> dt.datetime:
    """The last moment at which no more than `duration` of working time has passed since `start`.

    That is the inclusive deadline of "within 4 working hours": a ticket opened
    at 13:00 with 08:00-17:00 hours and four working hours is due at the start
    of the next working day, 08:00 (nothing is worked between 17:00 and 08:00).
    """
    local = start.astimezone(tzinfo(tz)).replace(tzinfo=None)
    day = local.date()
    # Measured from the start of the ticket's day: the part already worked that day adds up.
    remaining = duration + _worked_on_day(day, local - dt.datetime.combine(day, dt.time(0)), hours)
    length = hours.day_length
    while not hours.is_working_day(day) or remaining >= length:
        if hours.is_working_day(day):
            remaining -= length
        day += DAY
    return localize(dt.datetime.combine(day, hours.start) + remaining, tz)


_EPOCH = dt.date(1970, 1, 5)  # a Monday; working days are counted from here in frames


def _wall_us(t: dt.time) -> int:
    return int(_wall(t) / dt.timedelta(microseconds=1))


def _working_position_expr(at: pl.Expr, hours: WorkingHours, tz: str, holidays: list[dt.date]) -> pl.Expr:
    """Working microseconds from the epoch to each instant of `at` (UTC)."""
    local = at.dt.convert_time_zone(tz).dt.replace_time_zone(None)
    day = local.dt.date()
    time_us = (local - local.dt.truncate("1d")).dt.total_microseconds()
    mask = week_mask(hours.weekdays)
    length = _wall_us(hours.end) - _wall_us(hours.start)
    worked_today = (
        pl.when(day.dt.is_business_day(week_mask=mask, holidays=holidays))
        .then((time_us - _wall_us(hours.start)).clip(0, length))
        .otherwise(0)
    )
    days_before = pl.business_day_count(pl.lit(_EPOCH), day, week_mask=mask, holidays=holidays).cast(pl.Int64)
    return days_before * length + worked_today


def working_time_expr(start: pl.Expr, end: pl.Expr, hours: WorkingHours, tz: str,
                      years: Iterable[int]) -> pl.Expr:
    """Polars version of `working_time_between` (a Duration column)."""
    holidays = sorted(holiday_dates(hours.country, years))
    between = _working_position_expr(end, hours, tz, holidays) - _working_position_expr(start, hours, tz, holidays)
    return pl.duration(microseconds=between.clip(lower_bound=0))


def add_working_time_expr(start: pl.Expr, duration: pl.Expr, hours: WorkingHours, tz: str,
                          years: Iterable[int]) -> pl.Expr:
    """Polars version of `add_working_time`; `years` must cover starts and results."""
    holidays = sorted(holiday_dates(hours.country, years))
    mask = week_mask(hours.weekdays)
    length = _wall_us(hours.end) - _wall_us(hours.start)
    target = _working_position_expr(start, hours, tz, holidays) + duration.dt.total_microseconds()
    day = pl.lit(_EPOCH).dt.add_business_days(target // length, week_mask=mask, holidays=holidays, roll="forward")
    local = day.cast(pl.Datetime("us")) + pl.duration(microseconds=_wall_us(hours.start) + target % length)
    return localize_expr(local, tz)


# ---------------------------------------------------------------------------
# Pauses


Pause = tuple[dt.datetime, dt.datetime | None]


def shift_for_pauses(start, deadline, pauses: Iterable[tuple]):
    """The deadline once the clock stops while paused, or None while a pause that
    stopped it is still running.

    The clock runs from `start` to `deadline`; every pause that begins before
    the (already pushed) deadline and ends after `start` pushes it by the paused
    time from `start` on. Overlapping pauses count once. Works on any ordered
    values that can be subtracted (UTC instants, local wall-clock times,
    working time positions), as long as all arguments use the same kind.
    Instants must be in UTC: Python subtracts two times of one zone on the wall clock.
    """
    for p_start, p_end in _merged(pauses):
        if p_start >= deadline:
            break
        if p_end is not None and p_end <= start:
            continue
        if p_end is None:
            return None
        deadline += p_end - max(p_start, start)
    return deadline


def _merged(pauses: Iterable[tuple]) -> list[tuple]:
    """Pauses sorted and overlapping ones joined (None = still running)."""
    merged: list[list] = []
    for p_start, p_end in sorted(pauses, key=lambda p: p[0]):
        if merged and (merged[-1][1] is None or p_start <= merged[-1][1]):
            last = merged[-1]
            last[1] = None if last[1] is None or p_end is None else max(last[1], p_end)
        else:
            merged.append([p_start, p_end])
    return [tuple(p) for p in merged]


def shift_instant_for_pauses(start: dt.datetime, deadline: dt.datetime,
                             pauses: Iterable[Pause]) -> dt.datetime | None:
    """`shift_for_pauses` for an instant deadline: pushed by the real paused time."""
    if not pauses:
        return deadline

    def utc(t: dt.datetime | None) -> dt.datetime | None:
        return None if t is None else t.astimezone(UTC)

    return shift_for_pauses(utc(start), utc(deadline), [(utc(a), utc(b)) for a, b in pauses])


def shift_date_for_pauses(start: dt.datetime, due: dt.date, pauses: Iterable[Pause], tz: str) -> dt.date | None:
    """`shift_for_pauses` for a date deadline (inclusive): pushed by the paused
    local time, a started day counting as a whole one."""
    if not pauses:
        return due
    zone = tzinfo(tz)

    def wall(t: dt.datetime | None) -> dt.datetime | None:
        return None if t is None else t.astimezone(zone).replace(tzinfo=None)

    end = dt.datetime.combine(due + DAY, dt.time(0))  # the deadline ends when the next day begins
    shifted = shift_for_pauses(wall(start), end, [(wall(a), wall(b)) for a, b in pauses])
    if shifted is None:
        return None
    return (shifted - dt.timedelta(microseconds=1)).date()
