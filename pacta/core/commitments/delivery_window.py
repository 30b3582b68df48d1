"""`delivery_window`: deliveries only on given weekdays between two local times."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Params, Weekday, register
from ._fields import TimeZoneName


class DeliveryWindowParams(Params):
    weekdays: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
        min_length=1,
        description="Days on which deliveries are allowed.",
    )
    from_: dt.time = Field(alias="from", description="Earliest local time of a delivery, e.g. 07:00.")
    to: dt.time = Field(description="Latest local time of a delivery, e.g. 12:00 (inclusive).")
    timezone: TimeZoneName | None = Field(None, description="Time zone of the window; empty: the agreement's.")

    @model_validator(mode="after")
    def _order(self):
        if self.to < self.from_:
            raise ValueError(gettext("The window must end after it starts."))
        return self


@register
class DeliveryWindow(CommitmentType):
    name = "delivery_window"
    label = _("Delivery window")
    help = _("Deliveries only on the agreed days and hours, e.g. mornings only.")
    Params = DeliveryWindowParams
    reads = {"customer": ("delivery",), "supplier": ("receipt",)}
