"""Back-to-back coverage: is what we promise customers deliverable by what suppliers promise us?

For every promise of a customer agreement that depends on a supplier — types
`on_time_delivery`, `volume_commitment` and `conditional_price` — on products
we buy in, `coverage()` lists per supplier the supplier promises that cover it
and the gaps.

**Products.** The promise's own products, or (when it names none: every
product) the products the customer ordered or was invoiced while the promise
applied. A product is *bought in* when the catalogue (`Product`) names its
supplier; products without a supplier are our own, products missing from the
catalogue are listed as unknown (Northwind's freight lines, for instance).

**Covering promises.** Explicit `CoverageLink`s first: when a customer promise
has links to a supplier's promises, those are its cover by that supplier.
Otherwise pacta *suggests* the promises of that supplier's agreements in force
(or suspended) of the matching type — `on_time_delivery` for on-time
delivery, `volume_commitment` for volumes and conditional prices — whose
products overlap. A supplier linked explicitly whose products the customer
does not buy still appears.

**Gaps**, per customer promise and supplier:

- `no_agreement`: nothing of that supplier covers it.
- `lead_time` (on-time delivery): the supplier's lead time plus our handling
  days exceeds the lead time promised to the customer. Promised: `lead_days`
  (+ `grace_days`); without `lead_days`, the shortest time between an order
  and its due date among the customer's orders of these products (+ grace).
  Supplier's: the longest `lead_days` of its covering on-time promises, else
  the longest catalogue lead time of the products. Handling: the longest
  `handling_days` of the products (unknown counts as 0). Working days are
  turned into calendar days as whole weeks of five (N + 2 x ⌊N/5⌋), holidays
  aside. `lead_time_unknown` when a supplier agreement covers it but the
  supplier's lead time is known neither there nor in the catalogue.
- `penalty` (on-time delivery with a penalty we owe): the supplier's covering
  on-time promises pay no penalty, or a smaller one: a lower percent per day
  late (percent / per_days) or a lower cap (no cap is the highest). Percents
  are compared as they stand: the supplier's apply to our purchase value,
  which is lower than our sales value.
- `volume` (volume commitment: `minimum`; conditional price: `volume`): the
  customer's volume per year exceeds what the supplier's covering
  `volume_commitment`s commit to (their `minimum`, or none), per year
  (quarter x 4, month x 12, week x 52). Compared only in quantities and when
  one supplier supplies all the promise's bought-in products;
  `volume_not_compared` otherwise.

The checks run on the terms in force now (the latest version). Gaps are
worded in the active language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacta.core.models import Agreement, Commitment, CommitmentTerms, CoverageLink, Event, Party, Product
from pacta.core.review import PER_YEAR, params_now, products_now, title_now, validity, with_terms
from pacta.lib.dates import local_date

COVERED_TYPES = ("on_time_delivery", "volume_commitment", "conditional_price")
# The supplier promise type that covers each customer promise type, when suggested.
COVERING_TYPE = {"on_time_delivery": "on_time_delivery", "volume_commitment": "volume_commitment",
                 "conditional_price": "volume_commitment"}
SUPPLIER_STATUSES = (Agreement.Status.IN_FORCE, Agreement.Status.SUSPENDED)

GAP = "gap"
UNCHECKED = "unchecked"
COVERED = "covered"
NOT_NEEDED = "not_needed"
# Worst first: a row's or cell's state is the worst of its parts.
STATES = (GAP, UNCHECKED, COVERED, NOT_NEEDED)
STATE_WORDS = {
    GAP: gettext_lazy("gap"),
    UNCHECKED: gettext_lazy("not checked"),
    COVERED: gettext_lazy("covered"),
    NOT_NEEDED: gettext_lazy("nothing bought in"),
}
GAP_KINDS = {
    "no_agreement": (GAP, gettext_lazy("no supplier agreement")),
    "lead_time": (GAP, gettext_lazy("lead time too long")),
    "penalty": (GAP, gettext_lazy("penalty not passed on")),
    "volume": (GAP, gettext_lazy("volume not covered")),
    "lead_time_unknown": (UNCHECKED, gettext_lazy("supplier's lead time unknown")),
    "volume_not_compared": (UNCHECKED, gettext_lazy("volume not compared")),
}


def worst(states) -> str:
    states = set(states)
    return next((s for s in STATES if s in states), NOT_NEEDED)


def calendar_days(days: int, business: bool) -> int:
    """Working days as calendar days (whole weeks of five; holidays aside)."""
    return days + 2 * (days // 5) if business else days


@dataclass
class Gap:
    kind: str
    text: str
    figures: dict = field(default_factory=dict)

    @property
    def state(self) -> str:
        return GAP_KINDS[self.kind][0]

    @property
    def label(self) -> str:
        return str(GAP_KINDS[self.kind][1])

    def to_json(self) -> dict:
        return {"kind": self.kind, "state": self.state, "text": self.text, "figures": self.figures}


@dataclass
class Cover:
    """One supplier's part in one customer promise."""

    supplier: Party
    products: list[Product]
    linked: list[Commitment] = field(default_factory=list)
    suggested: list[Commitment] = field(default_factory=list)
    links: list[CoverageLink] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def commitments(self) -> list[Commitment]:
        return self.linked or self.suggested

    @property
    def state(self) -> str:
        return worst(g.state for g in self.gaps) if self.gaps else COVERED

    @property
    def state_word(self) -> str:
        return str(STATE_WORDS[self.state])

    def to_json(self) -> dict:
        def ref(c: Commitment) -> dict:
            return {"agreement": c.agreement.reference, "commitment": c.key, "type": c.type, "title": title_now(c)}

        return {
            "supplier": self.supplier.code, "supplier_name": self.supplier.name, "state": self.state,
            "products": [p.code for p in self.products],
            "linked": [ref(c) for c in self.linked], "suggested": [ref(c) for c in self.suggested],
            "gaps": [g.to_json() for g in self.gaps],
        }


