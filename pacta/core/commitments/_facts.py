"""Set-based building blocks of the event-driven types (deliveries, notices,
tickets, recurring events, deadlines).

Like `_scope.scoped_events`, `facts` pairs each event with every commitment of
its party that reads it, keeps what is known *as of* and gives each row the
commitment's local `day`; it keeps every event column (due dates, force
majeure, source) and names each row's role-independent `fact` ("order" for an
`order` on a customer agreement and for a `purchase_order` on a supplier
agreement). The remaining helpers turn frame values back into the moments,
texts and money of results.

Shared rules (the engine's docs repeat them):

- A timestamped event is known once `at` <= *as of*; a date-only event of day D
  once the local date of *as of* is D or later.
- Events before the commitment's `valid_from` are ignored; `valid` is false for
  events after its `valid_to` (they start no instance, but may still fulfil one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext_noop, ngettext

from pacta.lib.dates import (
    DAY,
    UTC,
    days_late_expr,
    end_of_day,
    is_after_expr,
    is_date,
    local_date_expr,
    localize_expr,
    shift_date_for_pauses,
    shift_instant_for_pauses,
    start_of_day,
    tzinfo,
)
from pacta.lib.periods import period_label, period_of, period_start_expr

from ._explain import Figures
from ._scope import attach_terms, spec_table
from .base import UTC_DATETIME, InstanceStatus, Period, Result, Spec

Moment = dt.date | dt.datetime
EPSILON = dt.timedelta(microseconds=1)


class SetBased:
    """Mixin of the types that judge all their commitments together: `evaluate`
    is `evaluate_many` of one."""

    def evaluate(self, spec: Spec, events: pl.DataFrame, as_of: dt.datetime) -> Result:
        return self.evaluate_many([spec], events, as_of)[0]


def by_zone(zones: Iterable[str], make: Callable[[str], pl.Expr], column: str = "tz") -> pl.Expr:
    """One expression over rows of several time zones (or countries): `make(zone)`
    for the rows whose `column` is that zone. Polars needs a constant zone per
    conversion; agreements use few zones, so the chain stays short."""
    zones = sorted(set(zones))
    if len(zones) == 1:
        return make(zones[0])
    chain = pl.when(pl.col(column) == zones[0]).then(make(zones[0]))
    for zone in zones[1:]:
        chain = chain.when(pl.col(column) == zone).then(make(zone))
    return chain


def facts(specs: Sequence[Spec], events: pl.DataFrame, as_of: dt.datetime,
          kinds: Callable[[Spec], dict[str, str]]) -> pl.DataFrame:
    """Events read by each commitment: one row per (commitment `spec`, event of
    its party whose kind is a key of `kinds(spec)`), with `fact` = the value for
    that kind, the commitment's `tz`, `country`, `role`, `as_of_day`, the local
    `day` of the event and the flag `valid` (not after `valid_to`)."""
    table = spec_table(specs, as_of).with_columns(pl.Series("country", [s.country for s in specs], pl.Utf8))
    wanted = pl.DataFrame(
        [(index, kind, fact) for index, spec in enumerate(specs) for kind, fact in kinds(spec).items()],
        schema={"spec": pl.Int64, "kind": pl.Utf8, "fact": pl.Utf8}, orient="row",
    ).join(table, on="spec")
    moment = pl.lit(as_of).cast(UTC_DATETIME)
    return (
        events.lazy()
        .join(wanted.lazy(), on=["party", "kind"], how="inner")
        .with_columns(by_zone(table["tz"], local_date_expr).alias("day"))
        .filter(
            pl.when(pl.col("date_only")).then(pl.col("day") <= pl.col("as_of_day")).otherwise(pl.col("at") <= moment),
            pl.col("day") >= pl.col("valid_from"),
        )
        .with_columns((pl.col("valid_to").is_null() | (pl.col("day") <= pl.col("valid_to"))).alias("valid"))
        .collect()
    )


def local_day_of(at: str, zones: Iterable[str]) -> pl.Expr:
    """The local date of an instant column, per row's `tz`."""
    return by_zone(zones, lambda tz: pl.col(at).dt.convert_time_zone(tz).dt.date())


