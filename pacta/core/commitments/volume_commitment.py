"""`volume_commitment`: per period, at least `minimum` and/or at most `maximum`.

Semantics (COMMITMENTS.md section 3, with the choices written down in the docs):

- One instance per period (see `_periods` for periods, clipping and which terms
  govern), key = the period's label, `due` = its last day.
- The volume is the sum of `measure` (quantity, or amount in the agreement's
  currency) of the `basis` events of the covered products. On a supplier
  agreement `order` reads `purchase_order` and `delivery` reads `receipt`.
- While the period runs the instance is `open`; forecast = total so far /
  elapsed share; `at_risk` when the forecast is below the minimum or above the
  maximum. No time elapsed yet: no forecast, `on_track`.
- At its end: `broken` below the minimum or above the maximum, else `kept`
  (an empty period is broken when the minimum is above 0). `done` is the day
  the running total reached the minimum.
- Money: `shortfall` = `shortfall_fee` x missing units, paid by the buyer (the
  party on a customer agreement, we on a supplier agreement), `due` when the
  period ended below the minimum, `projected` (on the forecast) while at risk.
  Above the maximum there is no money.
- `next_check_at`: the end of the running period, or earlier the moment the
  forecast crosses a bound with no new events (time passing lowers it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop
from pydantic import Field, model_validator

from ._explain import Figures
from ._fields import NonNegative
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
    FieldValueError,
    DECIMAL,
    CommitmentType,
    Health,
    InstanceResult,
    InstanceStatus,
    Measure,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Result,
    Spec,
    register,
)

ZERO = Decimal(0)


class VolumeCommitmentParams(PeriodParams):
    measure: Measure = Field(Measure.QUANTITY, description="Count quantities or amounts.")
    minimum: NonNegative | None = Field(None, description="The least volume per period.")
    maximum: NonNegative | None = Field(None, description="The most volume per period.")
    shortfall_fee: NonNegative | None = Field(None, description="Fee per missing unit of measure below the minimum.")

    @model_validator(mode="after")
    def _check_bounds(self):
        if self.minimum is None and self.maximum is None:
            raise FieldValueError("minimum", gettext("Give a minimum, a maximum or both."))
        if self.minimum is not None and self.maximum is not None and self.maximum < self.minimum:
            raise FieldValueError("maximum", gettext("The maximum must not be below the minimum."))
        return self


def _columns(terms) -> dict:
    p = terms.params
    return {"measure": str(p.measure), "minimum": p.minimum}


_SCHEMA = {"measure": pl.Utf8, "minimum": DECIMAL}


def _volume(frame: pl.LazyFrame, periods: pl.DataFrame) -> pl.DataFrame:
    """Per period and day, the volume that counts and its running total (with the period's minimum)."""
    counted = frame.filter(
        pl.col("kind") == pl.col("basis_kind"),
        in_products(),
        (pl.col("measure") == "quantity") | pl.col("same_currency"),
    )
    value = pl.when(pl.col("measure") == "amount").then(pl.col("amount")).otherwise(pl.col("quantity"))
    return daily_totals(counted, value).join(periods.select("pid", "minimum"), on="pid", how="left")


def _totals(daily: pl.DataFrame) -> dict[int, tuple[Decimal, dt.date | None]]:
    """Per period: the total and the first day on which the running total reached the minimum."""
    agg = daily.group_by("pid").agg(
        pl.col("value").sum().alias("total"),
        pl.col("day").filter((pl.col("minimum") > 0) & (pl.col("cum") >= pl.col("minimum"))).first().alias("reached"),
    )
    return {pid: (total, reached) for pid, total, reached in agg.iter_rows()}


@register
class VolumeCommitment(CommitmentType):
    name = "volume_commitment"
    label = _("Volume commitment")
    help = _("Per period the volume stays within the agreed minimum and/or maximum.")
    Params = VolumeCommitmentParams
    reads = {"customer": ("invoice", "order", "delivery"), "supplier": ("invoice", "purchase_order", "receipt")}

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        return self.evaluate_many([spec], events, as_of)[0]

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        rows = period_rows(specs, as_of)
        periods = period_frame(specs, rows, _columns, _SCHEMA)
        kinds = set(periods["basis_kind"].unique())
        frame = events_by_period(scoped_events(specs, events, as_of, kinds), specs, as_of, periods)
        daily = _volume(frame, periods)
        totals = _totals(daily)

        def judge(row: PeriodRow, spec: Spec, figures: Figures):
            total, reached = totals.get(row.pid, (ZERO, None))
            return _judge(row, spec, total, reached, figures)

        return period_results(specs, rows, daily, as_of, judge)


def _judge(row: PeriodRow, spec: Spec, total: Decimal, reached: dt.date | None,
           figures: Figures) -> tuple[InstanceResult, dt.datetime | None]:
    """One period's verdict and the next moment it can change without new events."""
    p = row.params
    fc = row.forecast(total)
    inst = InstanceResult(key=row.key, status=InstanceStatus.OPEN, due=row.last_day)
    inst.data = {"period": row.key, "start": row.start, "end": row.last_day, "measure": str(p.measure),
                 "total": total, "forecast": fc, "minimum": p.minimum, "maximum": p.maximum, "elapsed": row.fraction}
    below = fc is not None and p.minimum is not None and fc < p.minimum
    above = fc is not None and p.maximum is not None and fc > p.maximum
    inst.explanation = _sentence(row, spec, total, fc, below, above, figures)
    if row.ended:
        inst.status = InstanceStatus.BROKEN if below or above else InstanceStatus.KEPT
        inst.done = reached if inst.status == InstanceStatus.KEPT else None
        if below and p.shortfall_fee:
            inst.money.append(_shortfall(spec, p.shortfall_fee * (p.minimum - total), MoneyState.DUE))
        return inst, None
    inst.health = Health.AT_RISK if below or above else Health.ON_TRACK
    if below and p.shortfall_fee:
        inst.money.append(_shortfall(spec, p.shortfall_fee * (p.minimum - fc), MoneyState.PROJECTED))
    return inst, next_check(row, total, fc, p.minimum, p.maximum)


def _shortfall(spec: Spec, amount: Decimal, state: MoneyState) -> MoneyItem:
    return MoneyItem(MoneyKind.SHORTFALL, amount, spec.currency, buyer(spec.role), state)


def _sentence(row: PeriodRow, spec: Spec, total: Decimal, fc: Decimal | None, below: bool, above: bool,
              figures: Figures) -> str:
    """The period's explanation, with its numbers (only those the sentence needs are formatted)."""
    p = row.params

    def fmt(value: Decimal) -> str:
        return figures.measure(value, str(p.measure), spec.currency, estimate=not row.ended)

    args = {"period": row.key, "total": figures.measure(total, str(p.measure), spec.currency),
            "end": figures.date(row.last_day)}
    if below:
        args.update(missing=fmt(p.minimum - fc), minimum=fmt(p.minimum))
    elif above:
        args.update(excess=fmt(fc - p.maximum), maximum=fmt(p.maximum))
    else:
        args["bounds"] = _bounds(p, fmt, figures)
    if fc is not None:
        args["forecast"] = fmt(fc)
    if row.ended:
        if below:
            message = gettext_noop("%(period)s ended at %(total)s, %(missing)s below the minimum of %(minimum)s.")
        elif above:
            message = gettext_noop("%(period)s ended at %(total)s, %(excess)s above the maximum of %(maximum)s.")
        else:
            message = gettext_noop("%(period)s ended at %(total)s, within the agreed volume (%(bounds)s).")
    elif fc is None:
        message = gettext_noop("%(period)s has just begun; %(bounds)s is agreed by %(end)s.")
    elif below:
        message = gettext_noop(
            "At this pace you reach %(forecast)s by %(end)s, %(missing)s short of the minimum of %(minimum)s "
            "(%(total)s so far)."
        )
    elif above:
        message = gettext_noop(
            "At this pace you reach %(forecast)s by %(end)s, %(excess)s above the maximum of %(maximum)s "
            "(%(total)s so far)."
        )
    else:
        message = gettext_noop(
            "%(total)s so far; at this pace you reach %(forecast)s by %(end)s, within the agreed volume (%(bounds)s)."
        )
    return figures.say(message, args)


def _bounds(p: VolumeCommitmentParams, fmt, figures: Figures) -> str:
    """"at least 10,000 units", "at most ...", "between ... and ..."."""
    if p.minimum is not None and p.maximum is not None:
        return figures.say(gettext_noop("between %(minimum)s and %(maximum)s"),
                           {"minimum": fmt(p.minimum), "maximum": fmt(p.maximum)})
    if p.minimum is not None:
        return figures.say(gettext_noop("at least %(minimum)s"), {"minimum": fmt(p.minimum)})
    return figures.say(gettext_noop("at most %(maximum)s"), {"maximum": fmt(p.maximum)})


__all__ = ["VolumeCommitment", "VolumeCommitmentParams"]
