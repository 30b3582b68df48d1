"""pacta's clock: "now", or the moment the whole installation is looked at "as of".

Two clocks exist on purpose:

- the *domain* clock (`now()`): the moment commitments are judged as of —
  evaluations, deviations, action due dates, absences, digests' contents, the
  calendar feed, the dashboard. It honours an override: `pacta watch --now
  1998-05-06T18:00:00+02:00` (for one process) or the setting / environment
  variable `PACTA_CLOCK` (for the whole installation, e.g. the Northwind demo,
  whose data ends in May 1998). An override is a fixed moment: as of then,
  the world stands still.
- the *wall* clock (`django.utils.timezone.now()`): when mail is retried, how
  long a claim lasts, which Monday a digest goes out. Those must keep moving
  even while the domain clock is overridden, or a failed mail would never be
  retried in the demo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import zoneinfo
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

_override: dt.datetime | None = None


def parse_moment(value: str) -> dt.datetime:
    """An ISO timestamp with offset, or a date (its start in the server's time zone).

    Raises ValueError for anything else, naive timestamps included: a moment
    without an offset is ambiguous.
    """
    text = value.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO date or timestamp with offset: {value!r}") from None
    if len(text) == 10:  # a plain date
        return timezone.make_aware(dt.datetime.combine(moment.date(), dt.time(0)))
    if moment.tzinfo is None:
        raise ValueError(f"a timestamp needs an offset, e.g. +02:00: {value!r}")
    return moment


def configured_override() -> dt.datetime | None:
    """The installation's override: setting PACTA_CLOCK, else the environment variable."""
    value = getattr(settings, "PACTA_CLOCK", None) or os.environ.get("PACTA_CLOCK")
    return parse_moment(value) if value else None


def now() -> dt.datetime:
    """The domain's current moment (aware): the process override, the installation's, or the real time."""
    if _override is not None:
        return _override
    return configured_override() or timezone.now()


def is_overridden() -> bool:
    return _override is not None or configured_override() is not None


def set_override(moment: dt.datetime | None) -> None:
    """Fix the domain clock of this process at `moment` (None: back to the configured clock)."""
    global _override
    if moment is not None and timezone.is_naive(moment):
        raise ValueError("the clock override must be timezone-aware")
    _override = moment


@contextlib.contextmanager
def override(moment: dt.datetime) -> Iterator[dt.datetime]:
    """Within the block, the domain clock reads `moment`."""
    previous = _override
    set_override(moment)
    try:
        yield moment
    finally:
        set_override(previous)


def as_of(value: str | None) -> contextlib.AbstractContextManager:
    """A block in which the domain clock reads the ISO moment `value` (`--now` of a
    command); no change when `value` is empty. Raises ValueError for a bad moment."""
    return override(parse_moment(value)) if value else contextlib.nullcontext()


def local_today(tz_name: str | None = None, at: dt.datetime | None = None) -> dt.date:
    """The domain's date in a time zone (default: the server's)."""
    moment = at or now()
    return moment.astimezone(zone(tz_name)).date()


def zone(name: str | None) -> dt.tzinfo:
    """The time zone `name`, or the server's when it is empty or unknown."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_default_timezone()
