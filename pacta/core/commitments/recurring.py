"""`recurring`: an event of `kind` at least every `every`, or at least once per `period`.

How it is judged (the engine's docs repeat this):

- Only events of `kind` count (with `ref`, only those with that ref), from the
  commitment's `valid_from` on. Events at the same moment count once.
- `every`, a chain like a heartbeat: the first event is due `every` after
  `valid_from`, each next one `every` after the event that fulfilled the
  previous one. Each due event is an instance: `kept`, `kept_late` (it came
  after its due time) or `overdue`; the one still to come is `open`, and
  `at_risk` from `warn_before` ahead of its due time. Whole days are added on
  the local clock and a due time that is a day is inclusive ("every P14D" from
  Monday 1 January: due by Monday 15 January; from an update on Tuesday 10:00:
  due by Tuesday two weeks later, 10:00). The terms in force when a link
  starts (`valid_from` or the previous event) set its `every` and
  `warn_before`; pauses push its due time; links due after `valid_to` are not
  owed.
- `period`: each calendar period of the validity (the first and last ones
  cut to it) needs one event: `kept` once it came, `broken` when the period
  ended without, else `open` (`at_risk` from `warn_before` ahead of the
  period's last day).
- `warn_before` of a due day counts back from the start of that day.
- Which variant applies follows the latest terms.

The instance key is the due date ("2025-01-15", or "2025-01-24T10:00" for a
due time) for `every`, the period ("2025-03", "2025-Q1", "2025-W07", "2025")
for `period`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import Field, model_validator

from pacta.lib.dates import DAY, local_date, start_of_day
from pacta.lib.periods import clip, period_label, period_of

from ._facts import (
    FIRST,
    SetBased,
    Texts,
    add_local_days,
    by_zone,
    distinct_days,
    earliest,
    facts,
    judge,
    local_day_of,
    local_moments,
    midnight_after_expr,
    midnight_expr,
    next_days_late_change_expr,
    passes_at_expr,
    push_for_pauses,
    sentence,
    span_exprs,
    tally_parts,
)
from ._fields import Duration
from ._kinds import EventKind
from ._scope import attach_terms, spec_table, terms_table
from .base import (
    EVENT_KINDS,
    FieldValueError,
    UTC_DATETIME,
    CommitmentType,
    Health,
    InstanceResult,
    InstanceStatus,
    Params,
    Period,
    Result,
    Spec,
    make_result,
    register,
)


class RecurringParams(Params):
    kind: EventKind = Field(description="Which event keeps it: update, meeting, attestation, …")
    every: Duration | None = Field(None, description="At most this long between two events, e.g. P14D.")
    period: Period | None = Field(None, description="Or: at least one event per calendar period.")
    warn_before: Duration | None = Field(None, description="At risk this long before the next one is due.")
    ref: str | None = Field(None, description="Only events with this reference count.")

    @model_validator(mode="after")
    def _one(self):
        if (self.every is None) == (self.period is None):
            raise FieldValueError("every", gettext("Give either every or period."))
        return self


_TERMS = {"want_kind": pl.Utf8, "want_ref": pl.Utf8, "every": pl.Duration("us"), "warn": pl.Duration("us")}
_STATUSES = {s.value: s for s in InstanceStatus}
_HEALTHS = {h.value: h for h in Health}


def _term_columns(seg) -> dict:
    p: RecurringParams = seg.params
    return {"want_kind": str(p.kind), "want_ref": p.ref, "every": p.every, "warn": p.warn_before}


@register
class Recurring(SetBased, CommitmentType):
    name = "recurring"
    label = _("Recurring")
    help = _("Something happens regularly, e.g. a status update every two weeks, even when nothing is new.")
    Params = RecurringParams
    # Its `kind` parameter may name any kind of event, so any new event may touch it.
    reads = {"customer": EVENT_KINDS, "supplier": EVENT_KINDS}

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        if not specs:
            return []
        texts = Texts()
        found = matching_events(specs, events, as_of)
        chained = [i for i, s in enumerate(specs) if s.terms.params.every is not None]
        results: dict[int, Result] = {}
        if chained:
            results.update(_chain_results(specs, chained, found, as_of, texts))
        by_spec = found.partition_by("spec", as_dict=True)
        empty = found.clear()
        for index, spec in enumerate(specs):
            if index not in results:
                results[index] = _period_result(spec, by_spec.get((index,), empty), as_of, texts)
        return [results[i] for i in range(len(specs))]


def matching_events(specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """The events that count, once per (commitment `spec`, moment), in time order: of the
    kind (and ref) the terms in force on their day ask for."""
    kinds = lambda spec: {str(seg.params.kind): "event" for seg in spec.segments}  # noqa: E731
    scoped = facts(specs, events, as_of, kinds)
    terms = terms_table(specs, _term_columns, _TERMS)
    return (
        attach_terms(scoped, terms)
        .filter(~pl.col("removed"), pl.col("kind") == pl.col("want_kind"),
                pl.col("want_ref").is_null() | (pl.col("ref") == pl.col("want_ref")))
        .sort("spec", *FIRST)
        .unique(["spec", "at", "date_only"], keep="first", maintain_order=True)
        .select("spec", "at", "date_only", "day", "tz", "country", "as_of_day", "valid_to")
    )


# ---------------------------------------------------------------------------
# every: the chain, column-wise


def _chain_results(specs: list[Spec], chained: list[int], found: pl.DataFrame, as_of: dt.datetime,
                   texts: Texts) -> dict[int, Result]:
    links = _links(specs, chained, found, as_of)
    zones = links["tz"].unique().to_list() or [specs[chained[0]].timezone]
    links = _outlook(judge(links, as_of, without_deadline=pl.col("suspended")), as_of, zones)
    links = links.with_columns(_explanations(texts, links, zones).alias("text"))
    next_checks = dict(links.group_by("spec").agg(pl.col("next_at").min()).iter_rows())
    dues = local_moments(links, "due_at", "due_day", "due_is_date")
    dones = local_moments(links, "done_at", "done_day", "done_date_only")
    instances: dict[int, list[InstanceResult]] = {i: [] for i in chained}
    columns = [links[c].to_list() for c in ("spec", "key", "status", "days_late", "health", "text")]
    for due, done, (spec_i, key, status, days, health, text) in zip(dues, dones, zip(*columns)):
        instances[spec_i].append(InstanceResult(key, _STATUSES[status], due, done, days, _HEALTHS.get(health), [],
                                                text + "."))
    return {i: make_result(specs[i], instances[i], _summary(specs[i], instances[i], texts),
                           next_check_at=earliest([next_checks.get(i)], as_of)) for i in chained}


def _links(specs: list[Spec], chained: list[int], found: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """One row per link of each chain: from `valid_from` or an event (`prev_*`) to the
    event that followed (`done_*`, null for the link still open), with its deadline."""
    table = spec_table([specs[i] for i in chained], as_of).with_columns(
        pl.Series("spec", chained, pl.Int64), pl.Series("country", [specs[i].country for i in chained], pl.Utf8))
    starts = table.select(
        "spec", pl.col("valid_from").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("at"),
        pl.lit(True).alias("date_only"), pl.col("valid_from").alias("day"), "tz", "country", "as_of_day", "valid_to")
    chain = (
        pl.concat([starts.with_columns(pl.lit(0).alias("order")),
                   found.filter(pl.col("spec").is_in(chained)).with_columns(pl.lit(1).alias("order"))])
        .sort("spec", "order", "at", "date_only")
        .rename({"at": "prev_at", "date_only": "prev_date_only", "day": "prev_day"})
    )
    chain = chain.with_columns(
        *[pl.col("prev_" + c).shift(-1).over("spec").alias(n) for c, n in
          (("at", "done_at"), ("date_only", "done_date_only"), ("day", "done_day"))]
    )
    chain = attach_terms(chain, terms_table(specs, _term_columns, _TERMS), day="prev_day").filter(~pl.col("removed"))
    zones = chain["tz"].unique().to_list() or ["UTC"]
    chain = _due(chain)
    lo, _ = span_exprs(zones, "prev_at", "prev_date_only", "prev_day")
    chain = push_for_pauses(specs, chain.with_columns(lo.alias("start")), "start")
    return chain.filter(pl.col("valid_to").is_null() | (pl.col("due_day") <= pl.col("valid_to"))).sort("spec", "prev_at")


def _due(chain: pl.DataFrame) -> pl.DataFrame:
    """Each link's due: a day when it starts on a day and `every` is whole days, else an instant."""
    zones = chain["tz"].unique().to_list() or ["UTC"]
    every = pl.col("every")
    days = every.dt.total_days()
    rest = every - pl.duration(days=days)
    whole_days = rest == pl.duration(microseconds=0)
    # From a day, an instant due counts from that day's end (the event may have come late in the day).
    start = pl.when(pl.col("prev_date_only")).then(midnight_after_expr(pl.col("prev_day"), zones)
                                                    - pl.duration(microseconds=1)).otherwise(pl.col("prev_at"))
    due_is_date = pl.col("prev_date_only") & whole_days
    due_at = pl.when(due_is_date).then(None).otherwise(add_local_days(start, days, zones) + rest)
    chain = chain.with_columns(due_is_date.alias("due_is_date"), due_at.cast(UTC_DATETIME).alias("due_at"))
    return chain.with_columns(
        pl.when(pl.col("due_is_date")).then(pl.col("prev_day") + pl.duration(days=days))
        .otherwise(local_day_of("due_at", zones)).alias("due_day"))