@dataclass
class Row:
    """One customer promise and its cover."""

    commitment: Commitment
    products: list[str]  # in scope (explicit or ordered)
    covers: list[Cover] = field(default_factory=list)
    own_products: list[str] = field(default_factory=list)
    unknown_products: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return worst(c.state for c in self.covers) if self.covers else NOT_NEEDED

    @property
    def state_word(self) -> str:
        return str(STATE_WORDS[self.state])

    @property
    def title(self) -> str:
        return title_now(self.commitment)

    def cover_of(self, supplier_code: str) -> Cover | None:
        return next((c for c in self.covers if c.supplier.code == supplier_code), None)

    def to_json(self) -> dict:
        c = self.commitment
        return {
            "party": c.agreement.party.code, "party_name": c.agreement.party.name,
            "agreement": c.agreement.reference, "commitment": c.key, "type": c.type, "title": self.title,
            "state": self.state, "products": self.products, "own_products": self.own_products,
            "unknown_products": self.unknown_products, "covers": [cover.to_json() for cover in self.covers],
        }


@dataclass
class Coverage:
    rows: list[Row]

    @property
    def suppliers(self) -> list[Party]:
        """Every supplier with a part in some row: the matrix's columns, by name."""
        found = {cover.supplier.pk: cover.supplier for row in self.rows for cover in row.covers}
        return sorted(found.values(), key=lambda p: (p.name.lower(), p.code))

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for row in self.rows:
            counts[row.state] += 1
        return counts

    def gap_count(self) -> int:
        return sum(1 for row in self.rows for cover in row.covers for gap in cover.gaps if gap.state == GAP)

    def to_json(self) -> dict:
        return {"rows": [r.to_json() for r in self.rows], "counts": self.counts(),
                "suppliers": [{"code": p.code, "name": p.name} for p in self.suppliers]}


# ---------------------------------------------------------------------------
# loading


