"""`payment_term`: each invoice paid within `days`."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _
from pydantic import Field

from .base import CommitmentType, Params, register
from ._fields import NonNegative, Percent


class PaymentFrom(StrEnum):
    INVOICE_DATE = "invoice_date"
    END_OF_MONTH = "end_of_month"


class PaymentTermParams(Params):
    days: int = Field(ge=0, description="Days to pay.")
    from_: PaymentFrom = Field(
        PaymentFrom.INVOICE_DATE, alias="from", description="Count from the invoice date or the end of its month."
    )
    interest_percent: Percent | None = Field(None, description="Interest per year on the unpaid amount (simple, actual/365).")
    fixed_fee: NonNegative | None = Field(None, description="Fixed fee for a late payment.")


@register
class PaymentTerm(CommitmentType):
    name = "payment_term"
    label = _("Payment term")
    help = _("Each invoice is paid within the agreed number of days.")
    Params = PaymentTermParams
    reads = {"customer": ("invoice", "payment", "credit_note"), "supplier": ("invoice", "payment", "credit_note")}