def _outlook(links: pl.DataFrame, as_of: dt.datetime, zones: list[str]) -> pl.DataFrame:
    """`key`, `health` (at risk within `warn_before`) and `next_at` of every link."""
    now = pl.lit(as_of).cast(UTC_DATETIME)
    warn_from = warning_start_expr("due_at", "due_day", "due_is_date", "warn", zones)
    is_open = (pl.col("status") == "open") & ~pl.col("suspended")
    at_risk = is_open & warn_from.is_not_null() & (now >= warn_from)
    local_key = by_zone(zones, lambda tz: pl.col("due_at").dt.convert_time_zone(tz).dt.strftime("%Y-%m-%dT%H:%M"))
    return links.with_columns(
        pl.when(pl.col("due_is_date")).then(pl.col("due_day").dt.strftime("%Y-%m-%d")).otherwise(local_key).alias("key"),
        pl.when(at_risk).then(pl.lit("at_risk")).when(pl.col("status") == "open").then(pl.lit("on_track")).alias("health"),
        pl.when(is_open & ~at_risk & warn_from.is_not_null()).then(warn_from)
        .when(is_open).then(passes_at_expr("due_at", "due_day", "due_is_date", zones))
        .when(pl.col("status") == "overdue")
        .then(next_days_late_change_expr("due_at", "due_is_date", "days_late", pl.lit(False), zones))
        .alias("next_at"),
    )


