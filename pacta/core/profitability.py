"""Profitability of special agreements: is this promise still feasible and profitable?

`profitability(start, end, as_of)` gives, per promise of a customer agreement
in force, suspended or ended whose validity overlaps the period (drafts bind
nobody yet and are left out):

- **Cost of keeping it** = occurrences x cost per occurrence. Cost per
  occurrence = the promise's `cost per occurrence` (money, in the agreement's
  currency) + its `hours per occurrence` x the hourly rate (setting
  `PACTA_HOURLY_RATE`, in the agreement's currency). A promise with neither
  has an unknown cost (shown as such, never as zero).
- **Occurrences** in the part of the period where the promise applies:

  | type | one occurrence is |
  |---|---|
  | on_time_delivery, notice_before_delivery, delivery_window | a `delivery` |
  | agreed_price | an invoice line of its products |
  | payment_term | an invoice (distinct `ref`) |
  | response_time | a `ticket_opened` |
  | volume_commitment, volume_rebate, conditional_price | a period that ends (the review or rebate run at its end) |
  | recurring | each time it falls due: one per `every` (whole ones), or one per period that ends |
  | deadline | its due date |

  Event-driven work is counted from the events; calendar-driven work from the
  calendar, because keeping it costs the same whether or not anybody
  recorded it.
- **What it brings**: the party's revenue in the period (pacta.core.review:
  what we invoiced, minus credit notes that are not rebate payouts), in the
  agreement's currency. Northwind (and most event feeds) carry no cost
  price, so the **margin is an estimate**: revenue x `PACTA_MARGIN_PERCENT`
  / 100, said so wherever it is shown. The **discount given** — Σ (list price
  x quantity − amount) over the party's invoice lines that carry a list
  price — is a measured figure beside it.
- **Money lost to it**: the money of its verdicts (as of the period's last
  moment, or *as of* when earlier) on instances due in the period that we
  pay (penalties, rebates, interest, service credits, refunds of
  overcharges), accrued, due or paid; money owed to us (price corrections,
  shortfall fees) is shown beside it.
- **Flag**: when cost of keeping + money lost exceeds
  `PACTA_COST_SHARE_LIMIT` percent of the estimated margin ("is this special
  agreement still feasible and profitable?"). A promise with an unknown cost
  and no money lost is never flagged.

Every figure is exact and rounded half-up to the currency's minor unit only
when shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl
from django.conf import settings
from django.utils.translation import gettext_lazy

from pacta.core.models import Agreement, Commitment
from pacta.core.review import (
    ZERO,
    Window,
    discounts_by_party,
    params_now,
    period_events,
    products_now,
    revenue_by_party,
    title_now,
    validity,
    verdicts,
    window,
    with_terms,
)
from pacta.lib.dates import end_of_day
from pacta.lib.money import round_money
from pacta.lib.periods import periods_between

DEFAULT_HOURLY_RATE = Decimal("50")
DEFAULT_MARGIN_PERCENT = Decimal("20")
DEFAULT_COST_SHARE_LIMIT = Decimal("10")

DELIVERY_TYPES = ("on_time_delivery", "notice_before_delivery", "delivery_window")
PERIOD_TYPES = ("volume_commitment", "volume_rebate", "conditional_price")
LOST_STATES = ("accrued", "due", "paid")

OCCURRENCE_WORDS = {
    "delivery": gettext_lazy("deliveries"),
    "invoice_line": gettext_lazy("invoice lines"),
    "invoice": gettext_lazy("invoices"),
    "ticket": gettext_lazy("tickets"),
    "period": gettext_lazy("periods"),
    "due": gettext_lazy("times due"),
}


def _setting(name: str, default: Decimal) -> Decimal:
    return Decimal(str(getattr(settings, name, default)))


def hourly_rate() -> Decimal:
    return _setting("PACTA_HOURLY_RATE", DEFAULT_HOURLY_RATE)


def margin_percent() -> Decimal:
    return _setting("PACTA_MARGIN_PERCENT", DEFAULT_MARGIN_PERCENT)


def cost_share_limit() -> Decimal:
    return _setting("PACTA_COST_SHARE_LIMIT", DEFAULT_COST_SHARE_LIMIT)


@dataclass
class ProfitRow:
    """One promise's figures (exact Decimals, in `currency`)."""

    commitment: Commitment
    currency: str
    occurrences: int
    unit: str  # what one occurrence is (OCCURRENCE_WORDS)
    cost_each: Decimal | None
    revenue: Decimal
    margin: Decimal
    discount_given: Decimal
    lost: Decimal
    owed_to_us: Decimal
    limit: Decimal = field(default=ZERO)

    @property
    def cost(self) -> Decimal | None:
        return None if self.cost_each is None else self.cost_each * self.occurrences

    @property
    def total_cost(self) -> Decimal:
        return (self.cost or ZERO) + self.lost

    @property
    def share_of_margin(self) -> Decimal | None:
        """Cost of keeping it plus money lost, in percent of the estimated margin (None: unknown)."""
        if self.margin <= 0 or (self.cost is None and self.lost == 0):
            return None
        return self.total_cost * 100 / self.margin

    @property
    def flagged(self) -> bool:
        if self.cost is None and self.lost == 0:
            return False
        if self.margin <= 0:
            return self.total_cost > 0
        return self.total_cost > self.margin * self.limit / 100

    @property
    def title(self) -> str:
        return title_now(self.commitment)

    @property
    def unit_word(self) -> str:
        return str(OCCURRENCE_WORDS[self.unit])

    def rounded(self, value: Decimal | None) -> Decimal | None:
        return None if value is None else round_money(value, self.currency)

    def to_json(self) -> dict:
        c = self.commitment
        money = (lambda v: None if v is None else str(self.rounded(v)))
        share = self.share_of_margin
        return {
            "party": c.agreement.party.code, "agreement": c.agreement.reference, "commitment": c.key,
            "type": c.type, "title": self.title, "currency": self.currency, "occurrences": self.occurrences,
            "occurrence": self.unit, "cost_each": money(self.cost_each), "cost": money(self.cost),
            "revenue": money(self.revenue), "margin": money(self.margin),
            "discount_given": money(self.discount_given), "lost": money(self.lost),
            "owed_to_us": money(self.owed_to_us), "total_cost": money(self.total_cost),
            "share_of_margin": None if share is None else str(share.quantize(Decimal("0.1"))),
            "flagged": self.flagged,
        }