def add_local_days(at: pl.Expr, days: pl.Expr, zones: Iterable[str]) -> pl.Expr:
    """Instants moved by whole days on each row's local clock (DST-correct)."""
    return by_zone(zones, lambda tz: localize_expr(
        at.dt.convert_time_zone(tz).dt.replace_time_zone(None) + pl.duration(days=days), tz))


def midnight_expr(day: pl.Expr, zones: Iterable[str]) -> pl.Expr:
    """The first instant (UTC) of each local day, per row's `tz`."""
    return by_zone(zones, lambda tz: localize_expr(day.cast(pl.Datetime("us")), tz))


def span_exprs(zones: Iterable[str], at: str = "at", date_only: str = "date_only", day: str = "day"
               ) -> tuple[pl.Expr, pl.Expr]:
    """(earliest, latest) instant a fact may have happened: its `at`, or the
    whole local day of a date-only fact. Judging a fact by the end that favours
    whoever had to act gives them the benefit of the doubt."""
    first = midnight_expr(pl.col(day), zones)
    last = midnight_expr(pl.col(day) + pl.duration(days=1), zones) - pl.duration(microseconds=1)
    return (pl.when(pl.col(date_only)).then(first).otherwise(pl.col(at)),
            pl.when(pl.col(date_only)).then(last).otherwise(pl.col(at)))


FIRST = ["at", "date_only", "source", "id"]  # a deterministic order of facts, whatever the row order


def deliveries(scoped: pl.DataFrame, terms: pl.DataFrame) -> pl.DataFrame:
    """One row per delivery (the `delivery` facts of one `ref` at one moment),
    judged by the terms in force on its day, for the commitment's products
    (rows without a product count: they deliver the whole order), within validity.

    `key`: the ref for its first delivery, "ref#2" for the second and so on;
    the event id for a delivery without ref. `lo`/`hi`: its span (`span_exprs`).
    """
    term_columns = [c for c in terms.columns if c not in ("spec", "effective_from", "products", "removed")]
    by_product = bool(terms["products"].list.len().max())  # any commitment limited to products?
    products = [pl.col("product").drop_nulls().unique().alias("row_products"),
                pl.col("product").is_null().any().alias("whole_order")] if by_product else []
    found = (
        scoped.filter(pl.col("fact") == "delivery")
        .with_columns(pl.when(pl.col("ref").is_null()).then(pl.concat_str(["source", "id"], separator="\x00"))
                      .otherwise(pl.col("ref")).alias("group"))
        .group_by("spec", "group", "at", "date_only")
        .agg(pl.coalesce("ref", "id").first().alias("base"),
             pl.col("ref", "day", "tz", "country", "role", "as_of_day", "valid").first(), *products)
        .sort("spec", "group", "at", "date_only")
        .with_columns(pl.int_range(1, pl.len() + 1).over("spec", "group").alias("n"))
        .with_columns(pl.when(pl.col("n") == 1).then(pl.col("base"))
                      .otherwise(pl.concat_str([pl.col("base"), pl.lit("#"), pl.col("n").cast(pl.Utf8)])).alias("key"))
    )
    found = attach_terms(found, terms).filter(~pl.col("removed"), pl.col("valid"))
    if by_product:
        found = found.filter(pl.col("whole_order") | (pl.col("products").list.len() == 0)
                             | (pl.col("row_products").list.set_intersection(pl.col("products")).list.len() > 0))
    zones = scoped["tz"].unique().to_list() or ["UTC"]
    lo, hi = span_exprs(zones)
    return (
        found.select("spec", "key", "ref", "at", "date_only", "day", "tz", "country", "role", "as_of_day", *term_columns)
        .with_columns(lo.alias("lo"), hi.alias("hi"))
        .sort("spec", "at", "key")
    )


# ---------------------------------------------------------------------------
# From frame values to result values


def passes_at(deadline: Moment, tz: str) -> dt.datetime:
    """The first instant at which an inclusive deadline has passed."""
    if is_date(deadline):
        return start_of_day(deadline + DAY, tz)
    return deadline.astimezone(UTC) + EPSILON


