"""A seeded synthetic portfolio for the benchmark.

`generate(out_dir, customers=1000, seed=...)` writes, deterministically for a seed:

- `agreements.yaml`: one customer agreement per customer (COMMITMENTS.md section 4), ten
  commitments each. Together they cover all eleven types: every agreement has
  on_time_delivery (with a penalty), notice_before_delivery, delivery_window,
  volume_commitment, volume_rebate, conditional_price, agreed_price, payment_term and
  response_time; four in five have a fortnightly `recurring` status update, the fifth a
  `deadline` (an attested price review) instead.
- `events.csv`: about 1,000 events per customer over one calendar year, canonical
  columns (COMMITMENTS.md section 2), in time order as an ERP export would be: order
  lines, deliveries (some late, a few split, some outside the window, a few undelivered),
  notices (some missing or too late), invoice lines (some agreed prices billed wrongly),
  payments (some late, some partial, some missing), credit notes (returns and rebate
  payouts), tickets opened/answered/resolved, status updates, attestations.
- `events_more.csv`: exactly 100 more events for each of 10 customers, dated in the
  year's last month, for the re-evaluation benchmark;
- `portfolio.json`: what was generated (counts, seed, the 10 customers of the extra batch).

Proportions are those of a mid-sized wholesaler: mostly kept, a realistic tail of
breaches. Amounts are exact: prices in cents, discounts in whole percent, so every
line amount is a whole number of ten-thousandths.

Run: `python -m bench.generate [--customers N] [--seed S] [--out DIR]`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import time
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import yaml

YEAR = 2025
TIMEZONE = "Europe/Amsterdam"
CURRENCY = "EUR"
AS_OF = f"{YEAR + 1}-01-01T00:00:00+01:00"  # the generated year is over: its figures are final
DEFAULT_SEED = 20250101
DEFAULT_CUSTOMERS = 1000
EXTRA_CUSTOMERS = 10
EXTRA_EVENTS_PER_CUSTOMER = 100
OUT_DIR = Path(__file__).resolve().parent / "out"
PORTFOLIO = "portfolio.json"  # what was generated, for `bench.run --reuse`

COLUMNS = ("id", "kind", "party", "at", "ref", "product", "quantity", "unit_price", "discount",
           "list_price", "amount", "currency", "due", "force_majeure")

CATALOGUE_SIZE = 400
FAVOURITES = 12  # products a customer buys
LINES_PER_ORDER = ((1, 15), (2, 25), (3, 30), (4, 20), (5, 10))  # (lines, weight): 2.85 on average
MEAN_LINES = sum(n * w for n, w in LINES_PER_ORDER) / sum(w for _, w in LINES_PER_ORDER)
MEAN_QUANTITY = 20.5  # quantities are 1..40
COUNTRIES = (("NL", 50), ("DE", 30), ("BE", 20))

_TZ = zoneinfo.ZoneInfo(TIMEZONE)
_DAY = dt.timedelta(days=1)


# ---------------------------------------------------------------------------
# The customers and their agreements


@dataclass
class Customer:
    """One customer and what was agreed with it (the generator's own view)."""

    code: str
    name: str
    country: str
    orders: int  # orders per year
    favourites: list[str]
    list_cents: dict[str, int]  # list price per product, in cents
    billed_cents: dict[str, int]  # the price we normally bill
    agreed: tuple[str, ...]  # products under agreed_price
    conditional: str  # the product under conditional_price
    payment_days: int
    end_of_month: bool
    with_deadline: bool
    rebate_tiers: list[tuple[int, int]]  # (from in whole euros, rate in percent)
    rebate_marginal: bool
    payout_days: int = 30
    commitments: list[dict] = field(default_factory=list)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _weighted(rng: Random, table) -> object:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def make_catalogue(rng: Random) -> dict[str, int]:
    """Product code -> list price in cents (3.00 .. 150.00 EUR, most of them cheap)."""
    return {f"P{i:04d}": min(15000, int(rng.paretovariate(1.5) * 300)) for i in range(1, CATALOGUE_SIZE + 1)}


def make_customer(rng: Random, number: int, catalogue: dict[str, int]) -> Customer:
    code = f"C{number:05d}"
    favourites = rng.sample(sorted(catalogue), FAVOURITES)
    list_cents = {p: catalogue[p] for p in favourites}
    agreed = tuple(favourites[:2])
    conditional = favourites[2]
    discount_form = rng.random() < 0.5  # agreed_price as "at least 10 % off list" or as a fixed price
    billed = dict(list_cents)
    for p in agreed:
        billed[p] = list_cents[p] * 90 // 100 if discount_form else list_cents[p] * 92 // 100
    billed[conditional] = list_cents[conditional] * 85 // 100
    orders = rng.randint(65, 150)
    c = Customer(
        code=code, name=f"Customer {number:05d}", country=_weighted(rng, COUNTRIES), orders=orders,
        favourites=favourites, list_cents=list_cents, billed_cents=billed, agreed=agreed,
        conditional=conditional, payment_days=rng.choice((14, 30, 30, 30, 45, 60)),
        end_of_month=rng.random() < 0.1, with_deadline=number % 5 == 0,
        rebate_tiers=[], rebate_marginal=rng.random() < 0.2,
    )
    c.commitments = _commitments(rng, c, discount_form)
    return c


def _expected_per_quarter(c: Customer) -> tuple[float, float, float]:
    """Expected quarterly quantity, turnover (euros) and quantity of the conditional product."""
    lines = c.orders / 4 * MEAN_LINES
    quantity = lines * MEAN_QUANTITY
    euros = quantity * sum(c.billed_cents.values()) / len(c.billed_cents) / 100
    return quantity, euros, quantity / FAVOURITES  # a line is any favourite, equally likely


def _round_to(value: float, step: int) -> int:
    return max(step, int(round(value / step)) * step)


def _commitments(rng: Random, c: Customer, discount_form: bool) -> list[dict]:
    quantity, euros, conditional = _expected_per_quarter(c)
    c.rebate_tiers = [(_round_to(euros * f, 100), rate) for f, rate in ((0.6, 1), (0.9, 2), (1.15, 3))]
    narrow_notice = rng.random() < 0.3
    wide_window = rng.random() < 0.2
    penalty = {"percent": rng.choice((0.5, 1, 2)), "per_days": 1, "cap_percent": 10, "force_majeure": True}
    if rng.random() < 0.25:
        penalty.update(per_days=7, per_started_period=True, percent=5)
    if rng.random() < 0.3:
        penalty["terminate_after_days"] = 30
    otd = {"id": "on-time", "type": "on_time_delivery",
           "title": "Deliver every order by its promised date", "grace_days": rng.choice((0, 0, 1, 2)),
           "penalty": penalty}
    if rng.random() < 0.3:
        otd["target_rate"] = 95
    tickets = {"id": "support", "type": "response_time", "title": "Answer every ticket in time",
               "within": "PT8H" if rng.random() < 0.5 else "PT4H", "target_rate": 90}
    if tickets["within"] == "PT8H":
        tickets["business_hours"] = {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "17:00"}
    if rng.random() < 0.3:
        tickets.update(credits=[{"below": 90, "percent": 5}, {"below": 75, "percent": 10}], monthly_fee=500)
    agreed = ({"id": "net-price", "type": "agreed_price", "title": "At least 10 % off list on the core range",
               "products": list(c.agreed), "discount": 10} if discount_form else
              {"id": "net-price", "type": "agreed_price", "title": "Fixed price for the main product",
               "products": [c.agreed[0]], "price": _money(c.billed_cents[c.agreed[0]])})
    payment = {"id": "payment", "type": "payment_term", "title": "Invoices are paid on time", "days": c.payment_days}
    if c.end_of_month:
        payment["from"] = "end_of_month"
    if rng.random() < 0.3:
        payment["interest_percent"] = 8
    if rng.random() < 0.2:
        payment["fixed_fee"] = 40
    volume = {"id": "minimum-volume", "type": "volume_commitment", "title": "Minimum quantity per quarter",
              "period": "quarter", "measure": "quantity", "minimum": _round_to(quantity * rng.uniform(0.8, 1.05), 10)}
    if rng.random() < 0.5:
        volume["shortfall_fee"] = 0.5
    last = ({"id": "price-review", "type": "deadline", "title": "Annual price review attested",
             "kind": "attestation", "ref": "price-review", "due": dt.date(YEAR, 6, 30), "remind_before": "P14D"}
            if c.with_deadline else
            {"id": "status-update", "type": "recurring", "title": "A status update every two weeks",
             "kind": "update", "every": "P14D", "warn_before": "P2D"})
    return [
        otd,
        {"id": "call-ahead", "type": "notice_before_delivery", "title": "Call ahead of each delivery",
         "min_before": "PT2H" if narrow_notice else "PT1H", "max_before": "PT48H" if narrow_notice else "PT24H"},
        {"id": "morning-window", "type": "delivery_window", "title": "Deliver on working days within opening hours",
         "weekdays": ["mon", "tue", "wed", "thu", "fri"],
         "from": "06:00" if wide_window else "07:00", "to": "17:00" if wide_window else "16:00"},
        volume,
        {"id": "rebate", "type": "volume_rebate", "title": "Quarterly turnover rebate", "period": "quarter",
         "measure": "amount", "mode": "marginal" if c.rebate_marginal else "whole", "payout_days": c.payout_days,
         "tiers": [{"from": f, "rate": r} for f, r in c.rebate_tiers]},
        {"id": "volume-price", "type": "conditional_price", "title": "Special price if the quarterly volume is taken",
         "products": [c.conditional], "price": _money(c.billed_cents[c.conditional]),
         "list_price": _money(c.list_cents[c.conditional]), "volume": _round_to(conditional * rng.uniform(0.8, 1.2), 10),
         "period": "quarter"},
        agreed,
        payment,
        tickets,
        last,
    ]


def agreement_doc(c: Customer) -> dict:
    return {
        "id": f"{c.code}-{YEAR}", "party": c.code, "party_name": c.name, "role": "customer",
        "country": c.country, "currency": CURRENCY, "timezone": TIMEZONE,
        "valid_from": dt.date(YEAR, 1, 1), "valid_to": dt.date(YEAR, 12, 31), "commitments": c.commitments,
    }


class _Dumper(yaml.CSafeDumper if hasattr(yaml, "CSafeDumper") else yaml.SafeDumper):
    """Floats as written (0.5, not 0.5000), never as scientific notation."""


_Dumper.add_representer(float, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", repr(v)))


def write_agreements(path: Path, customers: list[Customer]) -> None:
    with path.open("w", encoding="utf-8") as f:
        yaml.dump({"agreements": [agreement_doc(c) for c in customers]}, f, Dumper=_Dumper,
                  sort_keys=False, default_flow_style=False, width=120)


# ---------------------------------------------------------------------------
# The events


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _local(day: dt.date, minutes: int) -> dt.datetime:
    """A local wall-clock moment on `day`, `minutes` after midnight (aware)."""
    return dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=_TZ)


def _weekday_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= _DAY
    return day


def _weekday_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += _DAY
    return day


def _ceil_cents(amount_e4: int) -> int:
    """An amount in ten-thousandths as whole cents, rounded up (what a payer transfers)."""
    return -(-amount_e4 // 100)


@dataclass
class Counters:
    """Document numbers, shared across customers and batches so that refs never clash."""

    order: int = 0
    invoice: int = 0
    ticket: int = 0
    credit: int = 0

    def next(self, name: str, prefix: str, width: int) -> str:
        value = getattr(self, name) + 1
        setattr(self, name, value)
        return f"{prefix}{value:0{width}d}"


class _Events:
    """The events of one customer between `first` and `last` (inclusive), as sortable rows."""

    def __init__(self, rng: Random, c: Customer, counters: Counters, first: dt.date, last: dt.date):
        self.rng, self.c, self.counters, self.first, self.last = rng, c, counters, first, last
        self.rows: list[tuple] = []
        self.invoiced: list[tuple[dt.date, int]] = []  # (invoice date, amount in 1e-4 EUR)
        self.credited: list[tuple[dt.date, int]] = []  # returns, same units

    # -- rows --

    def _add(self, when: dt.date | dt.datetime, kind: str, ref: str = "", product: str = "", quantity: str = "",
             unit_price: str = "", discount: str = "", list_price: str = "", amount: str = "", due: str = "",
             force_majeure: str = "") -> None:
        if isinstance(when, dt.datetime):
            key, at = when.timestamp(), _stamp(when)
        else:
            key, at = _local(when, 0).timestamp(), when.isoformat()
        self.rows.append((key, kind, self.c.code, at, ref, product, quantity, unit_price, discount, list_price,
                          amount, CURRENCY if amount or unit_price else "", due, force_majeure))

    def _within(self, when: dt.date | dt.datetime) -> bool:
        day = when.astimezone(_TZ).date() if isinstance(when, dt.datetime) else when
        return self.first <= day <= self.last

    # -- order to cash --

    def order_to_cash(self, order_day: dt.date) -> None:
        rng, c = self.rng, self.c
        ref = self.counters.next("order", "SO", 7)
        due = _weekday_after(order_day + rng.randint(2, 10) * _DAY)
        lines = []
        for product in rng.sample(c.favourites, _weighted(rng, LINES_PER_ORDER)):
            # 5 % of the lines outside the agreed products carry a line discount
            special = product in c.agreed or product == c.conditional
            discount = 5 if not special and rng.random() < 0.05 else 0
            lines.append((product, rng.randint(1, 40), c.billed_cents[product], discount))
            self._add(order_day, "order", ref, product, str(lines[-1][1]), _money(c.billed_cents[product]),
                      f"0.{discount:02d}" if discount else "", due=due.isoformat())
        delivered = self._deliver(ref, order_day, due, lines)
        if delivered is not None and self._within(delivered):
            self._invoice(delivered, lines)

    def _deliver(self, ref: str, order_day: dt.date, due: dt.date, lines) -> dt.date | None:
        """Deliver the order (or not); return the day the delivery was complete."""
        rng = self.rng
        fate = rng.random()
        if fate < 0.03:
            return None  # never delivered: overdue at the end of the year
        if fate < 0.87:
            day = max(_weekday_before(due - rng.randint(0, 2) * _DAY), order_day + _DAY)
        else:
            day = _weekday_after(due + rng.randint(1, 12) * _DAY)
        flagged = "true" if day > due and rng.random() < 0.05 else ""
        if len(lines) >= 2 and rng.random() < 0.10:
            # a split delivery: the first line early, the rest (no quantity = the whole order) later
            early = max(order_day + _DAY, _weekday_before(day - 2 * _DAY))
            product, quantity, _, _ = lines[0]
            self._drop_off(ref, early, product=product, quantity=str(quantity))
        return self._drop_off(ref, day, force_majeure=flagged)

    def _drop_off(self, ref: str, day: dt.date, **line) -> dt.date | None:
        rng = self.rng
        if rng.random() < 0.04:  # outside the window: early, late, or on a Saturday
            choice = rng.random()
            if choice < 0.4:
                moment = _local(day, rng.randint(5 * 60, 6 * 60 - 1))
            elif choice < 0.8:
                moment = _local(day, rng.randint(17 * 60 + 1, 19 * 60))
            else:
                moment = _local(day + (5 - day.weekday()) * _DAY, rng.randint(8 * 60, 12 * 60))
        else:
            moment = _local(day, rng.randint(7 * 60, 15 * 60 + 59))
        if not self._within(moment):
            return None
        self._notice(ref, moment)
        self._add(moment, "delivery", ref, **line)
        return moment.date()

    def _notice(self, ref: str, delivery: dt.datetime) -> None:
        rng = self.rng
        fate = rng.random()
        if fate < 0.05:
            return  # forgotten
        if fate < 0.08:
            before = dt.timedelta(minutes=rng.randint(10, 50))  # too late
        else:
            before = dt.timedelta(minutes=rng.randint(150, 20 * 60))
        # a call logged against the order, or a general "we are coming today" without a ref
        self._add(delivery - before, "notice", ref if rng.random() < 0.7 else "")

    def _invoice(self, day: dt.date, lines) -> None:
        rng, c = self.rng, self.c
        ref = self.counters.next("invoice", "INV", 7)
        due = (_month_end(day) if c.end_of_month else day) + c.payment_days * _DAY
        total = 0
        for product, quantity, cents, discount in lines:
            if product in c.agreed and rng.random() < 0.02:
                cents = c.list_cents[product]  # billed at list price by mistake
            total += quantity * cents * (100 - discount)
            self._add(day, "invoice", ref, product, str(quantity), _money(cents), f"0.{discount:02d}" if discount else "",
                      _money(c.list_cents[product]), due=due.isoformat())
        self.invoiced.append((day, total))
        self._pay(ref, day, due, total)
        if rng.random() < 0.02:
            product, quantity, cents, discount = lines[0]
            credit = max(1, quantity // 2) * cents * (100 - discount)
            when = day + rng.randint(5, 20) * _DAY
            if self._within(when):
                self.credited.append((when, credit))
                self._add(when, "credit_note", self.counters.next("credit", "CN", 6), amount=_money(_ceil_cents(credit)))

    def _pay(self, ref: str, day: dt.date, due: dt.date, total: int) -> None:
        rng = self.rng
        term = (due - day).days
        fate = rng.random()
        cents = _ceil_cents(total)
        if fate < 0.80:
            payments = [(day + rng.randint(min(3, term), term) * _DAY, cents)]
        elif fate < 0.92:
            payments = [(due + rng.randint(1, 40) * _DAY, cents)]
        elif fate < 0.96:
            half = cents // 2
            payments = [(day + rng.randint(min(3, term), term) * _DAY, half)]
            if rng.random() < 0.5:
                payments.append((due + rng.randint(10, 60) * _DAY, cents - half))
        else:
            payments = []
        for when, amount in payments:
            if self._within(when):
                self._add(when, "payment", ref, amount=_money(amount))

    # -- the rest of the relationship --

    def rebate_payouts(self) -> None:
        """Pay each ended quarter's rebate by credit note (most on time, some late, some never)."""
        c, rng = self.c, self.rng
        for q in range(4):
            start = dt.date(YEAR, 3 * q + 1, 1)
            end = _month_end(dt.date(YEAR, 3 * q + 3, 1))
            turnover = (sum(a for d, a in self.invoiced if start <= d <= end)
                        - sum(a for d, a in self.credited if start <= d <= end))
            rebate = _rebate_e4(turnover, c.rebate_tiers, c.rebate_marginal)
            fate = rng.random()
            if rebate <= 0 or fate >= 0.9:
                continue
            late = fate >= 0.8
            when = end + (c.payout_days + rng.randint(1, 30) if late else rng.randint(5, c.payout_days)) * _DAY
            if self._within(when):
                self._add(when, "credit_note", f"rebate-{YEAR}-Q{q + 1}", amount=_money(_ceil_cents(rebate)))

    def tickets(self, count: int) -> None:
        rng = self.rng
        span = (self.last - self.first).days
        for _ in range(count):
            ref = self.counters.next("ticket", "T", 6)
            opened = _local(self.first + rng.randint(0, span) * _DAY, rng.randint(6 * 60, 22 * 60))
            self._add(opened, "ticket_opened", ref)
            fate = rng.random()
            if fate >= 0.95:
                continue
            hours = rng.uniform(0.25, 3.5) if fate < 0.85 else rng.uniform(9, 40)
            answered = opened + dt.timedelta(minutes=int(hours * 60))
            if not self._within(answered):
                continue
            self._add(answered, "ticket_answered", ref)
            resolved = answered + dt.timedelta(minutes=rng.randint(60, 72 * 60))
            if rng.random() < 0.7 and self._within(resolved):
                self._add(resolved, "ticket_resolved", ref)

    def updates(self) -> None:
        """A status update about every fortnight; sometimes one comes days late."""
        rng = self.rng
        day = self.first + (14 + rng.randint(-2, 0)) * _DAY
        while day <= self.last:
            self._add(_local(day, rng.randint(9 * 60, 17 * 60)), "update")
            day += (14 + rng.randint(-3, 0) + (rng.randint(2, 6) if rng.random() < 0.08 else 0)) * _DAY

    def attestation(self) -> None:
        rng, fate = self.rng, self.rng.random()
        if fate < 0.9:
            day = dt.date(YEAR, 6, 30) + (rng.randint(-30, -1) if fate < 0.8 else rng.randint(1, 20)) * _DAY
            self._add(_local(day, rng.randint(9 * 60, 17 * 60)), "attestation", "price-review")


def _month_end(day: dt.date) -> dt.date:
    following = day.replace(day=28) + 4 * _DAY
    return following - following.day * _DAY


def _rebate_e4(turnover_e4: int, tiers: list[tuple[int, int]], marginal: bool) -> int:
    """The quarter's rebate in 1e-4 EUR (tiers start at whole euros, rates in whole percent)."""
    if not marginal:
        rate = max((r for f, r in tiers if turnover_e4 >= f * 10000), default=0)
        return turnover_e4 * rate // 100
    rebate = 0
    bounds = [f * 10000 for f, _ in tiers] + [None]
    for (start, rate), end in zip(((f * 10000, r) for f, r in tiers), bounds[1:]):
        top = turnover_e4 if end is None else min(turnover_e4, end)
        rebate += max(0, top - start) * rate // 100
    return rebate


def _business_days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + i * _DAY for i in range((last - first).days + 1) if (first + i * _DAY).weekday() < 5]


def customer_year(rng: Random, c: Customer, counters: Counters) -> list[tuple]:
    """A customer's events of the whole year."""
    first, last = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    events = _Events(rng, c, counters, first, last)
    days = _business_days(first, last)
    for day in sorted(rng.choice(days) for _ in range(c.orders)):
        events.order_to_cash(day)
    events.rebate_payouts()
    events.tickets(rng.randint(10, 30))
    if c.with_deadline:
        events.attestation()
    else:
        events.updates()
    return events.rows


def customer_extra(rng: Random, c: Customer, counters: Counters, count: int) -> list[tuple]:
    """Exactly `count` more events of a customer in the year's last month: new orders to
    cash, topped up with calls to the customer."""
    first, last = dt.date(YEAR, 12, 1), dt.date(YEAR, 12, 31)
    events = _Events(rng, c, counters, first, last)
    days = _business_days(first, dt.date(YEAR, 12, 15))
    while True:
        before = len(events.rows)
        events.order_to_cash(rng.choice(days))
        if len(events.rows) > count:
            del events.rows[before:]
            break
    while len(events.rows) < count:
        events._add(_local(rng.choice(days), rng.randint(8 * 60, 17 * 60)), "notice")
    return events.rows


def write_events(path: Path, rows: list[tuple], id_prefix: str) -> int:
    rows.sort(key=lambda r: r[0])  # stable: ties keep generation order
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows((f"{id_prefix}{i:07d}", *r[1:]) for i, r in enumerate(rows, 1))
    return len(rows)


@dataclass(frozen=True)
class Portfolio:
    """What `generate` wrote; saved beside the files as portfolio.json."""

    agreements: Path
    events: Path
    extra_events: Path
    customers: int
    seed: int
    events_count: int
    extra_count: int
    extra_parties: tuple[str, ...]
    seconds: float

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in vars(self).items()}))

    @classmethod
    def load(cls, path: Path) -> Portfolio:
        data = json.loads(path.read_text())
        return cls(**{**data, "agreements": Path(data["agreements"]), "events": Path(data["events"]),
                      "extra_events": Path(data["extra_events"]), "extra_parties": tuple(data["extra_parties"])})