@dataclass
class Profitability:
    period: Window
    as_of: dt.datetime
    rows: list[ProfitRow]
    hourly_rate: Decimal
    margin_percent: Decimal
    limit: Decimal

    def to_json(self) -> dict:
        return {"period": self.period.to_json(), "as_of": self.as_of.isoformat(),
                "hourly_rate": str(self.hourly_rate), "margin_percent": str(self.margin_percent),
                "cost_share_limit": str(self.limit), "rows": [r.to_json() for r in self.rows]}


# ---------------------------------------------------------------------------
# occurrences


def _applies(commitment: Commitment, period: Window) -> Window | None:
    """The days of the period in which the promise applies, or None."""
    first, last = validity(commitment)
    start, end = max(first, period.start), min(last, period.end) if last else period.end
    return Window(start, end) if start <= end else None


def _count_events(events: pl.DataFrame, party: str, kinds: tuple[str, ...], days: Window,
                  products: tuple[str, ...] = (), distinct_ref: bool = False) -> int:
    rows = events.filter(pl.col("party") == party, pl.col("kind").is_in(kinds),
                         pl.col("at").dt.date() >= days.start, pl.col("at").dt.date() <= days.end)
    if products:
        rows = rows.filter(pl.col("product").is_in(products))
    if distinct_ref:
        return rows.select(pl.col("ref").n_unique()).item()
    return rows.height


def _periods_ending(days: Window, period: str, align: str, anchor: dt.date) -> int:
    spans = periods_between(days.start, days.end, period, align, anchor)
    return sum(1 for _start, end in spans if days.start <= end - dt.timedelta(days=1) <= days.end)


