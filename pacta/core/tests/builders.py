"""Builders for the tests of the event-driven types (deliveries, notices,
tickets, recurring events, deadlines), on top of `money_builders`:

    spec = make_spec("on_time_delivery", {"lead_days": 3})
    frame = events(order("2025-03-03", ref="10643", amount="1000"), delivery("2025-03-07", ref="10643"))
    result = check(spec, frame, "2025-03-31T12:00:00+02:00")

`check` goes through the engine, so waivers and the as-of rule apply as in
`pacta check`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import polars as pl

from pacta.core.commitments.base import Result, Spec
from pacta.core.engine import evaluate

from .money_builders import FROZEN_AT, events, frozen_clock, make_spec, moment, money, row, statuses, terms

__all__ = [
    "FROZEN_AT", "amended", "check", "delivery", "events", "frozen_clock", "instance", "make_spec", "moment",
    "money", "notice", "order", "paused", "row", "statuses", "terms", "ticket_answered", "ticket_opened", "waived",
]


def order(at, *, ref: str, product: str | None = "P1", quantity: str | None = "10", amount: str | None = "1000",
          due: str | None = None, **facts) -> dict[str, Any]:
    """An order line; `due` is a date ("2025-03-10") or a moment with its offset."""
    if due is not None:
        facts.update(_due(due))
    return row("order", at, ref=ref, product=product, quantity=quantity, amount=amount, **facts)


def _due(value: str) -> dict[str, Any]:
    if "T" in value:
        return {"due": moment(value).astimezone(dt.timezone.utc), "due_date_only": False}
    return {"due": dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0), dt.timezone.utc),
            "due_date_only": True}


def delivery(at, *, ref: str, product: str | None = None, quantity: str | None = None, **facts) -> dict[str, Any]:
    """A delivery; without a quantity it delivers the whole order."""
    return row("delivery", at, ref=ref, product=product, quantity=quantity, **facts)


def notice(at, *, ref: str | None = None, **facts) -> dict[str, Any]:
    return row("notice", at, ref=ref, **facts)


def ticket_opened(at, *, ref: str, **facts) -> dict[str, Any]:
    return row("ticket_opened", at, ref=ref, **facts)


def ticket_answered(at, *, ref: str, **facts) -> dict[str, Any]:
    return row("ticket_answered", at, ref=ref, **facts)


def amended(spec: Spec, effective_from: str, params: dict[str, Any], **terms_kw) -> Spec:
    """The commitment with a new version of its terms from `effective_from` on."""
    version = spec.segments[-1].version + 1
    new = terms(spec.type, params, effective_from=effective_from, version=version, **terms_kw)
    return replace(spec, segments=spec.segments + (new,))


def waived(spec: Spec, *keys: str) -> Spec:
    return replace(spec, waivers=frozenset(keys))


def paused(spec: Spec, *spans: tuple[str, str | None]) -> Spec:
    return replace(spec, pauses=tuple((moment(a), moment(b) if b else None) for a, b in spans))


def check(specs: Spec | list[Spec], frame: pl.DataFrame, as_of: str | dt.datetime) -> Any:
    """Evaluate through the engine; one spec gives one Result, a list gives a list."""
    many = isinstance(specs, list)
    results = evaluate(specs if many else [specs], frame, moment(as_of))
    return results if many else results[0]


def instance(result: Result, key: str):
    """The instance with `key`."""
    found = [i for i in result.instances if i.key == key]
    assert len(found) == 1, f"{key!r} in {[i.key for i in result.instances]}"
    return found[0]