def generate(out_dir: Path = OUT_DIR, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED) -> Portfolio:
    """Write the portfolio for `customers` customers; the same seed gives the same bytes."""
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = Random(seed)
    catalogue = make_catalogue(rng)
    people = [make_customer(rng, n, catalogue) for n in range(1, customers + 1)]
    counters = Counters()
    rows: list[tuple] = []
    for c in people:
        # one stream per customer, so a customer's story does not depend on the others'
        rows.extend(customer_year(Random(f"{seed}:{c.code}"), c, counters))
    extra_people = Random(f"{seed}:extra").sample(people, min(EXTRA_CUSTOMERS, len(people)))
    extra: list[tuple] = []
    for c in extra_people:
        extra.extend(customer_extra(Random(f"{seed}:extra:{c.code}"), c, counters, EXTRA_EVENTS_PER_CUSTOMER))
    agreements, events, extra_events = out_dir / "agreements.yaml", out_dir / "events.csv", out_dir / "events_more.csv"
    write_agreements(agreements, people)
    count = write_events(events, rows, "E")
    extra_count = write_events(extra_events, extra, "X")
    portfolio = Portfolio(agreements, events, extra_events, customers, seed, count, extra_count,
                          tuple(sorted(c.code for c in extra_people)), time.perf_counter() - started)
    portfolio.save(out_dir / PORTFOLIO)
    return portfolio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", "--scale", type=int, default=DEFAULT_CUSTOMERS, help="number of customers")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    p = generate(args.out, args.customers, args.seed)
    print(f"{p.customers} agreements, {p.events_count:,} events, {p.extra_count:,} extra events "
          f"in {p.seconds:.1f} s -> {args.out}")


if __name__ == "__main__":
    main()
