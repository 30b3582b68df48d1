"""Shared parameters and set-based machinery of the period types
(`volume_commitment`, `volume_rebate`, `conditional_price`).

Rules (documented in the engine's docs):

- The period length and alignment (`period`, `align`) are those of the terms
  in force on the local date of *as of*; `align: agreement` counts periods from
  the commitment's `valid_from` (default the agreement's start).
- Periods are clipped to the validity: an agreement that starts on 15 March
  with calendar quarters has a first period of 15 to 31 March. Bounds are not
  pro-rated for a clipped period (use `align: agreement` for that).
- Only periods that have begun by *as of* exist.
- One version of the terms governs a whole period: the one in force on the
  period's last day, or, while the period runs, on the local date of *as of*.
  A period governed by terms that remove the commitment has no instance.
- A period has ended once the local date of *as of* is past its last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext_noop
from pydantic import Field

from pacta.lib.dates import start_of_day, tzinfo
from pacta.lib.periods import clip, elapsed_time, forecast, period_label, period_start_expr, periods_between

from ._explain import Figures
from ._scope import ParamColumns, as_of_day, basis_kind, paused_gc, table
from .base import Align, Basis, InstanceResult, InstanceStatus, Params, Period, Result, Spec, TermsSegment, make_result


class PeriodParams(Params):
    period: Period = Field(Period.YEAR, description="Calendar year, quarter, month or week.")
    align: Align = Field(
        Align.CALENDAR, description="calendar: calendar periods; agreement: counted from the agreement's start."
    )
    basis: Basis = Field(Basis.INVOICE, description="Which events count: invoices, orders or deliveries.")


@dataclass(frozen=True)
class PeriodRow:
    """One period of one commitment (one instance)."""

    pid: int  # row number across all commitments of the batch
    spec: int  # index of the commitment in the batch
    start: dt.date  # first day (clipped to the validity)
    end: dt.date  # first day after the period (clipped to the validity)
    key: str  # the instance key: "2025", "2025-Q2", "2025-03", "2025-W07" or the start date
    terms: TermsSegment  # the governing terms
    elapsed: int  # local wall-clock time elapsed, in microseconds (0..length)
    length: int  # the period's length in microseconds
    tz: str

    @property
    def params(self):
        return self.terms.params

    @property
    def ended(self) -> bool:
        return self.elapsed >= self.length

    @property
    def fraction(self) -> Decimal:
        """The elapsed share, 0..1."""
        return Decimal(self.elapsed) / Decimal(self.length)

    def forecast(self, total: Decimal) -> Decimal | None:
        """`total` at the period's end at the same pace (the total itself once it
        ended; None when it has only just begun)."""
        return total if self.ended else forecast(total, self.elapsed, self.length)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def ends_at(self) -> dt.datetime:
        """The moment the period is over (local midnight after its last day)."""
        return start_of_day(self.end, self.tz)

    def moment_at(self, share: Decimal) -> dt.datetime:
        """The moment when `share` (0..1) of the period has elapsed (local wall-clock time)."""
        micros = int((self.end - self.start).days * 86_400_000_000 * share)
        naive = dt.datetime.combine(self.start, dt.time(0)) + dt.timedelta(microseconds=micros)
        return naive.replace(tzinfo=tzinfo(self.tz))


def period_rows(specs: Sequence[Spec], as_of: dt.datetime) -> list[PeriodRow]:
    """Every period of every commitment that has begun by *as of*, oldest first per commitment."""
    rows: list[PeriodRow] = []
    for index, spec in enumerate(specs):
        today = as_of_day(as_of, spec.timezone)
        shape = spec.terms_on(today).params
        first, valid_to = spec.valid_from, spec.valid_to
        last = today if valid_to is None else min(today, valid_to)
        for span in periods_between(first, last, shape.period, shape.align, first):
            start, end = clip(span, first, valid_to)
            terms = spec.terms_on(min(end - dt.timedelta(days=1), today))
            if terms.removed:
                continue
            rows.append(PeriodRow(
                pid=len(rows), spec=index, start=start, end=end, key=period_label(span[0], shape.period, shape.align),
                terms=terms, tz=spec.timezone, **_elapsed(start, end, as_of, spec.timezone),
            ))
    return rows


def _elapsed(start: dt.date, end: dt.date, as_of: dt.datetime, tz: str) -> dict[str, int]:
    elapsed, length = elapsed_time(start, end, as_of, tz)
    return {"elapsed": elapsed, "length": length}


def period_frame(specs: Sequence[Spec], rows: Sequence[PeriodRow], columns: ParamColumns,
                 schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The periods as a frame: `pid`, `spec`, `start`, `basis_kind`, `products`
    and the governing terms' columns extracted by `columns`."""
    extracted: dict[int, dict] = {}  # periods under the same terms share their columns
    data = []
    for r in rows:
        terms_columns = extracted.get(id(r.terms))
        if terms_columns is None:
            terms_columns = extracted[id(r.terms)] = columns(r.terms)
        data.append({"pid": r.pid, "spec": r.spec, "start": r.start,
                     "basis_kind": basis_kind(r.params.basis, specs[r.spec].role),
                     "products": r.terms.products, **terms_columns})
    return table(data, {"pid": pl.Int64, "spec": pl.Int64, "start": pl.Date, "basis_kind": pl.Utf8,
                        "products": pl.List(pl.Utf8), **schema})


