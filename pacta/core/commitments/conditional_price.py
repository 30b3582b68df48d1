"""`conditional_price`: a special price that holds only if the period's volume is reached.

Semantics (COMMITMENTS.md section 3, with the choices written down in the docs):

- One instance per period (see `_periods` for periods, clipping and which terms
  govern), key = the period's label, `due` = its last day.
- The period's quantity is the sum of `quantity` of its `basis` events of the
  covered products.
- Lines "billed at the special price" are the period's invoice lines of the
  covered products, in the agreement's currency, whose amount per unit is at
  most `price` + 0.005. Their price correction = (list price - `price`) x
  quantity, the list price being `list_price` or else the line's own list
  price; lines with neither add nothing and are counted in the data.
- At its end the period is `kept` when the quantity reached `volume` (`done` =
  the day it did), else `broken`, and the correction is owed by the buyer (the
  party on a customer agreement, we on a supplier agreement): money kind
  `price_correction`, `due`.
- While it runs: forecast = quantity / elapsed share; `at_risk` when below
  `volume`, with the money at stake `projected` at the same pace (correction so
  far / elapsed share).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext_lazy as _, gettext_noop
from pydantic import Field

from ._explain import Figures
from ._fields import NonNegative, Positive
from ._periods import (
    PeriodParams,
    PeriodRow,
    daily_totals,
    events_by_period,
    next_check,
    period_frame,
    period_results,
    period_rows,
)
from ._scope import buyer, in_products, scoped_events
from .base import (
    DECIMAL,
    CommitmentType,
    Health,
    InstanceResult,
    InstanceStatus,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Result,
    Spec,
    register,
)

ZERO = Decimal(0)
SPECIAL_PRICE_TOLERANCE = Decimal("0.005")  # per unit, as agreed_price's default
_EXACT = pl.Decimal(38, 12)


class ConditionalPriceParams(PeriodParams):
    price: NonNegative = Field(description="The special price per unit.")
    list_price: NonNegative | None = Field(
        None, description="The price that applies otherwise; empty: the list price on the invoice lines."
    )
    volume: Positive = Field(description="Quantity per period that the special price requires.")


def _columns(terms) -> dict:
    p = terms.params
    return {"price": p.price, "agreed_list_price": p.list_price, "volume": p.volume}


_SCHEMA = {"price": DECIMAL, "agreed_list_price": DECIMAL, "volume": DECIMAL}


def _quantities(frame: pl.LazyFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Per period and day, the quantity that counts and its running total (with the period's volume)."""
    counted = frame.filter(pl.col("kind") == pl.col("basis_kind"), in_products())
    daily = daily_totals(counted, pl.col("quantity"))
    return daily.join(periods.select("pid", "volume"), on="pid", how="left")


def _corrections(frame: pl.LazyFrame) -> dict[int, tuple[Decimal, int, int]]:
    """Per period: the price correction on the lines billed at the special price,
    how many such lines there were, and how many of them had no list price."""
    quantity = pl.col("quantity").cast(_EXACT)
    at_special = (pl.col("amount").cast(_EXACT) <= (pl.col("price") + SPECIAL_PRICE_TOLERANCE).cast(_EXACT) * quantity)
    list_price = pl.coalesce(pl.col("agreed_list_price"), pl.col("list_price"))
    lines = frame.filter(
        pl.col("kind") == "invoice", in_products(), pl.col("same_currency"), pl.col("quantity") > 0,
        pl.col("amount").is_not_null(), at_special,
    )
    agg = (
        lines.group_by("pid").agg(
            ((list_price - pl.col("price")).cast(_EXACT) * quantity).sum().alias("correction"),
            pl.len().alias("lines"),
            list_price.is_null().sum().alias("unpriced"),
        ).collect()
    )
    return {pid: (correction or ZERO, n, unpriced) for pid, correction, n, unpriced in agg.iter_rows()}


def _reached(daily: pl.DataFrame) -> dict[int, tuple[Decimal, dt.date | None]]:
    agg = daily.group_by("pid").agg(
        pl.col("value").sum().alias("total"),
        pl.col("day").filter(pl.col("cum") >= pl.col("volume")).first().alias("reached"),
    )
    return {pid: (total, reached) for pid, total, reached in agg.iter_rows()}