def next_days_late_change(due: Moment, days: int, as_of: dt.datetime, tz: str, *, started: bool = False) -> dt.datetime:
    """When an overdue instance's days late next grows (the next local midnight
    for a date deadline; the next 24-hour mark after an instant)."""
    if is_date(due):
        return start_of_day(as_of.astimezone(tzinfo(tz)).date() + DAY, tz)
    due = due.astimezone(UTC)  # real 24-hour periods, not the wall clock
    if started:
        return due + days * DAY + EPSILON
    return due + (days + 1) * DAY


def local_moments(frame: pl.DataFrame, at: str, day: str, whole_day: str) -> list[Moment | None]:
    """Result moments of a column triple (instant, local date, is-a-day), row by row:
    the local date for whole days, the instant in the row's `tz` otherwise."""
    zones = frame["tz"].unique().to_list()
    if len(zones) == 1:
        instants = frame[at].dt.convert_time_zone(zones[0]).to_list()
    else:
        instants = [a and a.astimezone(tzinfo(z)) for a, z in zip(frame[at].to_list(), frame["tz"].to_list())]
    return [d if w else a for a, d, w in zip(instants, frame[day].to_list(), frame[whole_day].to_list())]


def midnight_after_expr(day: pl.Expr, zones: Iterable[str]) -> pl.Expr:
    """The first instant (UTC) of the local day after `day`, per row's `tz`."""
    return midnight_expr(day + pl.duration(days=1), zones)


def passes_at_expr(at: str, day: str, whole_day: str, zones: Iterable[str]) -> pl.Expr:
    """Polars twin of `passes_at`: when an inclusive deadline given as columns has passed."""
    return (pl.when(pl.col(whole_day)).then(midnight_after_expr(pl.col(day), zones))
            .otherwise(pl.col(at) + pl.duration(microseconds=1)))


def next_days_late_change_expr(due_at: str, due_is_date: str, days: str, started: pl.Expr,
                               zones: Iterable[str]) -> pl.Expr:
    """Polars twin of `next_days_late_change` for overdue rows (needs `as_of_day`)."""
    whole = pl.duration(days=pl.col(days))
    by_time = (pl.when(started).then(pl.col(due_at) + whole + pl.duration(microseconds=1))
               .otherwise(pl.col(due_at) + whole + pl.duration(days=1)))
    return pl.when(pl.col(due_is_date)).then(midnight_after_expr(pl.col("as_of_day"), zones)).otherwise(by_time)


def distinct_days(frame: pl.DataFrame, *columns: str) -> list[dt.date]:
    """The different dates found in the date `columns` of `frame` (to format each once)."""
    return pl.concat([frame[c] for c in columns]).drop_nulls().unique().to_list()


def earliest(moments: Iterable[dt.datetime | None], after: dt.datetime) -> dt.datetime | None:
    """The earliest of `moments` later than `after` (None if none)."""
    later = [m for m in moments if m is not None and m > after]
    return min(later) if later else None


def waived_keys(spec: Spec, keys: Iterable[str]) -> set[str]:
    return spec.waivers.intersection(keys) if spec.waivers else set()


# ---------------------------------------------------------------------------
# Pauses


def pauses_before(pauses: Sequence[tuple], done: Moment | None, tz: str) -> tuple:
    """The pauses that can move a deadline: all while it is not met, else those
    that began before it was met (a pause declared afterwards changes nothing)."""
    if done is None:
        return tuple(pauses)
    limit = end_of_day(done, tz) if is_date(done) else done
    return tuple(p for p in pauses if p[0] < limit)


