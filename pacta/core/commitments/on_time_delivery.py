"""`on_time_delivery`: each order delivered by its due date (COMMITMENTS.md section 3)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from .base import CommitmentType, Params, Period, register
from ._fields import Percent, Positive


class Penalty(Params):
    percent: Positive = Field(description="Penalty in percent of the order's value per `per_days` days late.")
    per_days: int = Field(1, ge=1, description="Days late that one `percent` covers.")
    cap_percent: Percent | None = Field(None, description="Cap in percent of the order's value.")
    per_started_period: bool = Field(False, description="Count every started period of `per_days` as a whole one.")
    partial_day_counts: bool = Field(False, description="A started day late counts as a whole day.")
    force_majeure: bool = Field(False, description="No penalty on deliveries flagged as force majeure.")
    terminate_after_days: int | None = Field(
        None, ge=0, description="The other side may terminate when an order is later than this."
    )


class OnTimeDeliveryParams(Params):
    lead_days: int | None = Field(
        None, ge=0, description="Due = order date + this many days; empty: the order's own due date."
    )
    business_days: bool = Field(False, description="Count only working days of the party's country.")
    grace_days: int = Field(0, ge=0, description="Days after the due date that still count as on time.")
    target_rate: Percent | None = Field(None, description="Share of orders on time per period, in percent.")
    period: Period = Field(Period.MONTH, description="Period of the target rate.")
    penalty: Penalty | None = Field(None, description="Penalty for late delivery.")


@register
class OnTimeDelivery(CommitmentType):
    name = "on_time_delivery"
    label = _("On-time delivery")
    help = _("Each order is delivered by its due date; late orders may carry a penalty.")
    Params = OnTimeDeliveryParams
    reads = {"customer": ("order", "delivery"), "supplier": ("purchase_order", "receipt")}