def _shape_table(specs: Sequence[Spec], as_of: dt.datetime) -> pl.DataFrame:
    shapes = [spec.terms_on(as_of_day(as_of, spec.timezone)).params for spec in specs]
    return pl.DataFrame(
        {"spec": range(len(specs)), "_period": [str(p.period) for p in shapes],
         "_align": [str(p.align) for p in shapes]},
        schema={"spec": pl.Int64, "_period": pl.Utf8, "_align": pl.Utf8},
    )


def _start_expr(combos: list[tuple[str, str]]) -> pl.Expr:
    """The period start of `day` for rows of several period shapes at once."""
    day, anchor = pl.col("day"), pl.col("valid_from")
    expr = None
    for period, align in combos:
        branch = period_start_expr(day, period, align, anchor)
        cond = (pl.col("_period") == period) & (pl.col("_align") == align)
        expr = pl.when(cond).then(branch) if expr is None else expr.when(cond).then(branch)
    return expr.otherwise(None)


def events_by_period(scoped: pl.LazyFrame, specs: Sequence[Spec], as_of: dt.datetime,
                     periods: pl.DataFrame) -> pl.LazyFrame:
    """The scoped events (see `_scope.scoped_events`) within the validity, each
    with the `pid` of its period and that period's columns; events in no
    existing period are dropped."""
    shapes = _shape_table(specs, as_of)
    combos = [tuple(r) for r in shapes.select("_period", "_align").unique().rows()]
    start = _start_expr(combos) if combos else pl.lit(None, pl.Date)
    return (
        scoped.filter(pl.col("valid"))
        .join(shapes.lazy(), on="spec", how="left")
        .with_columns(pl.max_horizontal(start, pl.col("valid_from")).alias("start"))
        .join(periods.lazy(), on=["spec", "start"], how="inner")
        .drop("_period", "_align")
    )


def daily_totals(frame: pl.LazyFrame, value: pl.Expr) -> pl.DataFrame:
    """Per period (`pid`) and `day`: the day's sum of `value` and the running total `cum`, oldest day first."""
    return (
        frame.group_by("pid", "day").agg(value.sum().alias("value"))
        .sort("pid", "day")
        .with_columns(pl.col("value").cum_sum().over("pid").alias("cum"))
        .collect()
    )


