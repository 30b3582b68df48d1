"""Shared parameters of the period-based types."""

from __future__ import annotations

from pydantic import Field

from .base import Align, Basis, Params, Period


class PeriodParams(Params):
    period: Period = Field(Period.YEAR, description="Calendar year, quarter, month or week.")
    align: Align = Field(
        Align.CALENDAR, description="calendar: calendar periods; agreement: counted from the agreement's start."
    )
    basis: Basis = Field(Basis.INVOICE, description="Which events count: invoices, orders or deliveries.")


__all__ = ["PeriodParams"]
