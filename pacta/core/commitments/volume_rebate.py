"""`volume_rebate`: a rebate per period on the turnover, by tiers.

Semantics (COMMITMENTS.md section 3, with the choices written down in the docs):

- One instance per period (see `_periods` for periods, clipping and which terms
  govern), key = the period's label.
- Turnover = the amount of the period's `basis` events of the covered products
  minus the credit notes that are not rebate payouts (a credit note's amount is
  what was credited, whatever its sign; a credit note without a product counts
  only when the commitment covers all products). Only the agreement's currency
  counts. With `measure: quantity` the tier is chosen by the quantity
  (basis quantity minus credited quantity), but the rebate is always a rate on
  the amount: `whole` applies the rate of the highest tier reached; `marginal`
  applies to the amount the quantity-weighted mix of the tiers' rates.
  A negative turnover earns nothing.
- The rebate is owed `payout_days` after the period's last day (inclusive:
  paying on that day is on time), by `credit_note` events whose ref starts with
  "rebate" (any case). Payouts are applied to the ended periods oldest first,
  from `valid_from` on (also after `valid_to`); a period is paid on the day
  what is still owed, rounded half-up to the currency's minor unit, is zero.
- States: running period `open` (on track), with the rebate accrued so far and
  the projected rebate at its end (turnover / elapsed share); ended with no
  rebate `kept`; paid by its due date `kept`, later `kept_late`; unpaid `open`
  until the due date, then `overdue`.
- Money kind `rebate`, paid by the seller: we on a customer agreement, the
  supplier on a supplier agreement. States: `projected` (running period),
  `accrued` (ended, not yet due), `due` (overdue), `paid`.
- Result data: accrued, projected, the next tier and what is missing to reach
  it, the tiers, and the running turnover by day of the latest period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import polars as pl
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop, ngettext
from pydantic import Field, model_validator

from pacta.lib.dates import start_of_day
from pacta.lib.money import round_money

from ._explain import Figures, LazyArgs
from ._fields import NonNegative, Percent
from ._periods import (
    PeriodParams,
    PeriodRow,
    cumulative_series,
    events_by_period,
    first_start,
    latest_periods,
    period_frame,
    period_rows,
    period_summary,
)
from ._scope import as_of_day, in_products, paused_gc, scoped_events, seller
from .base import (
    CommitmentType,
    FieldValueError,
    Health,
    InstanceResult,
    InstanceStatus,
    Measure,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Params,
    Result,
    Spec,
    make_result,
    register,
)

ZERO = Decimal(0)


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
            raise FieldValueError("tiers", gettext("Tiers must start at increasing volumes."))
        return self


# ---------------------------------------------------------------------------
# The arithmetic of tiers


def rebate_on(amount: Decimal, volume: Decimal, p: VolumeRebateParams) -> Decimal:
    """The rebate on a turnover of `amount`, whose `volume` (the amount itself,
    or the quantity with `measure: quantity`) picks the tiers. Exact."""
    if amount <= 0 or volume <= 0:
        return ZERO
    if p.mode == RebateMode.WHOLE:
        return amount * whole_rate(volume, p) / 100
    # Marginal: each tier's rate on the part of the volume inside it.
    parts = ZERO
    for tier, upper in zip(p.tiers, [t.from_ for t in p.tiers[1:]] + [None]):
        top = volume if upper is None else min(volume, upper)
        parts += tier.rate * max(ZERO, top - tier.from_)
    return parts / 100 if p.measure == Measure.AMOUNT else amount * parts / volume / 100


def whole_rate(volume: Decimal, p: VolumeRebateParams) -> Decimal:
    """The rate of the highest tier that `volume` reaches (0 below the first)."""
    reached = [t.rate for t in p.tiers if volume >= t.from_]
    return reached[-1] if reached else ZERO


def next_tier(volume: Decimal, p: VolumeRebateParams) -> Tier | None:
    return next((t for t in p.tiers if t.from_ > volume), None)


# ---------------------------------------------------------------------------
# Column-wise: turnover per period, payouts per commitment


def _is_payout() -> pl.Expr:
    return (pl.col("kind") == "credit_note") & pl.col("ref").str.to_lowercase().str.starts_with("rebate").fill_null(False)


def _turnover(frame: pl.LazyFrame) -> pl.DataFrame:
    """Per period and day: amount and quantity that count (credit notes subtract)."""
    basis = pl.col("kind") == pl.col("basis_kind")
    credit = (pl.col("kind") == "credit_note") & ~_is_payout()
    counted = frame.filter(basis | credit, in_products(), pl.col("same_currency")).with_columns(
        pl.when(basis).then(pl.col("amount")).otherwise(-pl.col("amount").abs()).fill_null(0).alias("signed_amount"),
        pl.when(basis).then(pl.col("quantity")).otherwise(-pl.col("quantity").abs()).fill_null(0).alias("signed_qty"),
    )
    return (
        counted.group_by("pid", "day").agg(pl.col("signed_amount").sum(), pl.col("signed_qty").sum())
        .sort("pid", "day")
        .with_columns(pl.col("signed_amount").cum_sum().over("pid").alias("cum_amount"),
                      pl.col("signed_qty").cum_sum().over("pid").alias("cum_qty"))
        .collect()
    )


def _payouts(scoped: pl.LazyFrame) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """Per commitment, the rebate payouts by day (oldest first)."""
    paid = (
        scoped.filter(_is_payout(), pl.col("same_currency"))
        .group_by("spec", "day").agg(pl.col("amount").abs().sum())
        .sort("spec", "day")
        .collect()
    )
    found: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for spec, day, amount in paid.iter_rows():
        found.setdefault(spec, []).append((day, amount))
    return found


def allocate(needs: Sequence[Decimal], payouts: Sequence[tuple[dt.date, Decimal]]
             ) -> list[tuple[Decimal, dt.date | None]]:
    """Apply the payouts to the needs in order (oldest first): per need, what
    was paid and the day it was paid in full (None while not)."""
    paid = [ZERO] * len(needs)
    paid_on: list[dt.date | None] = [None] * len(needs)
    i = 0
    for day, amount in payouts:
        while amount > 0 and i < len(needs):
            take = min(amount, needs[i] - paid[i])
            paid[i] += take
            amount -= take
            if paid[i] >= needs[i]:
                paid_on[i] = day
                i += 1
    return list(zip(paid, paid_on))


# ---------------------------------------------------------------------------
# The type


@dataclass
class _Period:
    """One period's figures, before its verdict."""

    row: PeriodRow
    amount: Decimal  # turnover so far
    volume: Decimal  # what picks the tiers: the amount, or the quantity
    rebate: Decimal  # on the turnover so far (final once the period ended)
    projected: Decimal  # at the period's end, at this pace
    paid: Decimal = ZERO
    paid_on: dt.date | None = None

    @property
    def params(self) -> VolumeRebateParams:
        return self.row.params

    @property
    def due(self) -> dt.date:
        return self.row.last_day + dt.timedelta(days=self.params.payout_days)


