"""Reusable parameter fields and validators shared by several types."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Annotated

from django.utils.translation import gettext
from pydantic import AfterValidator, Field, model_validator

from .base import FieldValueError, Params, Weekday


def _positive_duration(value: dt.timedelta) -> dt.timedelta:
    if value < dt.timedelta(0):
        raise ValueError(gettext("A duration cannot be negative."))
    return value


def _timezone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(gettext("Unknown time zone: %(tz)s.") % {"tz": value}) from None
    return value


def _local_time(value: dt.time) -> dt.time:
    # pydantic reads 0 or "07:00Z" as a time with an offset, which a local time of day cannot compare to.
    if value.tzinfo is not None:
        raise ValueError(gettext("Enter a local time of day such as 07:00, without an offset."))
    return value


Duration = Annotated[dt.timedelta, AfterValidator(_positive_duration)]
LocalTime = Annotated[dt.time, AfterValidator(_local_time)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
Percent = Annotated[Decimal, Field(ge=0, le=100)]
NonNegative = Annotated[Decimal, Field(ge=0)]
Positive = Annotated[Decimal, Field(gt=0)]


class BusinessHours(Params):
    """Working time for durations that count only business hours."""

    weekdays: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
        min_length=1,
        description="Working days.",
    )
    from_: LocalTime = Field(dt.time(8, 0), alias="from", description="Start of the working day (local time).")
    to: LocalTime = Field(dt.time(17, 0), description="End of the working day (local time).")

    @model_validator(mode="after")
    def _order(self):
        if self.to <= self.from_:
            raise FieldValueError("to", gettext("Working hours must end after they start."))
        return self