def push_for_pauses(specs: Sequence[Spec], frame: pl.DataFrame, start: str,
                    shift: Callable[..., dt.datetime | None] | None = None, extra: str | None = None) -> pl.DataFrame:
    """`frame` with each deadline (`due_at`/`due_day`/`due_is_date`) pushed by the
    pauses of its agreement that began before it was met (`done_*`), the clock
    running from the instant column `start`; adds `suspended` (a running pause
    holds it). Paused agreements are few: their rows are done one by one.

    An instant deadline moves by the real paused time, unless `shift(spec,
    start, due, pauses, value of column extra)` says otherwise."""
    frame = frame.with_columns(pl.lit(False).alias("suspended"))
    paused = [i for i, s in enumerate(specs) if s.pauses]
    if not paused or frame.is_empty():
        return frame
    frame = frame.with_row_index("_row")
    rows = []
    picked = frame.filter(pl.col("spec").is_in(paused) & pl.col("due_day").is_not_null())
    dones = local_moments(picked, "done_at", "done_day", "done_date_only")
    values = picked.select("_row", "spec", start, "due_at", "due_day", "due_is_date",
                           pl.col(extra) if extra else pl.lit(None).alias("_extra"))
    for done, (row, spec_i, begin, due_at, due_day, due_is_date, more) in zip(dones, values.iter_rows()):
        spec = specs[spec_i]
        pauses = pauses_before(spec.pauses, done, spec.timezone)
        if due_is_date:
            day = shift_date_for_pauses(begin, due_day, pauses, spec.timezone)
            rows.append((row, day, None, day is None))
        else:
            at = (shift(spec, begin, due_at, pauses, more) if shift else shift_instant_for_pauses(begin, due_at, pauses))
            rows.append((row, at and at.astimezone(tzinfo(spec.timezone)).date(), at, at is None))
    pushed = pl.DataFrame(rows, schema={"_row": pl.UInt32, "new_day": pl.Date, "new_at": UTC_DATETIME,
                                        "held": pl.Boolean}, orient="row")
    keep = pl.col("held").is_null() | pl.col("held")
    return (
        frame.join(pushed, on="_row", how="left", maintain_order="left")
        .with_columns(pl.when(keep).then(pl.col("due_day")).otherwise(pl.col("new_day")).alias("due_day"),
                      pl.when(keep).then(pl.col("due_at")).otherwise(pl.col("new_at")).alias("due_at"),
                      pl.col("held").fill_null(False).alias("suspended"))
        .drop("_row", "new_day", "new_at", "held")
    )


# ---------------------------------------------------------------------------
# Verdicts


def judge(frame: pl.DataFrame, as_of: dt.datetime, *, without_deadline: pl.Expr | None = None,
          limit: tuple[str, str] = ("due_at", "due_day"), partial: pl.Expr | None = None) -> pl.DataFrame:
    """`frame` with `status` and `days_late`, for rows with a deadline and maybe a fulfilment.

    Columns read: the deadline `due_at`/`due_day`/`due_is_date` (instant,
    local day, whether it is a whole day), the fulfilment
    `done_at`/`done_day`/`done_date_only` (null: not done) and `as_of_day`.
    `limit` names the instant and day columns that decide lateness (the due
    date plus grace days, say); days late always count from the due date
    (`pacta.lib.dates.days_late`, started days whole with `partial`). Rows
    where `without_deadline` holds are `kept` once done, else `open`.
    """
    now = pl.lit(as_of).cast(UTC_DATETIME)
    due = [pl.col("due_at"), pl.col("due_day"), pl.col("due_is_date")]
    done = [pl.col("done_at"), pl.col("done_day"), pl.col("done_date_only")]
    limit_at, limit_day = pl.col(limit[0]), pl.col(limit[1])
    is_done = pl.col("done_at").is_not_null()
    late = is_after_expr(*done, limit_at, limit_day, pl.col("due_is_date"))
    passed = pl.when(pl.col("due_is_date")).then(pl.col("as_of_day") > limit_day).otherwise(now > limit_at)
    status = (
        pl.when(is_done & late).then(pl.lit("kept_late"))
        .when(is_done).then(pl.lit("kept"))
        .when(passed).then(pl.lit("overdue"))
        .otherwise(pl.lit("open"))
    )
    if without_deadline is not None:
        status = (pl.when(without_deadline).then(pl.when(is_done).then(pl.lit("kept")).otherwise(pl.lit("open")))
                  .otherwise(status))
    partial = pl.lit(False) if partial is None else partial
    frame = frame.with_columns(status.alias("status"))
    return frame.with_columns(
        pl.when(pl.col("status") == "kept_late").then(days_late_expr(*due, *done, partial))
        .when(pl.col("status") == "overdue").then(days_late_expr(*due, now, pl.col("as_of_day"), pl.lit(False), partial))
        .when(pl.col("status") == "kept").then(0)
        .alias("days_late"),
    )