@register
class VolumeRebate(CommitmentType):
    name = "volume_rebate"
    label = _("Volume rebate")
    help = _("A rebate on the period's turnover by volume tiers, paid by credit note.")
    Params = VolumeRebateParams
    reads = {"customer": ("invoice", "order", "delivery", "credit_note"), "supplier": ("invoice", "purchase_order", "receipt", "credit_note")}

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        return self.evaluate_many([spec], events, as_of)[0]

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        rows = period_rows(specs, as_of)
        periods = period_frame(specs, rows, lambda terms: {}, {})
        kinds = set(periods["basis_kind"].unique()) | {"credit_note"}
        scoped = scoped_events(specs, events, as_of, kinds)
        daily = _turnover(events_by_period(scoped, specs, as_of, periods))
        totals = {pid: (amount, qty) for pid, amount, qty in
                  daily.group_by("pid").agg(pl.col("signed_amount").sum(), pl.col("signed_qty").sum()).iter_rows()}
        latest = latest_periods(rows)
        chart_daily = _chart_daily(daily, rows)
        series = cumulative_series(chart_daily, [r.pid for r in latest.values()])
        with paused_gc():
            figures = Figures()
            by_spec = _periods_by_spec(specs, rows, totals, _payouts(scoped))
            return [_result(spec, by_spec.get(i, []), series, as_of, figures) for i, spec in enumerate(specs)]