def customer_promises(*, customers: list[str] | None = None, include_ended: bool = False):
    """The customer promises that depend on suppliers (types of COVERED_TYPES), not removed."""
    qs = Commitment.objects.filter(type__in=COVERED_TYPES, agreement__role=Agreement.Role.CUSTOMER,
                                   removed_in__isnull=True)
    if not include_ended:
        qs = qs.exclude(agreement__status=Agreement.Status.ENDED)
    if customers:
        qs = qs.filter(agreement__party__code__in=customers)
    return with_terms(qs.select_related("agreement__party", "removed_in")
                      .order_by("agreement__party__name", "agreement__reference", "key"))


@dataclass(frozen=True)
class Order:
    ref: str
    day: dt.date
    due: dt.date | None
    products: frozenset[str]


def _party_orders(party_ids: set[int]) -> tuple[dict[int, list[tuple[str, dt.date]]], dict[int, list[Order]]]:
    """Per party: (product, day) of its order and invoice lines, and its orders (day, due, products).

    One query. Days are the facts' dates in UTC (a date-only fact keeps its date)."""
    lines: dict[int, list[tuple[str, dt.date]]] = defaultdict(list)
    orders: dict[tuple[int, str], dict] = {}
    rows = (Event.objects.filter(party_id__in=party_ids, kind__in=("order", "invoice")).exclude(product="")
            .values_list("party_id", "kind", "ref", "product", "at", "due"))
    for party_id, kind, ref, product, at, due in rows.iterator(chunk_size=5000):
        day = local_date(at, True, "UTC")
        lines[party_id].append((product, day))
        if kind != "order" or not ref:
            continue
        order = orders.setdefault((party_id, ref), {"day": day, "due": None, "products": set()})
        order["day"] = min(order["day"], day)
        if due is not None:
            due_day = local_date(due, True, "UTC")
            order["due"] = due_day if order["due"] is None else max(order["due"], due_day)
        order["products"].add(product)
    by_party: dict[int, list[Order]] = defaultdict(list)
    for (party_id, ref), o in orders.items():
        by_party[party_id].append(Order(ref, o["day"], o["due"], frozenset(o["products"])))
    return lines, by_party


def _supplier_promises(supplier_ids: set[int]) -> dict[int, list[Commitment]]:
    """The promises of suppliers' agreements in force or suspended, of a covering type, per supplier party."""
    qs = with_terms(Commitment.objects.filter(
        agreement__role=Agreement.Role.SUPPLIER, agreement__status__in=SUPPLIER_STATUSES,
        agreement__party_id__in=supplier_ids, removed_in__isnull=True, type__in=set(COVERING_TYPE.values()),
    ).select_related("agreement__party").order_by("agreement__reference", "key"))
    found: dict[int, list[Commitment]] = defaultdict(list)
    for c in qs:
        found[c.agreement.party_id].append(c)
    return found


def _links(commitments: list[Commitment]) -> dict[int, list[CoverageLink]]:
    qs = with_terms_of_links(CoverageLink.objects.filter(customer_commitment__in=commitments))
    found: dict[int, list[CoverageLink]] = defaultdict(list)
    for link in qs:
        found[link.customer_commitment_id].append(link)
    return found


def with_terms_of_links(qs):
    """Coverage links with their supplier promise, its agreement, party and terms."""
    terms = CommitmentTerms.objects.select_related("version").order_by("version__number")
    return (qs.select_related("supplier_commitment__agreement__party")
            .prefetch_related(Prefetch("supplier_commitment__terms", queryset=terms, to_attr="terms_in_order"))
            .order_by("supplier_commitment__agreement__reference", "supplier_commitment__key"))


# ---------------------------------------------------------------------------
# the checks


def _overlap(products: list[Product], promise: Commitment) -> bool:
    names = set(products_now(promise))
    return not names or not products or bool(names & {p.code for p in products})