def warning_start_expr(due_at: str, due_day: str, due_is_date: str, warn: str, zones: list[str]) -> pl.Expr:
    """When a deadline enters its warning window: `warn` before the start of a due
    day or before a due instant (whole days on the local clock); null without `warn`."""
    days = pl.col(warn).dt.total_days()
    rest = pl.col(warn) - pl.duration(days=days)
    base = pl.when(pl.col(due_is_date)).then(midnight_expr(pl.col(due_day), zones)).otherwise(pl.col(due_at))
    return add_local_days(base, -days, zones) - rest


def _explanations(texts: Texts, links: pl.DataFrame, zones: list[str]) -> pl.Expr:
    formatted = texts.dates(distinct_days(links, "due_day", "done_day"))
    args = {
        "due": texts.moment_expr(formatted, "due_at", "due_day", "due_is_date", zones),
        "done": texts.moment_expr(formatted, "done_at", "done_day", "done_date_only", zones),
        "days": pl.col("days_late").cast(pl.Utf8),
    }
    status, days = pl.col("status"), pl.col("days_late")
    return (
        pl.when(status == "kept").then(texts.sentence_expr(gettext_noop("Due %(due)s, came %(done)s"), args))
        .when(status == "kept_late").then(texts.plural_expr(lambda n: texts.ngettext(
            "Due %(due)s, came %(done)s: %(days)s day late", "Due %(due)s, came %(done)s: %(days)s days late", n),
            days, args))
        .when(status == "overdue").then(texts.plural_expr(lambda n: texts.ngettext(
            "Due %(due)s and not there: %(days)s day late", "Due %(due)s and not there: %(days)s days late", n),
            days, args))
        .when(pl.col("suspended"))
        .then(texts.sentence_expr(gettext_noop("Paused: the next one is due after the pause ends"), args))
        .when(pl.col("health") == "at_risk").then(texts.sentence_expr(gettext_noop("Due %(due)s, soon"), args))
        .otherwise(texts.sentence_expr(gettext_noop("Next due %(due)s"), args))
    )