def _chart_daily(daily: pl.DataFrame, rows: Sequence[PeriodRow]) -> pl.DataFrame:
    """The running turnover in each period's own measure, as `cum` for the chart series."""
    by_quantity = [r.pid for r in rows if r.params.measure == Measure.QUANTITY]
    return daily.with_columns(
        pl.when(pl.col("pid").is_in(by_quantity)).then(pl.col("cum_qty")).otherwise(pl.col("cum_amount")).alias("cum")
    )


def _periods_by_spec(specs: Sequence[Spec], rows: Sequence[PeriodRow], totals: dict,
                     payouts: dict) -> dict[int, list[_Period]]:
    """Each commitment's periods with their rebate, and the payouts applied oldest first."""
    by_spec: dict[int, list[_Period]] = {}
    for row in rows:
        amount, quantity = totals.get(row.pid, (ZERO, ZERO))
        p = row.params
        volume = quantity if p.measure == Measure.QUANTITY else amount
        rebate = rebate_on(amount, volume, p)
        projected = rebate
        if row.elapsed > 0:
            projected = rebate_on(row.forecast(amount), row.forecast(volume), p)
        by_spec.setdefault(row.spec, []).append(_Period(row, amount, volume, rebate, projected))
    for spec, found in by_spec.items():
        # What is owed is the rebate rounded to the currency's minor unit: paying that settles it.
        currency = specs[spec].currency
        owed = [period for period in found if period.row.ended and round_money(period.rebate, currency) > 0]
        needs = [round_money(period.rebate, currency) for period in owed]
        for period, (paid, paid_on) in zip(owed, allocate(needs, payouts.get(spec, []))):
            period.paid, period.paid_on = paid, paid_on
    return by_spec


def _result(spec: Spec, periods: list[_Period], series: dict, as_of: dt.datetime, figures: Figures) -> Result:
    today = as_of_day(as_of, spec.timezone)
    instances = [_judge(period, spec, today, figures) for period in periods]
    data = {}
    if periods:
        latest = periods[-1]
        data = {**instances[-1].data, "series": series.get(latest.row.pid, {"days": [], "totals": []})}
    return make_result(spec, instances, period_summary(instances, figures),
                       next_check_at=_next_check(periods, spec, as_of, today), data=data)


def _next_check(periods: list[_Period], spec: Spec, as_of: dt.datetime, today: dt.date) -> dt.datetime | None:
    """The end of the running period, or the moment an unpaid rebate becomes overdue."""
    if not periods:
        return first_start(spec, as_of)
    moments = [period.row.ends_at for period in periods if not period.row.ended]
    moments += [start_of_day(period.due + dt.timedelta(days=1), spec.timezone) for period in periods
                if period.row.ended and period.paid_on is None and period.rebate > 0 and today <= period.due]
    return min(moments) if moments else None


