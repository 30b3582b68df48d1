"""`deadline`: one event of `kind` by `due`."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from .base import CommitmentType, Params, register
from ._fields import Duration
from ._kinds import EventKind


class DeadlineParams(Params):
    kind: EventKind = Field(description="Which event fulfils it, e.g. attestation.")
    ref: str | None = Field(None, description="Only an event with this reference counts.")
    due: dt.date | dt.datetime = Field(description="The date (inclusive) or moment it is due.")
    remind_before: Duration | None = Field(None, description="Tell the owners this long before.")


@register
class Deadline(CommitmentType):
    name = "deadline"
    label = _("Deadline")
    help = _("One thing done by a date: a renewal notice, a certificate, a price review, a checklist item.")
    Params = DeadlineParams
    reads = {"customer": ("attestation", "update", "meeting", "notice", "delivery", "invoice", "payment"),
             "supplier": ("attestation", "update", "meeting", "notice", "receipt", "invoice", "payment")}
