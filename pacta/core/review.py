"""What the reviews share (coverage, the top-customers audit, profitability):
a commitment's terms now, the period under review, the events of a period as
a polars frame, revenue per party, and verdicts computed in memory.

Rules written down here once:

- **Terms now**: a commitment's terms of its latest version (what is agreed
  today); commitments whose stored parameters no longer validate have none.
- **Period**: days, both ends included. Without one, the twelve months up to
  the local date of *as of* (e.g. as of 6 May 1998: 7 May 1997 – 6 May 1998).
- **Events of a period**: an event belongs to the day of its `at` in UTC (a
  date-only fact is stored at that date's 00:00 UTC, so it keeps its date).
- **Revenue**: what we invoiced the party in the period — the `amount` of its
  `invoice` events (freight lines included) minus its `credit_note` events
  that are not rebate payouts (rebate payouts, `ref` starting with
  `rebate`, are money lost to a promise, counted there). Per currency: pacta
  never converts currencies.
- **Verdicts in memory**: the engine run on the stored commitments and events
  as of a moment without storing anything (`pacta.core.engine.evaluate`), so
  that a review "as of" another moment leaves the cached verdicts alone.
  Draft agreements bind nobody and are not judged.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.db import connection
from django.db.models import Prefetch

from pacta.core.commitments import REGISTRY, validate_params
from pacta.core.commitments.base import EVENT_SCHEMA, Params, Result
from pacta.core.models import Agreement, Commitment, CommitmentTerms
from pacta.lib.dates import local_date

ZERO = Decimal(0)
PER_YEAR = {"year": Decimal(1), "quarter": Decimal(4), "month": Decimal(12), "week": Decimal(52)}
REBATE_PAYOUT_PREFIX = "rebate"


# ---------------------------------------------------------------------------
# terms now


def with_terms(queryset):
    """Commitments with their terms (oldest version first) prefetched, for `terms_now`."""
    return queryset.prefetch_related(
        Prefetch("terms", queryset=CommitmentTerms.objects.select_related("version").order_by("version__number"),
                 to_attr="terms_in_order")
    )


def terms_now(commitment: Commitment) -> CommitmentTerms | None:
    """The terms of the latest version (prefetched by `with_terms`, else one query)."""
    terms = getattr(commitment, "terms_in_order", None)
    if terms is None:
        return commitment.current_terms()
    return terms[-1] if terms else None


def params_now(commitment: Commitment) -> Params | None:
    """The validated parameters of the terms now, or None (unknown type, invalid or no terms)."""
    terms = terms_now(commitment)
    if terms is None or commitment.type not in REGISTRY:
        return None
    params, problems = validate_params(commitment.type, terms.params)
    return None if problems else params


def title_now(commitment: Commitment) -> str:
    terms = terms_now(commitment)
    return terms.title if terms is not None else commitment.key


def products_now(commitment: Commitment) -> tuple[str, ...]:
    """The products the terms name; empty: every product."""
    terms = terms_now(commitment)
    return tuple(str(p) for p in (terms.products if terms is not None else ()) or ())


def validity(commitment: Commitment) -> tuple[dt.date, dt.date | None]:
    """First and last day the commitment applies (its terms' dates, else the agreement's)."""
    terms = terms_now(commitment)
    agreement = commitment.agreement
    first = (terms.valid_from if terms is not None else None) or agreement.valid_from
    last = (terms.valid_to if terms is not None else None) or agreement.valid_to
    return first, last


# ---------------------------------------------------------------------------
# the period under review


@dataclass(frozen=True)
class Window:
    """Days `start`..`end`, both included."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, first: dt.date | None, last: dt.date | None) -> bool:
        return (first is None or first <= self.end) and (last is None or last >= self.start)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def to_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def window(start: dt.date | None, end: dt.date | None, as_of: dt.datetime, tz: str = "UTC") -> Window:
    """The period under review; missing ends default to the twelve months up to *as of*'s local date."""
    end = end or local_date(as_of, False, tz)
    if start is None:
        try:
            start = end.replace(year=end.year - 1) + dt.timedelta(days=1)
        except ValueError:  # 29 February
            start = end.replace(year=end.year - 1, day=28) + dt.timedelta(days=1)
    if start > end:
        raise ValueError("the period's start is after its end")
    return Window(start, end)


