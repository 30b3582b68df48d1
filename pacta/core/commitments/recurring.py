"""`recurring`: an event of `kind` at least every `every`, or at least once per `period`."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Params, Period, register
from ._fields import Duration
from ._kinds import EventKind


class RecurringParams(Params):
    kind: EventKind = Field(description="Which event keeps it: update, meeting, attestation, …")
    every: Duration | None = Field(None, description="At most this long between two events, e.g. P14D.")
    period: Period | None = Field(None, description="Or: at least one event per calendar period.")
    warn_before: Duration | None = Field(None, description="At risk this long before the next one is due.")
    ref: str | None = Field(None, description="Only events with this reference count.")

    @model_validator(mode="after")
    def _one(self):
        if (self.every is None) == (self.period is None):
            raise ValueError(gettext("Give either every or period."))
        return self


@register
class Recurring(CommitmentType):
    name = "recurring"
    label = _("Recurring")
    help = _("Something happens regularly, e.g. a status update every two weeks, even when nothing is new.")
    Params = RecurringParams
    reads = {"customer": ("update", "meeting", "attestation", "notice"), "supplier": ("update", "meeting", "attestation", "notice")}
