"""Small builders for the review tests (coverage, top-customers audit, profitability):
parties, agreements with promises, products and events, written straight to the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pacta.core.models import Agreement, AgreementVersion, Commitment, CommitmentTerms, Event, Party, Product
from pacta.lib.dates import date_to_utc_midnight


def party(code: str, *, supplier: bool = False, **fields) -> Party:
    return Party.objects.create(code=code, name=fields.pop("name", f"{code} Ltd"), is_customer=not supplier,
                                is_supplier=supplier, **fields)


def agreement(who: Party, *, role: str = "customer", status: str = Agreement.Status.IN_FORCE,
              reference: str | None = None, valid_from: dt.date = dt.date(2025, 1, 1),
              valid_to: dt.date | None = dt.date(2025, 12, 31), currency: str = "EUR") -> Agreement:
    a = Agreement.objects.create(reference=reference or f"{who.code}-2025", party=who, role=role, currency=currency,
                                 timezone="Europe/Amsterdam", valid_from=valid_from, valid_to=valid_to, status=status)
    AgreementVersion.objects.create(agreement=a, number=1, effective_from=valid_from, summary="First version.")
    return a


def promise(a: Agreement, key: str, type_name: str, params: dict, *, products=(), title: str = "",
            **operational) -> Commitment:
    """A commitment in version 1 of `a`; `operational` sets owner, registrar, how, cost_amount, cost_hours."""
    c = Commitment.objects.create(agreement=a, key=key, type=type_name, **operational)
    CommitmentTerms.objects.create(commitment=c, version=a.versions.get(number=1), title=title or key,
                                   params=params, products=list(products))
    return c


def product(code: str, supplier: Party | None = None, **fields) -> Product:
    return Product.objects.create(code=code, name=fields.pop("name", f"Product {code}"), supplier=supplier, **fields)


_counter = {"n": 0}


def event(who: Party, kind: str, day: dt.date, *, ref: str = "", product: str = "", quantity=None, unit_price=None,
          amount=None, list_price=None, discount=None, due: dt.date | None = None, currency: str = "EUR") -> Event:
    """A date-only event (stored at 00:00 UTC of `day`); numbers as strings or Decimals."""
    _counter["n"] += 1
    dec = (lambda v: None if v is None else Decimal(str(v)))
    quantity, unit_price, discount = dec(quantity), dec(unit_price), dec(discount)
    if amount is None and quantity is not None and unit_price is not None:
        amount = quantity * unit_price * (1 - (discount or 0))
    return Event.objects.create(
        source="test", external_id=f"{kind}-{_counter['n']}", kind=kind, party=who, at=date_to_utc_midnight(day),
        date_only=True, ref=ref, product=product, quantity=quantity, unit_price=unit_price, discount=discount,
        list_price=dec(list_price), amount=dec(amount), currency=currency,
        due=date_to_utc_midnight(due) if due else None, due_date_only=due is not None,
    )