def _summary(spec: Spec, instances: list[InstanceResult], texts: Texts) -> str:
    """"5 of 6 came in time; 2025-03-12 did not; next due April 9, 2025."."""
    parts = tally_parts(texts, spec, instances, none=gettext_noop("Nothing due yet"),
                        counted=lambda n: texts.ngettext("%(kept)s of %(n)s came in time",
                                                         "%(kept)s of %(n)s came in time", n),
                        failed=lambda n: texts.ngettext("%(keys)s did not", "%(keys)s did not", n),
                        bad=frozenset({InstanceStatus.KEPT_LATE, InstanceStatus.OVERDUE, InstanceStatus.BROKEN}))
    current = [i for i in instances if i.status == InstanceStatus.OPEN and i.due is not None]
    if current:
        parts.append(texts.say(gettext_noop("next due %(due)s"), {"due": texts.moment(current[-1].due)}))
    return sentence(*parts)


# ---------------------------------------------------------------------------
# period: one event per calendar period (few periods: one by one)


def _period_result(spec: Spec, found: pl.DataFrame, as_of: dt.datetime, texts: Texts) -> Result:
    tz = spec.timezone
    today = local_date(as_of, False, tz)
    moments = local_moments(found, "at", "day", "date_only")
    days = found["day"].to_list()
    instances, next_checks = [], []
    day, last = spec.valid_from, min(today, spec.valid_to or today)
    while day <= last:
        terms = spec.terms_on(day)
        params: RecurringParams = terms.params
        if terms.removed or params.period is None:
            break
        start, end = clip(period_of(day, str(params.period)), spec.valid_from, spec.valid_to)
        first = next((m for m, d in zip(moments, days) if start <= d < end), None)
        inst, next_at = _period_instance(period_label(period_of(day, str(params.period))[0], str(params.period)),
                                         start, end, first, params, today, as_of, tz, texts)
        instances.append(inst)
        next_checks.append(next_at)
        day = end
    summary = sentence(*tally_parts(
        texts, spec, instances, none=gettext_noop("No period has begun yet"),
        counted=lambda n: texts.ngettext("%(kept)s of %(n)s period had one", "%(kept)s of %(n)s periods had one", n),
        failed=lambda n: texts.ngettext("%(keys)s had none", "%(keys)s had none", n)))
    return make_result(spec, instances, summary, next_check_at=earliest(next_checks, as_of))


def _period_instance(key: str, start: dt.date, end: dt.date, first, params: RecurringParams, today: dt.date,
                     as_of: dt.datetime, tz: str, texts: Texts) -> tuple[InstanceResult, dt.datetime | None]:
    due = end - DAY
    values = {"from": texts.date(start), "to": texts.date(due), "done": texts.moment(first) if first else ""}
    if first is not None:
        return InstanceResult(key, InstanceStatus.KEPT, due, first, 0, None, [], texts.say(
            gettext_noop("%(from)s to %(to)s: came %(done)s."), values)), None
    if today >= end:
        return InstanceResult(key, InstanceStatus.BROKEN, due, None, 0, None, [], texts.say(
            gettext_noop("%(from)s to %(to)s: none came."), values)), None
    warn_from = None if params.warn_before is None else start_of_day(due, tz) - params.warn_before
    at_risk = warn_from is not None and as_of >= warn_from
    inst = InstanceResult(key, InstanceStatus.OPEN, due, None, None, Health.AT_RISK if at_risk else Health.ON_TRACK, [],
                          texts.say(gettext_noop("%(from)s to %(to)s: none yet."), values))
    return inst, start_of_day(end, tz) if at_risk or warn_from is None else warn_from


__all__ = ["Recurring", "RecurringParams", "matching_events", "warning_start_expr"]