@register
class ConditionalPrice(CommitmentType):
    name = "conditional_price"
    label = _("Conditional price")
    help = _("A special price that holds only if the party takes the agreed volume per period.")
    Params = ConditionalPriceParams
    reads = {"customer": ("invoice", "order", "delivery"), "supplier": ("invoice", "purchase_order", "receipt")}
    needs_products = True

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        return self.evaluate_many([spec], events, as_of)[0]

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        rows = period_rows(specs, as_of)
        periods = period_frame(specs, rows, _columns, _SCHEMA)
        kinds = set(periods["basis_kind"].unique()) | {"invoice"}
        frame = events_by_period(scoped_events(specs, events, as_of, kinds), specs, as_of, periods)
        daily = _quantities(frame, periods)
        totals, corrections = _reached(daily), _corrections(frame)

        def judge(row: PeriodRow, spec: Spec, figures: Figures):
            return _judge(row, spec, totals.get(row.pid, (ZERO, None)), corrections.get(row.pid, (ZERO, 0, 0)), figures)

        return period_results(specs, rows, daily, as_of, judge)


def _judge(row: PeriodRow, spec: Spec, reached: tuple[Decimal, dt.date | None],
           correction: tuple[Decimal, int, int], figures: Figures) -> tuple[InstanceResult, dt.datetime | None]:
    """One period's verdict and the next moment it can change without new events."""
    p = row.params
    total, reached_on = reached
    amount, lines, unpriced = correction
    fc = row.forecast(total)
    below = fc is not None and fc < p.volume
    inst = InstanceResult(key=row.key, status=InstanceStatus.OPEN, due=row.last_day)
    inst.data = {"period": row.key, "start": row.start, "end": row.last_day, "total": total, "forecast": fc,
                 "volume": p.volume, "price": p.price, "list_price": p.list_price, "correction": amount,
                 "special_lines": lines, "lines_without_list_price": unpriced, "elapsed": row.fraction}
    args = {"period": row.key, "total": figures.units(total), "volume": figures.units(p.volume),
            "end": figures.date(row.last_day), "lines": figures.number(lines)}
    if fc is not None:
        args.update(forecast=figures.units(fc, 0 if not row.ended else None),
                    missing=figures.units(p.volume - fc, 0 if not row.ended else None))
    payer = buyer(spec.role)
    if row.ended:
        inst.status = InstanceStatus.BROKEN if below else InstanceStatus.KEPT
        if not below:
            inst.done = reached_on
            inst.explanation = figures.say(gettext_noop(
                "%(period)s ended at %(total)s, reaching the %(volume)s that the special price needs."), args)
            return inst, None
        if amount > 0:
            inst.money.append(MoneyItem(MoneyKind.PRICE_CORRECTION, amount, spec.currency, payer, MoneyState.DUE))
        args["correction"] = figures.money(amount, spec.currency)
        inst.explanation = figures.say(gettext_noop(
            "%(period)s ended at %(total)s, %(missing)s short of the %(volume)s that the special price needs: "
            "%(correction)s in price corrections (lines billed at the special price: %(lines)s)."), args)
        return inst, None
    inst.health = Health.AT_RISK if below else Health.ON_TRACK
    if fc is None:
        inst.explanation = figures.say(gettext_noop(
            "%(period)s has just begun; the special price needs %(volume)s by %(end)s."), args)
    elif below:
        stake = row.forecast(amount)
        if stake > 0:
            inst.money.append(MoneyItem(MoneyKind.PRICE_CORRECTION, stake, spec.currency, payer, MoneyState.PROJECTED))
        args["stake"] = figures.money(stake, spec.currency)
        inst.explanation = figures.say(gettext_noop(
            "At this pace you reach %(forecast)s by %(end)s, %(missing)s short of the %(volume)s that the special "
            "price needs; %(stake)s in price corrections at stake (%(total)s so far)."), args)
    else:
        inst.explanation = figures.say(gettext_noop(
            "%(total)s so far; at this pace you reach %(forecast)s by %(end)s, enough for the special price "
            "(%(volume)s)."), args)
    return inst, next_check(row, total, fc, minimum=p.volume)


__all__ = ["ConditionalPrice", "ConditionalPriceParams"]