def _lead_gap(promise: Commitment, params, cover: Cover, orders: list[Order]) -> Gap | None:
    grace = params.grace_days or 0
    if params.lead_days is not None:
        customer_days = calendar_days(params.lead_days, params.business_days) + grace
        shortest = None
    else:
        codes = {p.code for p in cover.products}
        first, last = validity(promise)
        candidates = [o for o in orders if o.due is not None and o.products & codes and o.day >= first
                      and (last is None or o.day <= last)]
        if not candidates:
            return None
        shortest = min(candidates, key=lambda o: ((o.due - o.day).days, o.day, o.ref))
        customer_days = (shortest.due - shortest.day).days + grace
    supplier_days, source = _supplier_lead(cover)
    if supplier_days is None:
        if not cover.commitments:
            return None  # "no supplier agreement" says it already
        return Gap("lead_time_unknown", _("%(supplier)s: the supplier's lead time is not known; record it on the "
                                          "products or in the supplier agreement.") % {"supplier": cover.supplier.name})
    handling = max((p.handling_days or 0 for p in cover.products), default=0)
    figures = {"supplier_days": supplier_days, "handling_days": handling, "customer_days": customer_days,
               "grace_days": grace, "source": source, "order": shortest.ref if shortest else None}
    if supplier_days + handling <= customer_days:
        return None
    if shortest is not None:
        text = _("%(supplier)s needs %(supplier_days)s days, plus %(handling)s days of our own handling: "
                 "%(total)s days; order %(order)s of %(day)s gave us %(customer_days)s.")
        args = {"order": shortest.ref, "day": shortest.day.isoformat()}
    else:
        text = _("%(supplier)s needs %(supplier_days)s days, plus %(handling)s days of our own handling: "
                 "%(total)s days; we promised the customer %(customer_days)s.")
        args = {}
    return Gap("lead_time", text % {"supplier": cover.supplier.name, "supplier_days": supplier_days,
                                    "handling": handling, "total": supplier_days + handling,
                                    "customer_days": customer_days, **args}, figures)


def _supplier_lead(cover: Cover) -> tuple[int | None, str]:
    """The supplier's lead time in calendar days and where it comes from ("agreement" or "catalogue")."""
    agreed = []
    for promise in cover.commitments:
        params = params_now(promise) if promise.type == "on_time_delivery" else None
        if params is not None and params.lead_days is not None:
            agreed.append(calendar_days(params.lead_days, params.business_days))
    if agreed:
        return max(agreed), "agreement"
    known = [p.supplier_lead_days for p in cover.products if p.supplier_lead_days is not None]
    return (max(known), "catalogue") if known else (None, "")


def _rate(penalty) -> Decimal:
    return Decimal(penalty.percent) / penalty.per_days


def _penalty_text(penalty) -> str:
    if penalty.per_days == 1:
        text = _("%(percent)s %% per day late") % {"percent": penalty.percent}
    else:
        text = _("%(percent)s %% per %(days)s days late") % {"percent": penalty.percent, "days": penalty.per_days}
    if penalty.cap_percent is not None:
        text += ", " + _("at most %(cap)s %%") % {"cap": penalty.cap_percent}
    return text


def _penalty_gap(params, cover: Cover) -> Gap | None:
    ours = params.penalty
    if ours is None or not cover.commitments:
        return None
    theirs = [p.penalty for p in (params_now(c) for c in cover.commitments if c.type == "on_time_delivery")
              if p is not None and p.penalty is not None]
    figures = {"ours": {"percent": str(ours.percent), "per_days": ours.per_days,
                        "cap_percent": None if ours.cap_percent is None else str(ours.cap_percent)}}
    if not theirs:
        return Gap("penalty", _("We pay the customer %(ours)s; %(supplier)s pays us nothing when it is late.")
                   % {"ours": _penalty_text(ours), "supplier": cover.supplier.name}, figures)
    best = max(theirs, key=lambda p: (_rate(p), p.cap_percent is None, p.cap_percent or 0))
    lower_rate = _rate(best) < _rate(ours)
    lower_cap = best.cap_percent is not None and (ours.cap_percent is None or best.cap_percent < ours.cap_percent)
    if not (lower_rate or lower_cap):
        return None
    figures["theirs"] = {"percent": str(best.percent), "per_days": best.per_days,
                         "cap_percent": None if best.cap_percent is None else str(best.cap_percent)}
    return Gap("penalty", _("We pay the customer %(ours)s; %(supplier)s pays us only %(theirs)s.")
               % {"ours": _penalty_text(ours), "supplier": cover.supplier.name, "theirs": _penalty_text(best)}, figures)


