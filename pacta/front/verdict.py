"""The verdict of one commitment for its page, evaluated live.

The stored verdict (the commitment's cached columns and its `Instance` rows,
written by `pacta.core.evaluation.evaluate_and_store`) is as of the watcher's
last run and in the language it ran in. The page evaluates the commitment
again instead: as of the domain clock or the end of a day the reader picks, in
the reader's language, from one commitment and its party's events (a few to
some tens of milliseconds).

Drafts are not evaluated (a draft binds nobody yet, docs/evaluation.md), and
an evaluation can fail (terms that no longer validate): then the page shows
the stored verdict with a note that says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from pacta.core.commitments.base import InstanceResult, Result, money_to_json
from pacta.core.engine import evaluate
from pacta.core.evaluation import events_frame, specs_from_db
from pacta.core.models import Agreement, Commitment
from pacta.lib.dates import end_of_day

logger = logging.getLogger(__name__)

INSTANCE_CAP = 50  # rows shown before "show all"
PAGE_SIZE = 200  # rows per page of "show all"
# What needs a look first in a long table: breaches and open instances at risk.
ATTENTION = {"overdue", "broken", "kept_late"}


@dataclass
class Row:
    """One instance as the table shows it (the same attributes as a stored `Instance`)."""

    key: str
    status: str
    health: str
    due: dt.date | dt.datetime | None
    done: dt.date | dt.datetime | None
    days_late: int | None
    money: list[dict]
    explanation: str


@dataclass
class Verdict:
    """What the page shows of a commitment's verdict, live or stored."""

    live: bool
    status: str  # open | at_risk | broken | kept | not_evaluated
    explanation: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    money: list[dict] = field(default_factory=list)
    next_check_at: dt.datetime | None = None
    as_of: dt.datetime | None = None
    evaluated_at: dt.datetime | None = None  # stored verdicts: when the watcher ran
    instances: list[Any] = field(default_factory=list)  # InstanceResult (live) or Instance (stored), in order
    result: Result | None = None  # live only
    note: str = ""  # why the stored verdict is shown
    # Live only, for charting an earlier period: the specs and events the result came from.
    _specs: list = field(default_factory=list, repr=False)
    _events: Any = field(default=None, repr=False)

    @property
    def nonzero_counts(self) -> list[tuple[str, int]]:
        """(status, count) of the statuses that occur."""
        return [(code, n) for code, n in self.counts.items() if n]

    def instance(self, key: str) -> InstanceResult | None:
        """The live instance with this key (None when stored or unknown)."""
        if self.result is None:
            return None
        return next((i for i in self.result.instances if i.key == key), None)

    def series_of(self, inst: InstanceResult) -> dict | None:
        """The running total by day of an earlier period (`{"days", "totals"}`).

        The engine reports the running total of the latest period only; an
        earlier period's is the latest one's as of that period's last moment
        (the events of an ended period, and so its running total, are the same
        as of any later moment). None when that replay does not name the same
        period (the period's length changed by an amendment since).
        """
        end = inst.data.get("end") if self.result is not None else None
        if end is None or self.as_of is None:
            return None
        moment = min(end_of_day(end, self._specs[0].timezone), self.as_of)
        replay = evaluate(self._specs, self._events, moment)[0]
        return replay.data.get("series") if replay.data.get("period") == inst.key else None


def as_of_moment(day: dt.date, agreement: Agreement) -> dt.datetime:
    """The end of `day` in the agreement's time zone: "the status at the end of that day"."""
    return end_of_day(day, agreement.timezone)


def verdict_of(commitment: Commitment, as_of: dt.datetime) -> Verdict:
    """The commitment judged live as of `as_of` in the active language, or its stored verdict with a note."""
    agreement = commitment.agreement
    if agreement.status == Agreement.Status.DRAFT:
        return stored_verdict(commitment, _(
            "This agreement is a draft: drafts are not evaluated. Shown is the last stored verdict, if any."))
    errors: list[str] = []
    specs = specs_from_db([commitment], errors=errors)
    if not specs:
        logger.warning("commitment %s not evaluated: %s", commitment, "; ".join(errors))
        return stored_verdict(commitment, _(
            "This commitment cannot be evaluated: its stored terms no longer fit its type (%(errors)s). "
            "Shown is the last stored verdict.") % {"errors": "; ".join(errors)})
    try:
        events = events_frame([agreement.party.code], as_of)
        result = evaluate(specs, events, as_of)[0]
    except Exception:  # the page stays usable; the watcher's stored verdict is still there
        logger.exception("live evaluation of %s failed", commitment)
        return stored_verdict(commitment, _("The live evaluation failed. Shown is the last stored verdict."))
    return Verdict(
        live=True, status=result.status, explanation=result.explanation, counts=result.counts,
        money=[money_to_json(m) for m in result.money], next_check_at=result.next_check_at, as_of=as_of,
        instances=list(result.instances), result=result, _specs=specs, _events=events,
    )


def stored_verdict(commitment: Commitment, note: str) -> Verdict:
    """The verdict the watcher stored last (`not_evaluated` when it never ran), with the stored instances."""
    if commitment.evaluated_at is None:
        return Verdict(live=False, status="not_evaluated", note=note, instances=list(commitment.instances.all()))
    return Verdict(
        live=False, status=commitment.status, explanation=commitment.explanation, counts=commitment.counts or {},
        money=commitment.money or [], next_check_at=commitment.next_check_at, as_of=commitment.as_of,
        evaluated_at=commitment.evaluated_at, instances=list(commitment.instances.all()), note=note,
    )


def _row(inst: InstanceResult) -> Row:
    """A live instance as the table shows it: plain status words, money as the stored JSON items."""
    return Row(
        key=inst.key, status=str(inst.status), health=str(inst.health or ""), due=inst.due, done=inst.done,
        days_late=inst.days_late, money=[money_to_json(m) for m in inst.money], explanation=inst.explanation,
    )


@dataclass
class InstanceTable:
    """The rows of the instance table and how they were chosen."""

    rows: list[Any]  # Row or Instance
    total: int
    capped: bool = False  # only the first INSTANCE_CAP: those that need a look, then the latest
    page: Page | None = None  # "show all": one page of every instance


def instance_table(instances: list[Any], *, show_all: bool = False, page: str | int | None = None) -> InstanceTable:
    """All rows of a short table; of a long one, those that need a look first
    (breaches, open instances at risk) and then the latest, up to INSTANCE_CAP,
    or with `show_all` every row, one page at a time."""
    total = len(instances)
    if total <= INSTANCE_CAP:
        return InstanceTable(rows=_rows(instances), total=total)
    if show_all:
        current = Paginator(instances, PAGE_SIZE).get_page(page)
        return InstanceTable(rows=_rows(current), total=total, page=current)
    urgent = [i for i in instances if _needs_a_look(i)][-INSTANCE_CAP:]
    room = INSTANCE_CAP - len(urgent)
    rest = [i for i in instances if not _needs_a_look(i)][-room:] if room else []
    return InstanceTable(rows=_rows(urgent + rest), total=total, capped=True)


def _rows(instances) -> list[Any]:
    """Only the rows shown are converted: a commitment can have tens of thousands of instances."""
    return [_row(i) if isinstance(i, InstanceResult) else i for i in instances]


def _needs_a_look(inst: Any) -> bool:
    return inst.status in ATTENTION or (inst.status == "open" and inst.health == "at_risk")


__all__ = ["INSTANCE_CAP", "InstanceTable", "Row", "Verdict", "as_of_moment", "instance_table", "stored_verdict",
           "verdict_of"]
