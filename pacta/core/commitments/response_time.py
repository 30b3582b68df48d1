"""`response_time`: each ticket answered within `within`.

How a ticket is judged (the engine's docs repeat this):

- One instance per `ticket_opened` `ref`, judged by the terms in force on the
  day it was opened. The first `ticket_answered` with that ref answers it.
- Its deadline is `within` after the opening; with `business_hours`, `within`
  counts only working time (weekdays between from and to on the local
  clock, public holidays of the agreement's country excluded), and the
  deadline is the last moment before more working time has passed (opened
  at 13:00 with four hours of 08:00-17:00: due the next working day 08:00).
  The deadline is inclusive. Pauses push it by the paused (working) time.
- `kept` (answered by the deadline), `kept_late` (answered after it),
  `overdue` (not answered, deadline passed) or `open`. Days late count as in
  COMMITMENTS.md section 2.
- A date-only opening counts from the end of its day, a date-only answer from
  the start of its day (the benefit of the doubt goes to whoever answers).
- `target_rate`: tickets judged (not waived) per period of their opening day,
  reported against the target in force on the period's first day.
- Service credits, per calendar month of the opening day: a month whose share
  of tickets answered in time (of those judged) is strictly below a tier's
  `below` earns that tier's `percent` of `monthly_fee`; of several tiers that
  apply, the one with the lowest `below` wins; the credit is capped at
  `monthly_cap_percent` of the fee. The terms in force on the month's first day
  apply. A credit is `due` once the month is over and none of its tickets is
  still open, `accrued` before. We pay on a customer agreement (we answer the
  tickets), the supplier on a supplier agreement.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from pacta.lib.dates import (
    WorkingHours,
    add_working_time,
    add_working_time_expr,
    local_date,
    shift_for_pauses,
    shift_instant_for_pauses,
    start_of_day,
    working_time_between,
)
from pacta.lib.periods import period_of

from ._facts import (
    FIRST,
    SetBased,
    Texts,
    distinct_days,
    earliest,
    facts,
    judge,
    local_day_of,
    local_moments,
    next_days_late_change_expr,
    passes_at_expr,
    period_counts,
    period_rates,
    push_for_pauses,
    sentence,
    span_exprs,
    tally_parts,
    target_clause,
    target_period_end,
)
from ._fields import BusinessHours, Duration, NonNegative, Percent
from ._scope import attach_terms, seller, terms_table
from .base import (
    FieldValueError,
    WEEKDAY_INDEX,
    CommitmentType,
    Health,
    InstanceResult,
    InstanceStatus,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Params,
    Period,
    Result,
    Spec,
    make_result,
    register,
    sum_money,
)


class Credit(Params):
    below: Percent = Field(description="A month whose on-time share is strictly below this percentage…")
    percent: Percent = Field(description="…earns this percent of the monthly fee as service credit.")


class ResponseTimeParams(Params):
    within: Duration = Field(description="Time to answer, e.g. PT4H.")
    business_hours: BusinessHours | None = Field(None, description="Count only working time.")
    target_rate: Percent | None = Field(None, description="Share of tickets answered in time per period, in percent.")
    period: Period = Field(Period.MONTH, description="Period of the target rate.")
    credits: list[Credit] = Field(default_factory=list, description="Service credits by on-time share.")
    monthly_fee: NonNegative | None = Field(None, description="The monthly fee the credits are taken from.")
    monthly_cap_percent: Percent | None = Field(None, description="Cap on a month's credits in percent of the fee.")

    @model_validator(mode="after")
    def _fee(self):
        if self.credits and self.monthly_fee is None:
            raise FieldValueError("monthly_fee", gettext("Service credits need a monthly fee."))
        return self


_FACTS = {"ticket_opened": "opened", "ticket_answered": "answered"}
_TERMS = {"within": pl.Duration("us"), "hours": pl.Utf8}
_HOURS_SEP = "|"


def working_hours(params: ResponseTimeParams, country: str) -> WorkingHours | None:
    """The working time a ticket's clock runs in (None: around the clock)."""
    hours = params.business_hours
    if hours is None:
        return None
    return WorkingHours(weekdays=tuple(sorted(WEEKDAY_INDEX[d] for d in hours.weekdays)), start=hours.from_,
                        end=hours.to, country=country)