# ---------------------------------------------------------------------------
# Target rates per period


def period_counts(specs: Sequence[Spec], instances: pl.DataFrame, day: pl.Expr, key: str,
                  period: Callable[[Spec], str]) -> pl.DataFrame:
    """Per (commitment `spec`, `start` of a calendar period of `day`): instances
    `judged` (kept, kept late or overdue), `on_time` (kept) and still `open`.
    Waived instances (by `key`) are left out. `period(spec)` names each
    commitment's period (year, quarter, month, week)."""
    waived = pl.DataFrame([(i, k) for i, s in enumerate(specs) for k in s.waivers],
                          schema={"spec": pl.Int64, key: pl.Utf8}, orient="row")
    periods = pl.DataFrame({"spec": range(len(specs)), "period": [period(s) for s in specs]},
                           schema={"spec": pl.Int64, "period": pl.Utf8})
    start = by_zone([str(p) for p in Period], lambda p: period_start_expr(day, p), column="period")
    status = pl.col("status")
    return (
        instances.join(waived, on=["spec", key], how="anti")
        .join(periods, on="spec")
        .with_columns(start.alias("start"))
        .filter(pl.col("start").is_not_null())
        .group_by("spec", "period", "start")
        .agg(status.is_in(["kept", "kept_late", "overdue"]).sum().alias("judged"),
             (status == "kept").sum().alias("on_time"), (status == "open").sum().alias("open"))
        .sort("spec", "start")
    )


def period_rates(specs: Sequence[Spec], counts: pl.DataFrame) -> dict[int, list[dict]]:
    """`period_counts` as figures per commitment, for charts and summaries:
    period label, start, judged, on time, open, `rate` (percent, exact; None
    when nothing was judged) and the `target_rate` in force on its first day."""
    rates: dict[int, list[dict]] = {}
    for index, period, start, judged, on_time, open_ in counts.iter_rows():
        rates.setdefault(index, []).append({
            "period": period_label(start, period), "start": start, "judged": judged, "on_time": on_time,
            "open": open_, "rate": Decimal(on_time * 100) / judged if judged else None,
            "target": getattr(specs[index].terms_on(start).params, "target_rate", None),
        })
    return rates


def target_clause(periods: list[dict], texts: Texts) -> str:
    """The latest judged period's on-time share against its target ("" without a target)."""
    judged = [p for p in periods if p["rate"] is not None]
    if not judged or judged[-1]["target"] is None:
        return ""
    last = judged[-1]
    values = {"period": last["period"], "rate": texts.number(last["rate"]), "target": texts.number(last["target"])}
    if last["rate"] < last["target"]:
        return texts.say(gettext_noop("%(period)s: %(rate)s%% on time, below the target of %(target)s%%"), values)
    return texts.say(gettext_noop("%(period)s: %(rate)s%% on time, target %(target)s%%"), values)


def target_period_end(spec: Spec, as_of: dt.datetime) -> dt.datetime | None:
    """When the target period running at `as_of` ends (None without a target)."""
    params = spec.terms.params
    if getattr(params, "target_rate", None) is None:
        return None
    _, end = period_of(as_of.astimezone(tzinfo(spec.timezone)).date(), str(params.period))
    return start_of_day(end, spec.timezone)


# ---------------------------------------------------------------------------
# Texts


