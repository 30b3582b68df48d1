"""`volume_commitment`: per period, at least `minimum` and/or at most `maximum`."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Measure, register
from ._fields import NonNegative
from ._periods import PeriodParams


class VolumeCommitmentParams(PeriodParams):
    measure: Measure = Field(Measure.QUANTITY, description="Count quantities or amounts.")
    minimum: NonNegative | None = Field(None, description="The least volume per period.")
    maximum: NonNegative | None = Field(None, description="The most volume per period.")
    shortfall_fee: NonNegative | None = Field(None, description="Fee per missing unit of measure below the minimum.")

    @model_validator(mode="after")
    def _bounds(self):
        if self.minimum is None and self.maximum is None:
            raise ValueError(gettext("Give a minimum, a maximum or both."))
        if self.minimum is not None and self.maximum is not None and self.maximum < self.minimum:
            raise ValueError(gettext("The maximum must not be below the minimum."))
        return self


@register
class VolumeCommitment(CommitmentType):
    name = "volume_commitment"
    label = _("Volume commitment")
    help = _("Per period the volume stays within the agreed minimum and/or maximum.")
    Params = VolumeCommitmentParams
    reads = {"customer": ("invoice", "order", "delivery"), "supplier": ("invoice", "purchase_order", "receipt")}
