"""`conditional_price`: a special price that holds only if the period's volume is reached."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from .base import CommitmentType, register
from ._fields import NonNegative, Positive
from ._periods import PeriodParams


class ConditionalPriceParams(PeriodParams):
    price: NonNegative = Field(description="The special price per unit.")
    list_price: NonNegative | None = Field(
        None, description="The price that applies otherwise; empty: the list price on the invoice lines."
    )
    volume: Positive = Field(description="Quantity per period that the special price requires.")


@register
class ConditionalPrice(CommitmentType):
    name = "conditional_price"
    label = _("Conditional price")
    help = _("A special price that holds only if the party takes the agreed volume per period.")
    Params = ConditionalPriceParams
    reads = {"customer": ("invoice", "order", "delivery"), "supplier": ("invoice", "purchase_order", "receipt")}
    needs_products = True