def _customer_volume(promise: Commitment, params) -> tuple[Decimal | None, str]:
    """The customer's volume per year and its measure, or None when the promise sets none."""
    if promise.type == "conditional_price":
        return Decimal(params.volume) * PER_YEAR[str(params.period)], "quantity"
    if params.minimum is None:
        return None, str(params.measure)
    return Decimal(params.minimum) * PER_YEAR[str(params.period)], str(params.measure)


def _volume_gap(promise: Commitment, params, cover: Cover, suppliers_in_row: int) -> Gap | None:
    volume, measure = _customer_volume(promise, params)
    if volume is None or not cover.commitments:
        return None
    if measure != "quantity" or suppliers_in_row > 1:
        reason = (_("the customer's volume is an amount of money") if measure != "quantity"
                  else _("%(count)s suppliers share the products") % {"count": suppliers_in_row})
        return Gap("volume_not_compared", _("%(supplier)s: volumes not compared: %(reason)s.")
                   % {"supplier": cover.supplier.name, "reason": reason})
    supplied = [p for p in (params_now(c) for c in cover.commitments if c.type == "volume_commitment")
                if p is not None and str(p.measure) == "quantity" and p.minimum is not None]
    per_year = max((Decimal(p.minimum) * PER_YEAR[str(p.period)] for p in supplied), default=None)
    figures = {"customer_per_year": str(volume), "supplier_per_year": None if per_year is None else str(per_year)}
    if per_year is None:
        return Gap("volume", _("The customer's %(volume)s units a year are not backed: %(supplier)s commits to no "
                               "volume.") % {"volume": _number(volume), "supplier": cover.supplier.name}, figures)
    if volume <= per_year:
        return None
    return Gap("volume", _("The customer's %(volume)s units a year exceed the %(supplied)s that %(supplier)s commits "
                           "to.") % {"volume": _number(volume), "supplied": _number(per_year),
                                     "supplier": cover.supplier.name}, figures)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def _no_agreement(cover: Cover) -> Gap:
    codes = ", ".join(p.code for p in cover.products[:8]) + (" …" if len(cover.products) > 8 else "")
    return Gap("no_agreement", _("No agreement with %(supplier)s covers products %(products)s.")
               % {"supplier": cover.supplier.name, "products": codes}, {"products": [p.code for p in cover.products]})


def _check(row: Row, orders: list[Order]) -> None:
    promise = row.commitment
    params = params_now(promise)
    for cover in row.covers:
        if not cover.commitments:
            cover.gaps.append(_no_agreement(cover))
        if params is None:
            continue
        if promise.type == "on_time_delivery":
            gaps = [_lead_gap(promise, params, cover, orders), _penalty_gap(params, cover)]
        else:
            gaps = [_volume_gap(promise, params, cover, len(row.covers))]
        cover.gaps += [g for g in gaps if g is not None]


# ---------------------------------------------------------------------------
# putting it together


def _products_in_scope(promise: Commitment, lines: list[tuple[str, dt.date]]) -> list[str]:
    named = products_now(promise)
    if named:
        return sorted(named, key=_natural)
    first, last = validity(promise)
    return sorted({p for p, day in lines if day >= first and (last is None or day <= last)}, key=_natural)


