"""The engine: every commitment judged against the events, as of a moment.

`evaluate` is the one entry point of file mode (`pacta check`) and database
mode (the watcher): it is pure (no database, no clock), deterministic and
set-based. Each commitment type evaluates all its commitments at once
(`CommitmentType.evaluate_many`), so one pass over the events serves
thousands of commitments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Any

import polars as pl
from django.utils.translation import gettext

from pacta.core.commitments import get_type
from pacta.core.commitments._scope import paused_gc
from pacta.core.commitments.base import (
    UTC_DATETIME,
    InstanceStatus,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Result,
    Spec,
    count_statuses,
    result_to_json,
    rollup_status,
)
from pacta.lib.dates import local_date


def evaluate(specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
    """Judge each commitment of `specs` against `events` (EVENT_SCHEMA) as of the aware moment `as_of`.

    Only facts known at `as_of` count: a timestamped event when `at` <= `as_of`;
    a date-only event of day D once the local date of `as_of` in the
    agreement's time zone is D or later (a whole day is known from its first
    moment: a delivery "on 3 March" counts from 3 March 00:00 local time).

    The row order of `events` never matters. Commitments are evaluated per type,
    all of a type at once; then waivers are applied (`apply_waivers`).
    Returns one Result per spec, in the order of `specs`.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    results: list[Result | None] = [None] * len(specs)
    by_zone: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, spec in enumerate(specs):
        by_zone[spec.timezone][spec.type].append(index)
    with paused_gc():
        for tz, by_type in by_zone.items():
            known = events.filter(known_at(as_of, tz))
            for type_name, indexes in by_type.items():
                group = [specs[i] for i in indexes]
                for index, result in zip(indexes, get_type(type_name).evaluate_many(group, known, as_of), strict=True):
                    results[index] = apply_waivers(result, specs[index].waivers)
    return results


def known_at(as_of: dt.datetime, tz: str) -> pl.Expr:
    """Polars filter: the events known at `as_of` for an agreement in time zone `tz`."""
    today = local_date(as_of, False, tz)
    return (
        pl.when(pl.col("date_only")).then(pl.col("at").dt.date() <= today)
        .otherwise(pl.col("at") <= pl.lit(as_of).cast(UTC_DATETIME))
    )


def apply_waivers(result: Result, waivers: frozenset[str] | set[str]) -> Result:
    """The result with every instance whose key is waived marked `waived`.

    A waived instance keeps its dates for the record, loses its money and its
    health, and no longer counts for the commitment's status; the commitment's
    money drops by what the instance carried.
    """
    if not waivers:  # the common case: no need to look at every instance
        return result
    waived = [i for i in result.instances if i.key in waivers and i.status != InstanceStatus.WAIVED]
    if not waived:
        return result
    dropped = [m for inst in waived for m in inst.money]
    for inst in waived:
        inst.status, inst.money, inst.health = InstanceStatus.WAIVED, [], None
        inst.explanation = gettext("Waived by the other side. %(explanation)s") % {"explanation": inst.explanation}
    return replace(result, status=rollup_status(result.instances), counts=count_statuses(result.instances),
                   money=_without(result.money, dropped))


def _without(money: list[MoneyItem], dropped: list[MoneyItem]) -> list[MoneyItem]:
    """`money` minus the `dropped` items (same kind, currency, payer and state); emptied totals disappear."""
    def key(m: MoneyItem) -> tuple:
        return MoneyKind(m.kind), m.currency, m.payer, MoneyState(m.state)

    less: dict[tuple, Decimal] = defaultdict(Decimal)
    for item in dropped:
        less[key(item)] += item.amount
    kept = []
    for item in money:
        if key(item) not in less:
            kept.append(item)
        elif item.amount != less[key(item)]:
            kept.append(replace(item, amount=item.amount - less[key(item)]))
    return kept


def results_to_json(results: list[Result], as_of: dt.datetime) -> dict[str, Any]:
    """The document `pacta check --format json` prints (COMMITMENTS.md section 5)."""
    with paused_gc():  # hundreds of thousands of small dicts, no cycles
        return {"as_of": as_of.isoformat(), "results": [result_to_json(r) for r in results]}


def exit_code(results: list[Result]) -> int:
    """0 when no commitment is broken, 1 when one is (bad input, 2, is found before evaluating)."""
    return 1 if any(r.status == "broken" for r in results) else 0


__all__ = ["apply_waivers", "evaluate", "exit_code", "known_at", "results_to_json"]
