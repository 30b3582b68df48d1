"""`agreed_price`: invoice lines billed at the agreed price or discount."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy as _
from pydantic import Field, model_validator

from .base import CommitmentType, Params, register
from ._fields import NonNegative, Percent


class AgreedPriceParams(Params):
    price: NonNegative | None = Field(None, description="The agreed price per unit.")
    discount: Percent | None = Field(None, description="Or: at least this discount off list, in percent.")
    tolerance: NonNegative = Field(Decimal("0.005"), description="Allowed difference per unit.")

    @model_validator(mode="after")
    def _one(self):
        if (self.price is None) == (self.discount is None):
            raise ValueError(gettext("Give either a price or a discount."))
        return self


@register
class AgreedPrice(CommitmentType):
    name = "agreed_price"
    label = _("Agreed price")
    help = _("Invoice lines are billed at the agreed price or discount.")
    Params = AgreedPriceParams
    reads = {"customer": ("invoice",), "supplier": ("invoice",)}