# ---------------------------------------------------------------------------
# events of a period


def period_events(period: Window, *, kinds: Iterable[str] | None = None,
                  parties: Iterable[str] | None = None) -> pl.DataFrame:
    """The stored events of the period (days in UTC) as an EVENT_SCHEMA frame,
    optionally only of some kinds and parties (codes)."""
    from pacta.core.evaluation import select_events

    ops = connection.ops
    utc = dt.timezone.utc
    where = ["e.at >= %s", "e.at < %s"]
    params: list = [
        ops.adapt_datetimefield_value(dt.datetime.combine(period.start, dt.time(0), utc)),
        ops.adapt_datetimefield_value(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(0), utc)),
    ]
    for column, values in (("e.kind", kinds), ("p.code", parties)):
        if values is None:
            continue
        values = sorted(set(values))
        if not values:
            return pl.DataFrame(schema=EVENT_SCHEMA)
        where.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
        params += values
    return select_events(" AND ".join(where), params)


def _line_amount() -> pl.Expr:
    """An event's money: its amount, else quantity x unit price x (1 - discount)."""
    computed = pl.col("quantity") * pl.col("unit_price") * (pl.lit(1) - pl.col("discount").fill_null(0))
    return pl.coalesce(pl.col("amount"), computed).fill_null(0)


def revenue_by_party(period: Window, parties: Iterable[str] | None = None) -> dict[str, dict[str, Decimal]]:
    """{party code: {currency: revenue}} of the period (see the module docstring)."""
    frame = period_events(period, kinds=("invoice", "credit_note"), parties=parties)
    if frame.is_empty():
        return {}
    payout = (pl.col("kind") == "credit_note") & pl.col("ref").fill_null("").str.to_lowercase().str.starts_with(
        REBATE_PAYOUT_PREFIX)
    signed = pl.when(pl.col("kind") == "credit_note").then(-_line_amount()).otherwise(_line_amount())
    sums = (frame.filter(~payout).with_columns(signed.alias("signed"), pl.col("currency").fill_null(""))
            .group_by("party", "currency").agg(pl.col("signed").sum()))
    revenue: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for party, currency, total in sums.iter_rows():
        revenue[party][currency] = Decimal(total)
    return dict(revenue)


def discounts_by_party(period: Window, parties: Iterable[str] | None = None) -> dict[str, dict[str, Decimal]]:
    """{party code: {currency: Σ (list price x quantity − amount)}} of the period's invoice lines that carry a
    list price: what was given away against the list."""
    frame = period_events(period, kinds=("invoice",), parties=parties)
    frame = frame.filter(pl.col("list_price").is_not_null() & pl.col("quantity").is_not_null())
    if frame.is_empty():
        return {}
    given = (pl.col("list_price") * pl.col("quantity") - _line_amount()).alias("given")
    sums = (frame.with_columns(given, pl.col("currency").fill_null(""))
            .group_by("party", "currency").agg(pl.col("given").sum()))
    result: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for party, currency, total in sums.iter_rows():
        result[party][currency] = Decimal(total)
    return dict(result)


# ---------------------------------------------------------------------------
# verdicts in memory


def verdicts(commitments: Iterable[Commitment], as_of: dt.datetime) -> dict[int, Result]:
    """{commitment pk: Result} as of `as_of`, computed without storing anything.

    Commitments of drafts, of unknown types or with invalid terms get none.
    """
    from pacta.core.engine import evaluate
    from pacta.core.evaluation import events_frame, specs_from_db

    judged = {(c.agreement.reference, c.key): c for c in commitments
              if c.agreement.status != Agreement.Status.DRAFT}
    specs = specs_from_db(judged.values())
    if not specs:
        return {}
    results = evaluate(specs, events_frame({s.party for s in specs}, as_of), as_of)
    return {judged[s.agreement, s.commitment].pk: r for s, r in zip(specs, results, strict=True)}
