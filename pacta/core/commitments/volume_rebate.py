"""`volume_rebate`: a rebate per period on the turnover, by tiers."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Measure, Params, register
from ._fields import NonNegative, Percent
from ._periods import PeriodParams


class RebateMode(StrEnum):
    WHOLE = "whole"
    MARGINAL = "marginal"


class Tier(Params):
    from_: NonNegative = Field(alias="from", description="Tier starts at this volume (inclusive).")
    rate: Percent = Field(description="Rebate in percent.")


class VolumeRebateParams(PeriodParams):
    measure: Measure = Field(Measure.AMOUNT, description="Tiers measured in amount or quantity.")
    tiers: list[Tier] = Field(min_length=1, description="The tiers, lowest first.")
    mode: RebateMode = Field(
        RebateMode.WHOLE, description="whole: the highest tier's rate on all turnover; marginal: each tier's rate on its part."
    )
    payout_days: int = Field(30, ge=0, description="Days after the period's end by which the rebate is paid.")

    @model_validator(mode="after")
    def _ascending(self):
        starts = [t.from_ for t in self.tiers]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError(gettext("Tiers must start at increasing volumes."))
        return self


@register
class VolumeRebate(CommitmentType):
    name = "volume_rebate"
    label = _("Volume rebate")
    help = _("A rebate on the period's turnover by volume tiers, paid by credit note.")
    Params = VolumeRebateParams
    reads = {"customer": ("invoice", "order", "delivery", "credit_note"), "supplier": ("invoice", "purchase_order", "receipt", "credit_note")}