def cumulative_series(daily: pl.DataFrame, pids: Sequence[int]) -> dict[int, dict[str, list]]:
    """For the chart: per period in `pids`, the days with events (ISO dates) and
    the running total at the end of each (`{"days": [...], "totals": [...]}`)."""
    picked = daily.filter(pl.col("pid").is_in(list(pids)))
    series: dict[int, dict[str, list]] = {}
    days, totals = picked["day"].cast(pl.Utf8).to_list(), picked["cum"].to_list()
    start = 0  # `daily` is sorted by period, so each period's days are one slice
    for pid, size in picked.group_by("pid", maintain_order=True).len().iter_rows():
        series[pid] = {"days": days[start:start + size], "totals": totals[start:start + size]}
        start += size
    return series


Judge = Callable[[PeriodRow, Spec, Figures], tuple[InstanceResult, "dt.datetime | None"]]


def first_start(spec: Spec, as_of: dt.datetime) -> dt.datetime | None:
    """When a commitment whose validity has not begun gets its first period (None once it has begun)."""
    if as_of_day(as_of, spec.timezone) < spec.valid_from:
        return start_of_day(spec.valid_from, spec.timezone)
    return None


def period_results(specs: Sequence[Spec], rows: Sequence[PeriodRow], daily: pl.DataFrame, as_of: dt.datetime,
                   judge: Judge) -> list[Result]:
    """The Results of period commitments, Python objects built only now:
    `judge(row, spec, figures)` gives each period's instance and the next
    moment it can change without new events; the latest period's figures and
    running total by day (`daily`, see `daily_totals`) go into the data for
    the chart."""
    latest = latest_periods(rows)
    series = cumulative_series(daily, [r.pid for r in latest.values()])
    with paused_gc():
        figures = Figures()
        instances: dict[int, list[InstanceResult]] = {}
        checks: dict[int, dt.datetime] = {}
        for row in rows:
            inst, check = judge(row, specs[row.spec], figures)
            instances.setdefault(row.spec, []).append(inst)
            if check is not None:
                checks[row.spec] = check
        results = []
        for index, spec in enumerate(specs):
            found = instances.get(index, [])
            row = latest.get(index)
            data = {**found[-1].data, "series": series.get(row.pid, {"days": [], "totals": []})} if row else {}
            next_check_at = checks.get(index) or first_start(spec, as_of)
            results.append(make_result(spec, found, period_summary(found, figures), next_check_at=next_check_at,
                                       data=data))
        return results


def period_summary(instances: list[InstanceResult], figures: Figures) -> str:
    """A period commitment's sentence: the latest period's, after the earlier periods that broke."""
    if not instances:
        return figures.say(gettext_noop("No period has begun yet."))
    broken = [i.key for i in instances[:-1]
              if i.status in (InstanceStatus.BROKEN, InstanceStatus.OVERDUE, InstanceStatus.KEPT_LATE)]
    if not broken:
        return instances[-1].explanation
    return figures.say(gettext_noop("Breached before: %(keys)s. %(latest)s"),
                       {"keys": ", ".join(broken), "latest": instances[-1].explanation})


def next_check(row: PeriodRow, total: Decimal, fc: Decimal | None, minimum: Decimal | None = None,
               maximum: Decimal | None = None) -> dt.datetime:
    """The running period's end, or earlier the moment its forecast crosses a
    bound: with no new events the forecast total / elapsed share only falls,
    reaching `minimum` at share total / minimum."""
    crossings = []
    if fc is not None and minimum and fc >= minimum:
        crossings.append(total / minimum)
    if fc is not None and maximum and fc > maximum >= total:
        crossings.append(total / maximum)
    later = [share for share in crossings if row.fraction < share < 1]
    return row.moment_at(min(later)) if later else row.ends_at


def latest_periods(rows: Sequence[PeriodRow]) -> dict[int, PeriodRow]:
    """Each commitment's latest period (the running one, or the last that ended)."""
    return {r.spec: r for r in rows}


__all__ = ["PeriodParams", "PeriodRow", "cumulative_series", "daily_totals", "events_by_period", "latest_periods",
           "first_start", "next_check", "period_frame", "period_results", "period_summary", "period_rows"]