class Texts(Figures):
    """Figures plus the moments, durations and lists of explanation sentences.

    One Texts serves one evaluation batch in one language. Like `say`, its
    `ngettext` translates each message once per batch (Django's costs
    microseconds per call, and a batch explains hundreds of thousands of
    instances); call it like the module function so that makemessages finds it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._plurals: dict[tuple, str] = {}

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        key = (singular, plural, n)
        found = self._plurals.get(key)
        if found is None:
            found = self._plurals[key] = ngettext(singular, plural, n)
        return found

    def moment(self, value: Moment) -> str:
        """"March 3, 2025" for a whole day, "March 3, 2025 14:00" (local time) for an instant."""
        if is_date(value):
            return self.date(value)
        return "%s %s" % (self.date(value.date()), value.strftime("%H:%M"))

    def moment_expr(self, formatted: dict[dt.date, str], at: str, day: str, whole_day: str,
                    zones: Iterable[str]) -> pl.Expr:
        """Polars twin of `moment` for a moment given as columns (instant, local date, is-a-day);
        `formatted` holds every local date (see `dates`)."""
        date = self.date_expr(pl.col(day), formatted)
        time = by_zone(zones, lambda tz: pl.col(at).dt.convert_time_zone(tz).dt.strftime("%H:%M"))
        return pl.when(pl.col(whole_day)).then(date).otherwise(pl.concat_str([date, pl.lit(" "), time]))

    def duration(self, value: dt.timedelta) -> str:
        """"1 hour", "24 hours", "14 days", "1 hour 30 minutes"."""
        days, seconds = value.days, value.seconds
        if days and not seconds:
            return self.ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
        hours, minutes = divmod(seconds // 60, 60)
        hours += days * 24
        parts = []
        if hours:
            parts.append(self.ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours})
        if minutes or not parts:
            parts.append(self.ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes})
        return " ".join(parts)

    def keys(self, keys: Sequence[str], limit: int = 3) -> str:
        """"10643", "10643 and 10650", "10643, 10650, 10700 and 2 more"."""
        keys = list(keys)
        if len(keys) == 1:
            return keys[0]
        if len(keys) <= limit:
            return self.say(gettext_noop("%(first)s and %(last)s"), {"first": ", ".join(keys[:-1]), "last": keys[-1]})
        return self.ngettext("%(first)s and %(n)s more", "%(first)s and %(n)s more", len(keys) - limit) % {
            "first": ", ".join(keys[:limit]), "n": len(keys) - limit}


def sentence(*parts: str) -> str:
    """Clauses joined into one sentence: "a; b; c."."""
    text = "; ".join(p for p in parts if p)
    return text + "." if text and not text.endswith(".") else text


def tally(texts: Texts, spec: Spec, instances: list, *, none: str, counted: Callable[[int], str],
          failed: Callable[[int], str], bad: frozenset = frozenset({InstanceStatus.BROKEN})) -> str:
    """The summary of a commitment whose instances are simply kept or not:
    "11 of 12 deliveries were announced; 10643 was not; 1 waived.".

    `none`: the sentence when there is no instance yet (marked with
    gettext_noop); `counted(n)` and `failed(n)`: the translated plural
    templates with %(kept)s/%(n)s and %(keys)s (ngettext calls); `bad`: the
    statuses that count as not kept. Open instances are not counted.
    """
    return sentence(*tally_parts(texts, spec, instances, none=none, counted=counted, failed=failed, bad=bad))


def tally_parts(texts: Texts, spec: Spec, instances: list, *, none: str, counted: Callable[[int], str],
                failed: Callable[[int], str], bad: frozenset = frozenset({InstanceStatus.BROKEN})) -> list[str]:
    """The clauses of `tally`, for a summary that adds its own."""
    waived = waived_keys(spec, (i.key for i in instances))
    judged = [i for i in instances if i.key not in waived and i.status != InstanceStatus.OPEN]
    misses = [i.key for i in judged if i.status in bad]
    parts = []
    if not instances:
        parts.append(texts.say(none))
    if judged:
        parts.append(counted(len(judged)) % {"kept": len(judged) - len(misses), "n": len(judged)})
    if misses:
        parts.append(failed(len(misses)) % {"keys": texts.keys(misses)})
    if waived:
        parts.append(texts.ngettext("%(n)s waived", "%(n)s waived", len(waived)) % {"n": len(waived)})
    return parts


__all__ = [
    "EPSILON",
    "FIRST",
    "SetBased",
    "Texts",
    "add_local_days",
    "by_zone",
    "deliveries",
    "distinct_days",
    "earliest",
    "facts",
    "judge",
    "local_day_of",
    "local_moments",
    "midnight_after_expr",
    "midnight_expr",
    "next_days_late_change",
    "next_days_late_change_expr",
    "passes_at",
    "passes_at_expr",
    "pauses_before",
    "period_counts",
    "period_rates",
    "push_for_pauses",
    "sentence",
    "span_exprs",
    "tally",
    "tally_parts",
    "target_clause",
    "target_period_end",
    "waived_keys",
]