def _natural(code: str) -> tuple:
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def _row(promise: Commitment, lines, catalogue: dict[str, Product], links: list[CoverageLink],
         offers: dict[int, list[Commitment]]) -> Row:
    row = Row(promise, _products_in_scope(promise, lines))
    by_supplier: dict[int, list[Product]] = defaultdict(list)
    suppliers: dict[int, Party] = {}
    for code in row.products:
        product = catalogue.get(code)
        if product is None:
            row.unknown_products.append(code)
        elif product.supplier is None:
            row.own_products.append(code)
        else:
            by_supplier[product.supplier_id].append(product)
            suppliers[product.supplier_id] = product.supplier
    for link in links:
        party = link.supplier_commitment.agreement.party
        suppliers.setdefault(party.pk, party)
        by_supplier.setdefault(party.pk, [])
    wanted = COVERING_TYPE[promise.type]
    for pk, products in by_supplier.items():
        mine = [lnk for lnk in links if lnk.supplier_commitment.agreement.party_id == pk]
        cover = Cover(suppliers[pk], products, linked=[lnk.supplier_commitment for lnk in mine], links=mine)
        if not cover.linked:
            cover.suggested = [c for c in offers.get(pk, []) if c.type == wanted and _overlap(products, c)]
        row.covers.append(cover)
    row.covers.sort(key=lambda c: (c.supplier.name.lower(), c.supplier.code))
    return row


def coverage(*, customers: list[str] | None = None, suppliers: list[str] | None = None,
             include_ended: bool = False, only_gaps: bool = False) -> Coverage:
    """The coverage of the customer promises (optionally of some customers), with their gaps.

    `suppliers` keeps only the parts of those suppliers (party codes) and the
    rows that have one; `only_gaps` keeps only the rows with a gap.
    """
    promises = list(customer_promises(customers=customers, include_ended=include_ended))
    lines, orders = _party_orders({c.agreement.party_id for c in promises})
    links = _links(promises)
    catalogue = {p.code: p for p in Product.objects.select_related("supplier")
                 .filter(code__in={code for rows in lines.values() for code, _d in rows}
                         | {code for c in promises for code in products_now(c)})}
    supplier_ids = {p.supplier_id for p in catalogue.values() if p.supplier_id}
    offers = _supplier_promises(supplier_ids)
    rows = []
    for promise in promises:
        party_id = promise.agreement.party_id
        row = _row(promise, lines.get(party_id, []), catalogue, links.get(promise.pk, []), offers)
        _check(row, orders.get(party_id, []))
        if suppliers:
            row.covers = [c for c in row.covers if c.supplier.code in suppliers]
            if not row.covers:
                continue
        if only_gaps and row.state != GAP:
            continue
        rows.append(row)
    return Coverage(rows)


def supplier_choices(customer_promise: Commitment) -> list[tuple[Commitment, bool]]:
    """Supplier promises that could cover `customer_promise`: (promise, suggested?), suggested first.

    Every promise of a supplier agreement that is not ended, not removed and
    not linked already; suggested are those of the suppliers of its products
    and of the matching type.
    """
    row = coverage(customers=[customer_promise.agreement.party.code], include_ended=True)
    suggested = {c.pk for r in row.rows if r.commitment.pk == customer_promise.pk
                 for cover in r.covers for c in cover.suggested}
    linked = set(customer_promise.covered_by.values_list("supplier_commitment_id", flat=True))
    qs = with_terms(Commitment.objects.filter(agreement__role=Agreement.Role.SUPPLIER, removed_in__isnull=True)
                    .exclude(agreement__status=Agreement.Status.ENDED).exclude(pk__in=linked)
                    .select_related("agreement__party")
                    .order_by("agreement__party__name", "agreement__reference", "key"))
    choices = [(c, c.pk in suggested) for c in qs]
    return sorted(choices, key=lambda pair: not pair[1])


__all__ = ["COVERED_TYPES", "Cover", "Coverage", "Gap", "Row", "coverage", "customer_promises", "supplier_choices"]
