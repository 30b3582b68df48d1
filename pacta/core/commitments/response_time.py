"""`response_time`: each ticket answered within `within`."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Params, Period, register
from ._fields import BusinessHours, Duration, NonNegative, Percent


class Credit(Params):
    below: Percent = Field(description="A month whose on-time share is strictly below this percentage…")
    percent: Percent = Field(description="…earns this percent of the monthly fee as service credit.")


class ResponseTimeParams(Params):
    within: Duration = Field(description="Time to answer, e.g. PT4H.")
    business_hours: BusinessHours | None = Field(None, description="Count only working time.")
    target_rate: Percent | None = Field(None, description="Share of tickets answered in time per period, in percent.")
    period: Period = Field(Period.MONTH, description="Period of the target rate.")
    credits: list[Credit] = Field(default_factory=list, description="Service credits by on-time share.")
    monthly_fee: NonNegative | None = Field(None, description="The monthly fee the credits are taken from.")
    monthly_cap_percent: Percent | None = Field(None, description="Cap on a month's credits in percent of the fee.")

    @model_validator(mode="after")
    def _fee(self):
        if self.credits and self.monthly_fee is None:
            raise ValueError(gettext("Service credits need a monthly fee."))
        return self


@register
class ResponseTime(CommitmentType):
    name = "response_time"
    label = _("Response time")
    help = _("Each ticket gets an answer within the agreed time.")
    Params = ResponseTimeParams
    reads = {"customer": ("ticket_opened", "ticket_answered"), "supplier": ("ticket_opened", "ticket_answered")}
