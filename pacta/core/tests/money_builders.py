"""Builders for the tests of the money and period types: a `Spec` from plain
parameters and an event frame from short row dictionaries, without a database.

    spec = make_spec("volume_commitment", {"minimum": "10000"})
    frame = events(invoice("2025-03-01", quantity="100", unit_price="2.50"))
    result = evaluate(spec, frame, "2025-07-01T00:00:00+02:00")
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from pacta.core.commitments import get_type
from pacta.core.commitments.base import EVENT_SCHEMA, Result, Spec, TermsSegment

TZ = "Europe/Amsterdam"
UTC = dt.timezone.utc
_ids = itertools.count(1)
_DECIMALS = ("quantity", "unit_price", "discount", "list_price", "amount")


def day(value: str | dt.date) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def moment(value: str | dt.datetime) -> dt.datetime:
    """An aware datetime from ISO text with an offset."""
    found = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if found.tzinfo is None:
        raise ValueError("give a moment with its offset")
    return found


def terms(type_name: str, params: dict[str, Any], *, effective_from: str | dt.date = "2025-01-01", version: int = 1,
          products: tuple[str, ...] = (), valid_from=None, valid_to=None, removed: bool = False) -> TermsSegment:
    return TermsSegment(
        effective_from=day(effective_from), version=version, title=f"{type_name} v{version}",
        params=get_type(type_name).Params.model_validate(params), products=tuple(products),
        valid_from=day(valid_from) if valid_from else None, valid_to=day(valid_to) if valid_to else None,
        removed=removed,
    )


def make_spec(type_name: str, params: dict[str, Any] | None = None, *, party: str = "ALFKI", role: str = "customer",
              currency: str = "EUR", timezone: str = TZ, agreement_from: str = "2025-01-01",
              agreement_to: str | None = "2025-12-31", commitment: str = "c1", products: tuple[str, ...] = (),
              segments: tuple[TermsSegment, ...] | None = None, **terms_kw) -> Spec:
    """A commitment with one version of its terms (or the given `segments`)."""
    if segments is None:
        segments = (terms(type_name, params or {}, effective_from=agreement_from, products=products, **terms_kw),)
    return Spec(
        agreement=f"{party}-2025", party=party, role=role, currency=currency, timezone=timezone, country="NL",
        agreement_from=day(agreement_from), agreement_to=day(agreement_to) if agreement_to else None,
        commitment=commitment, type=type_name, segments=tuple(segments),
    )


def row(kind: str, at: str | dt.date | dt.datetime, *, party: str = "ALFKI", **facts) -> dict[str, Any]:
    """One event row. `at` is a date (a whole local day) or an aware moment;
    `amount` defaults to quantity x unit_price x (1 - discount), as the importer fills it."""
    facts = {k: (Decimal(v) if k in _DECIMALS and v is not None else v) for k, v in facts.items()}
    if facts.get("amount") is None and facts.get("quantity") is not None and facts.get("unit_price") is not None:
        facts["amount"] = facts["quantity"] * facts["unit_price"] * (1 - (facts.get("discount") or 0))
    if isinstance(at, str) and "T" not in at:
        at = day(at)
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        stamp, date_only = dt.datetime.combine(at, dt.time(0), UTC), True
    else:
        stamp, date_only = moment(at).astimezone(UTC), False
    return {"source": "test", "id": facts.pop("id", f"e{next(_ids)}"), "kind": kind, "party": party,
            "at": stamp, "date_only": date_only, "currency": facts.pop("currency", "EUR"), **facts}


def invoice(at, quantity=None, *, product: str = "P1", ref: str | None = None, **facts) -> dict[str, Any]:
    return row("invoice", at, quantity=quantity, product=product, ref=ref or f"INV-{at}", **facts)


def payment(at, amount, *, ref: str, **facts) -> dict[str, Any]:
    return row("payment", at, amount=amount, ref=ref, **facts)


def credit_note(at, amount, *, ref: str, **facts) -> dict[str, Any]:
    return row("credit_note", at, amount=amount, ref=ref, **facts)


def events(*rows: dict[str, Any]) -> pl.DataFrame:
    """An event frame with the engine's columns (EVENT_SCHEMA)."""
    columns = {name: [r.get(name) for r in rows] for name in EVENT_SCHEMA}
    return pl.DataFrame(columns, schema=EVENT_SCHEMA)


def evaluate(spec: Spec, frame: pl.DataFrame, as_of: str | dt.datetime) -> Result:
    return get_type(spec.type).evaluate(spec, frame, moment(as_of))


def evaluate_many(specs: list[Spec], frame: pl.DataFrame, as_of: str | dt.datetime) -> list[Result]:
    return get_type(specs[0].type).evaluate_many(specs, frame, moment(as_of))


def money(result_or_instance) -> list[tuple[str, Decimal, str, str]]:
    """Money items as (kind, amount rounded to cents, payer, state), for short asserts."""
    from pacta.lib.money import round_money

    return [(str(m.kind), round_money(m.amount, m.currency), m.payer, str(m.state)) for m in result_or_instance.money]


def statuses(result: Result) -> dict[str, str]:
    return {i.key: str(i.status) for i in result.instances}


# The engine reads no clock, yet every time-based test freezes it (STYLE.md):
# a test module uses this by importing it.
FROZEN_AT = dt.datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(time_machine):
    time_machine.move_to(FROZEN_AT, tick=False)