def _judge(period: _Period, spec: Spec, today: dt.date, figures: Figures) -> InstanceResult:
    row = period.row
    owed = round_money(period.rebate, spec.currency)
    inst = InstanceResult(key=row.key, status=InstanceStatus.OPEN, due=period.due)
    inst.data = _data(period)
    args = _args(period, spec, figures)
    payer = seller(spec.role)

    def item(amount: Decimal, state: MoneyState) -> MoneyItem:
        return MoneyItem(MoneyKind.REBATE, amount, spec.currency, payer, state)

    if not row.ended:
        inst.health = Health.ON_TRACK
        if period.projected > 0:
            inst.money.append(item(period.projected, MoneyState.PROJECTED))
        inst.explanation = _running_sentence(period, spec.currency, args, figures)
        return inst
    if owed <= 0:
        inst.status, inst.days_late = InstanceStatus.KEPT, 0
        inst.explanation = figures.say(gettext_noop(
            "%(period)s ended at %(turnover)s, below the first tier (%(first)s): no rebate."), args)
        return inst
    if period.paid_on is not None:
        inst.done = period.paid_on
        inst.money.append(item(period.rebate, MoneyState.PAID))
        if period.paid_on <= period.due:
            inst.status, inst.days_late = InstanceStatus.KEPT, 0
            inst.explanation = figures.say(gettext_noop(
                "%(period)s ended at %(turnover)s: a rebate of %(rebate)s, due by %(due)s, paid on %(paid_on)s."), args)
            return inst
        inst.status, inst.days_late = InstanceStatus.KEPT_LATE, (period.paid_on - period.due).days
        args["days"] = figures.number(inst.days_late)
        inst.explanation = figures.say(ngettext(
            "%(period)s ended at %(turnover)s: a rebate of %(rebate)s, due by %(due)s, paid on %(paid_on)s, "
            "%(days)s day late.",
            "%(period)s ended at %(turnover)s: a rebate of %(rebate)s, due by %(due)s, paid on %(paid_on)s, "
            "%(days)s days late.", inst.days_late), args)
        return inst
    if period.paid > 0:
        inst.money.append(item(period.paid, MoneyState.PAID))
    remainder = period.rebate - period.paid
    if today <= period.due:
        inst.health = Health.ON_TRACK
        inst.money.append(item(remainder, MoneyState.ACCRUED))
        inst.explanation = figures.say(gettext_noop(
            "%(period)s ended at %(turnover)s: a rebate of %(rebate)s is to be paid by %(due)s "
            "(%(unpaid)s still open)."), args)
        return inst
    inst.status, inst.days_late = InstanceStatus.OVERDUE, (today - period.due).days
    inst.money.append(item(remainder, MoneyState.DUE))
    args["days"] = figures.number(inst.days_late)
    inst.explanation = figures.say(ngettext(
        "%(period)s ended at %(turnover)s: a rebate of %(rebate)s was due by %(due)s; %(unpaid)s is unpaid, "
        "%(days)s day late.",
        "%(period)s ended at %(turnover)s: a rebate of %(rebate)s was due by %(due)s; %(unpaid)s is unpaid, "
        "%(days)s days late.", inst.days_late), args)
    return inst


def _args(period: _Period, spec: Spec, figures: Figures) -> LazyArgs:
    """The sentence's figures, each formatted only if the sentence uses it."""
    p, currency, measure = period.params, spec.currency, str(period.params.measure)
    return LazyArgs(
        period=lambda: period.row.key, turnover=lambda: figures.measure(period.volume, measure, currency),
        rebate=lambda: figures.money(period.rebate, currency), due=lambda: figures.date(period.due),
        end=lambda: figures.date(period.row.last_day), first=lambda: figures.measure(p.tiers[0].from_, measure, currency),
        unpaid=lambda: figures.money(period.rebate - period.paid, currency),
        projected=lambda: figures.money(period.projected, currency), paid_on=lambda: figures.date(period.paid_on),
    )


def _running_sentence(period: _Period, currency: str, args: LazyArgs, figures: Figures) -> str:
    row, p = period.row, period.params
    if row.fraction <= 0:
        return figures.say(gettext_noop("%(period)s has just begun."), args)
    text = figures.say(gettext_noop(
        "%(turnover)s so far earns a rebate of %(rebate)s; at this pace %(projected)s by %(end)s."), args)
    tier = next_tier(period.volume, p)
    if tier is not None:
        text += " " + figures.say(gettext_noop("The %(rate)s%% tier needs %(missing)s more."), {
            "rate": figures.number(tier.rate),
            "missing": figures.measure(tier.from_ - period.volume, str(p.measure), currency),
        })
    return text


def _data(period: _Period) -> dict:
    """The period's figures for the page: turnover, rebate so far and projected, the next tier."""
    row, p = period.row, period.params
    tier = next_tier(period.volume, p)
    return {
        "period": row.key, "start": row.start, "end": row.last_day, "measure": str(p.measure), "mode": str(p.mode),
        "turnover": period.amount, "volume": period.volume,
        "forecast": row.forecast(period.volume),
        "accrued": period.rebate, "projected": period.projected, "rate": whole_rate(period.volume, p),
        "next_tier": {"from": tier.from_, "rate": tier.rate} if tier else None,
        "missing": tier.from_ - period.volume if tier else None,
        "tiers": [{"from": t.from_, "rate": t.rate} for t in p.tiers],
        "due": period.due, "paid": period.paid, "paid_on": period.paid_on, "elapsed": row.fraction,
    }


__all__ = ["RebateMode", "Tier", "VolumeRebate", "VolumeRebateParams", "allocate", "next_tier", "rebate_on", "whole_rate"]