def occurrences(commitment: Commitment, events: pl.DataFrame, period: Window) -> tuple[int, str]:
    """How often keeping the promise took work in the period, and what one occurrence is (see the module docstring)."""
    days = _applies(commitment, period)
    params = params_now(commitment)
    kind, party = commitment.type, commitment.agreement.party.code
    supplier = commitment.agreement.role == Agreement.Role.SUPPLIER
    unit = _unit(kind)
    if days is None or params is None:
        return 0, unit
    if kind in DELIVERY_TYPES:
        return _count_events(events, party, ("receipt",) if supplier else ("delivery",), days), unit
    if kind == "agreed_price":
        return _count_events(events, party, ("invoice",), days, products_now(commitment)), unit
    if kind == "payment_term":
        return _count_events(events, party, ("invoice",), days, distinct_ref=True), unit
    if kind == "response_time":
        return _count_events(events, party, ("ticket_opened",), days), unit
    anchor = validity(commitment)[0]
    if kind in PERIOD_TYPES:
        return _periods_ending(days, str(params.period), str(params.align), anchor), unit
    if kind == "recurring":
        if params.every is not None:
            return int(dt.timedelta(days=days.days) // params.every), unit
        return _periods_ending(days, str(params.period), "calendar", anchor), unit
    if kind == "deadline":
        due = params.due.date() if isinstance(params.due, dt.datetime) else params.due
        return (1 if due in days else 0), unit
    return 0, unit


def _unit(kind: str) -> str:
    if kind in DELIVERY_TYPES:
        return "delivery"
    return {"agreed_price": "invoice_line", "payment_term": "invoice", "response_time": "ticket",
            "recurring": "due", "deadline": "due"}.get(kind, "period")


def cost_each(commitment: Commitment, rate: Decimal) -> Decimal | None:
    """What one occurrence costs: money plus hours x rate; None when neither is recorded."""
    if commitment.cost_amount is None and commitment.cost_hours is None:
        return None
    return (commitment.cost_amount or ZERO) + (commitment.cost_hours or ZERO) * rate


# ---------------------------------------------------------------------------
# money lost


def money_of(result, period: Window, currency: str) -> tuple[Decimal, Decimal]:
    """(money we pay, money owed to us) of the verdict's instances due in the period, not projected."""
    lost = owed = ZERO
    if result is None:
        return lost, owed
    for inst in result.instances:
        due = inst.due.date() if isinstance(inst.due, dt.datetime) else inst.due
        if due is not None and due not in period:
            continue
        for m in inst.money:
            if str(m.state) not in LOST_STATES or m.currency != currency:
                continue
            if m.payer == "us":
                lost += m.amount
            else:
                owed += m.amount
    return lost, owed


# ---------------------------------------------------------------------------
# the whole table


def special_promises(period: Window, *, parties: list[str] | None = None) -> list[Commitment]:
    qs = Commitment.objects.filter(agreement__role=Agreement.Role.CUSTOMER, removed_in__isnull=True).exclude(
        agreement__status=Agreement.Status.DRAFT)
    if parties:
        qs = qs.filter(agreement__party__code__in=parties)
    qs = with_terms(qs.select_related("agreement__party", "removed_in")
                    .order_by("agreement__party__name", "agreement__reference", "key"))
    return [c for c in qs if period.overlaps(*validity(c))]


def profitability(*, start: dt.date | None = None, end: dt.date | None = None, as_of: dt.datetime,
                  parties: list[str] | None = None) -> Profitability:
    """The profitability table of the period (default: the twelve months up to *as of*)."""
    period = window(start, end, as_of)
    rate, percent, limit = hourly_rate(), margin_percent(), cost_share_limit()
    promises = special_promises(period, parties=parties)
    codes = {c.agreement.party.code for c in promises}
    revenue, discounts = revenue_by_party(period, codes), discounts_by_party(period, codes)
    kinds = ("delivery", "receipt", "invoice", "ticket_opened")
    events = period_events(period, kinds=kinds, parties=codes)
    judged_at = min(as_of, end_of_day(period.end, "UTC"))
    judged = verdicts(promises, judged_at)
    rows = []
    for c in promises:
        currency, code = c.agreement.currency, c.agreement.party.code
        count, unit = occurrences(c, events, period)
        income = revenue.get(code, {}).get(currency, ZERO)
        lost, owed = money_of(judged.get(c.pk), period, currency)
        rows.append(ProfitRow(
            commitment=c, currency=currency, occurrences=count, unit=unit, cost_each=cost_each(c, rate),
            revenue=income, margin=income * percent / 100,
            discount_given=discounts.get(code, {}).get(currency, ZERO), lost=lost, owed_to_us=owed, limit=limit,
        ))
    return Profitability(period=period, as_of=as_of, rows=rows, hourly_rate=rate, margin_percent=percent,
                         limit=limit)