def _term_columns(seg) -> dict:
    hours = seg.params.business_hours
    # The business hours as one comparable value, so tickets can be grouped by them.
    text = None if hours is None else _HOURS_SEP.join(
        [",".join(sorted(str(WEEKDAY_INDEX[d]) for d in hours.weekdays)), hours.from_.isoformat(), hours.to.isoformat()])
    return {"within": seg.params.within, "hours": text}


@register
class ResponseTime(SetBased, CommitmentType):
    name = "response_time"
    label = _("Response time")
    help = _("Each ticket gets an answer within the agreed time.")
    Params = ResponseTimeParams
    reads = {"customer": ("ticket_opened", "ticket_answered"), "supplier": ("ticket_opened", "ticket_answered")}

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        if not specs:
            return []
        tickets = judge_tickets(specs, events, as_of)
        return _results(specs, tickets, as_of)


# ---------------------------------------------------------------------------
# Column-wise: one row per ticket


def judge_tickets(specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """One row per (commitment `spec`, ticket `ref`) with its deadline, answer, `status` and `days_late`."""
    scoped = facts(specs, events, as_of, lambda s: _FACTS).filter(pl.col("ref").is_not_null())
    zones = scoped["tz"].unique().to_list() or [specs[0].timezone]
    _, latest = span_exprs(zones)  # a date-only opening counts from the end of its day
    opened = (
        scoped.filter(pl.col("fact") == "opened").sort(FIRST)
        .group_by("spec", "ref")
        .agg(pl.col("at", "date_only", "day", "valid", "tz", "country", "as_of_day").first())
        .filter(pl.col("valid"))
        .with_columns(latest.alias("start"))
    )
    opened = attach_terms(opened, terms_table(specs, _term_columns, _TERMS)).filter(~pl.col("removed"))
    answered = (
        scoped.filter(pl.col("fact") == "answered").join(opened.select("spec", "ref"), on=["spec", "ref"], how="semi")
        .sort(FIRST)
        .group_by("spec", "ref")
        .agg(pl.col("at", "day", "date_only").first().name.prefix("a_"))
    )
    tickets = _deadlines(opened.join(answered, on=["spec", "ref"], how="left")).rename(
        {"deadline": "due_at", "a_at": "done_at", "a_day": "done_day", "a_date_only": "done_date_only"})
    tickets = tickets.with_columns(local_day_of("due_at", zones).alias("due_day"), pl.lit(False).alias("due_is_date"))
    tickets = push_for_pauses(specs, tickets, "start", paused_deadline, "seg")
    return _status(tickets, as_of, zones)


def _deadlines(tickets: pl.DataFrame) -> pl.DataFrame:
    """`deadline` = start + within, in working time where business hours apply."""
    plain = tickets.filter(pl.col("hours").is_null()).with_columns((pl.col("start") + pl.col("within")).alias("deadline"))
    parts = [plain]
    timed = tickets.filter(pl.col("hours").is_not_null())
    if not timed.is_empty():
        years = range(timed["day"].min().year, timed["day"].max().year + 2 + timed["within"].max().days // 200)
        for (hours_text, tz, country), group in timed.group_by("hours", "tz", "country"):
            hours = _parse_hours(hours_text, country)
            parts.append(group.with_columns(
                add_working_time_expr(pl.col("start"), pl.col("within"), hours, tz, years).alias("deadline")))
    return pl.concat(parts)


def _parse_hours(text: str, country: str) -> WorkingHours:
    weekdays, start, end = text.split(_HOURS_SEP)
    return WorkingHours(weekdays=tuple(int(d) for d in weekdays.split(",")), start=dt.time.fromisoformat(start),
                        end=dt.time.fromisoformat(end), country=country)


def paused_deadline(spec: Spec, start: dt.datetime, deadline: dt.datetime, pauses: tuple, seg: int) -> dt.datetime | None:
    """A ticket's deadline with the clock stopped during `pauses` (only working
    time is paused under business hours); None while a pause holds it."""
    params: ResponseTimeParams = spec.segments[seg].params
    hours = working_hours(params, spec.country)
    if hours is None:
        return shift_instant_for_pauses(start, deadline, pauses)
    tz = spec.timezone

    def worked(t: dt.datetime | None) -> dt.timedelta | None:
        return None if t is None else working_time_between(start, t, hours, tz)

    budget = shift_for_pauses(dt.timedelta(0), params.within, [(worked(a), worked(b)) for a, b in pauses])
    return None if budget is None else add_working_time(start, budget, hours, tz)


def _status(tickets: pl.DataFrame, as_of: dt.datetime, zones: list[str]) -> pl.DataFrame:
    """Status, days late and `next_at` of every ticket (`_facts.judge`)."""
    tickets = judge(tickets, as_of, without_deadline=pl.col("suspended"))
    return tickets.with_columns(
        pl.when(pl.col("status") == "open").then(passes_at_expr("due_at", "due_day", "due_is_date", zones))
        .when(pl.col("status") == "overdue")
        .then(next_days_late_change_expr("due_at", "due_is_date", "days_late", pl.lit(False), zones))
        .alias("next_at"),
    ).sort("spec", "at", "ref")


# ---------------------------------------------------------------------------
# Instances, credits and sentences


_STATUSES = {s.value: s for s in InstanceStatus}


def _results(specs: list[Spec], tickets: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
    texts = Texts()
    zones = tickets["tz"].unique().to_list() or [specs[0].timezone]
    tickets = _with_limits(texts, tickets)
    tickets = tickets.with_columns(_explanations(texts, tickets, zones).alias("text"))
    next_checks = dict(tickets.group_by("spec").agg(pl.col("next_at").min()).iter_rows())
    dues = local_moments(tickets, "due_at", "due_day", "due_is_date")
    answers = local_moments(tickets, "done_at", "done_day", "done_date_only")
    instances: list[list[InstanceResult]] = [[] for _ in specs]
    columns = [tickets[c].to_list() for c in ("spec", "ref", "status", "days_late", "text")]
    for due, done, (spec_i, ref, status, days, text) in zip(dues, answers, zip(*columns)):
        health = Health.ON_TRACK if status == "open" else None
        instances[spec_i].append(InstanceResult(ref, _STATUSES[status], due, done, days, health, [], text + "."))
    opened_day = pl.col("day")
    rates = period_rates(specs, period_counts(specs, tickets, opened_day, "ref", lambda s: str(s.terms.params.period)))
    months = period_rates(specs, period_counts(specs, tickets, opened_day, "ref", lambda s: "month"))
    results = []
    for index, spec in enumerate(specs):
        credits = service_credits(spec, months.get(index, []), as_of)
        data = {"periods": rates.get(index, []), "credits": credits}
        next_check = earliest([next_checks.get(index), target_period_end(spec, as_of),
                               _month_end(spec, as_of) if credits else None], as_of)
        results.append(make_result(spec, instances[index], _summary(spec, instances[index], data, texts),
                                   money=sum_money(c["money"] for c in credits if c["money"]),
                                   next_check_at=next_check, data=data))
    return results


def service_credits(spec: Spec, months: list[dict], as_of: dt.datetime) -> list[dict]:
    """The service credit of each month with judged tickets (see the module docstring)."""
    found = []
    today = local_date(as_of, False, spec.timezone)
    for month in months:
        params: ResponseTimeParams = spec.terms_on(month["start"]).params
        if not params.credits or month["rate"] is None:
            continue
        tiers = [c for c in params.credits if month["rate"] < c.below]
        percent = min(tiers, key=lambda c: c.below).percent if tiers else Decimal(0)
        amount = params.monthly_fee * percent / 100
        if params.monthly_cap_percent is not None:
            amount = min(amount, params.monthly_fee * params.monthly_cap_percent / 100)
        over = period_of(month["start"], "month")[1] <= today and not month["open"]
        money = MoneyItem(MoneyKind.SERVICE_CREDIT, amount, spec.currency, seller(spec.role),
                          MoneyState.DUE if over else MoneyState.ACCRUED) if amount else None
        found.append({"month": month["period"], "start": month["start"], "share": month["rate"],
                      "percent": percent, "money": money})
    return found


def _month_end(spec: Spec, as_of: dt.datetime) -> dt.datetime:
    _, end = period_of(local_date(as_of, False, spec.timezone), "month")
    return start_of_day(end, spec.timezone)


def _with_limits(texts: Texts, tickets: pl.DataFrame) -> pl.DataFrame:
    """Each ticket with `limit`, its time to answer in words ("4 hours", "8 hours of working time")."""
    limits = []
    for within, hours in tickets.select("within", "hours").unique().iter_rows():
        limit = texts.duration(within)
        if hours is not None:
            limit = texts.say(gettext_noop("%(duration)s of working time"), {"duration": limit})
        limits.append((within, hours, limit))
    frame = pl.DataFrame(limits, schema={"within": pl.Duration("us"), "hours": pl.Utf8, "limit": pl.Utf8}, orient="row")
    return tickets.join(frame, on=["within", "hours"], how="left", nulls_equal=True, maintain_order="left")


def _explanations(texts: Texts, tickets: pl.DataFrame, zones: list[str]) -> pl.Expr:
    formatted = texts.dates(distinct_days(tickets, "day", "done_day", "due_day"))
    args = {
        "opened": texts.moment_expr(formatted, "at", "day", "date_only", zones),
        "answered": texts.moment_expr(formatted, "done_at", "done_day", "done_date_only", zones),
        "due": texts.moment_expr(formatted, "due_at", "due_day", "due_is_date", zones),
        "limit": pl.col("limit"),
    }
    status = pl.col("status")
    return (
        pl.when(status == "kept")
        .then(texts.sentence_expr(gettext_noop("Opened %(opened)s and answered %(answered)s, within %(limit)s"), args))
        .when(status == "kept_late").then(texts.sentence_expr(
            gettext_noop("Opened %(opened)s and answered %(answered)s, later than %(limit)s (due %(due)s)"), args))
        .when(status == "overdue")
        .then(texts.sentence_expr(gettext_noop("Opened %(opened)s and not answered; it was due %(due)s"), args))
        .when(pl.col("suspended"))
        .then(texts.sentence_expr(gettext_noop("Opened %(opened)s; paused: the deadline moves with the pause"), args))
        .otherwise(texts.sentence_expr(gettext_noop("Opened %(opened)s; an answer is due %(due)s"), args))
    )


def _summary(spec: Spec, instances: list[InstanceResult], data: dict, texts: Texts) -> str:
    """"9 of 10 tickets were answered in time; T-7 was not; 2025-03: 90% on time, target 95%; ..."."""
    parts = tally_parts(texts, spec, instances, none=gettext_noop("No tickets yet"),
                 counted=lambda n: texts.ngettext("%(kept)s of %(n)s ticket was answered in time",
                                                  "%(kept)s of %(n)s tickets were answered in time", n),
                 failed=lambda n: texts.ngettext("%(keys)s was not", "%(keys)s were not", n),
                 bad=frozenset({InstanceStatus.KEPT_LATE, InstanceStatus.OVERDUE}))
    parts.append(target_clause(data["periods"], texts))
    waiting = sum(1 for i in instances if i.status == InstanceStatus.OPEN and i.key not in spec.waivers)
    if waiting:
        parts.append(texts.ngettext("%(n)s ticket waiting for an answer", "%(n)s tickets waiting for an answer",
                                    waiting) % {"n": waiting})
    for credit in data["credits"]:
        if credit["money"]:
            parts.append(texts.say(gettext_noop("service credit for %(month)s: %(amount)s (%(share)s%% in time)"), {
                "month": credit["month"], "amount": texts.money(credit["money"].amount, credit["money"].currency),
                "share": texts.number(credit["share"])}))
    return sentence(*parts)


__all__ = ["ResponseTime", "ResponseTimeParams", "judge_tickets", "paused_deadline", "service_credits"]
