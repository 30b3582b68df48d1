"""`deadline`: one event of `kind` by `due`.

How it is judged (the engine's docs repeat this):

- One instance, keyed by the due date ("2025-06-30", or "2025-06-30T17:00"
  for a due time). The terms in force on the local date of *as of* set it
  (an amendment that moves the date moves the deadline).
- The first event of `kind` (with `ref`, only with that ref) from the
  commitment's `valid_from` on fulfils it: `kept` by the due date (inclusive),
  `kept_late` after it; without one it is `overdue` once the due date has
  passed, else `open`, and `at_risk` from `remind_before` ahead (counted
  back from the start of a due day).
- A due time without an offset is read on the agreement's clock. Pauses
  from `valid_from` on push the due date.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.utils.translation import gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from pacta.lib.dates import (
    add_duration,
    days_late,
    is_after,
    is_date,
    local_date,
    localize,
    shift_date_for_pauses,
    shift_instant_for_pauses,
    start_of_day,
    tzinfo,
)

from ._facts import (
    FIRST,
    SetBased,
    Texts,
    earliest,
    facts,
    local_moments,
    next_days_late_change,
    passes_at,
    pauses_before,
    sentence,
)
from ._fields import Duration
from ._kinds import EventKind
from .base import (
    EVENT_KINDS,
    CommitmentType,
    Health,
    InstanceResult,
    InstanceStatus,
    Params,
    Result,
    Spec,
    make_result,
    register,
)


class DeadlineParams(Params):
    kind: EventKind = Field(description="Which event fulfils it, e.g. attestation.")
    ref: str | None = Field(None, description="Only an event with this reference counts.")
    due: dt.date | dt.datetime = Field(description="The date (inclusive) or moment it is due.")
    remind_before: Duration | None = Field(None, description="Tell the owners this long before.")


@register
class Deadline(SetBased, CommitmentType):
    name = "deadline"
    label = _("Deadline")
    help = _("One thing done by a date: a renewal notice, a certificate, a price review, a checklist item.")
    Params = DeadlineParams
    # Its `kind` parameter may name any kind of event, so any new event may touch it.
    reads = {"customer": EVENT_KINDS, "supplier": EVENT_KINDS}

    def evaluate_many(self, specs: list[Spec], events: pl.DataFrame, as_of: dt.datetime) -> list[Result]:
        if not specs:
            return []
        texts = Texts()
        terms = [s.terms_on(local_date(as_of, False, s.timezone)) for s in specs]
        first = first_events(specs, [t.params for t in terms], events, as_of)
        return [_result(spec, seg.params, seg.removed, first.get(i), as_of, texts)
                for i, (spec, seg) in enumerate(zip(specs, terms))]


def first_events(specs: list[Spec], params: list[DeadlineParams], events: pl.DataFrame,
                 as_of: dt.datetime) -> dict[int, dt.date | dt.datetime]:
    """The first event that fulfils each commitment (index -> moment), for those that have one."""
    wanted = pl.DataFrame({"spec": range(len(specs)), "want_kind": [str(p.kind) for p in params],
                           "want_ref": [p.ref for p in params]},
                          schema={"spec": pl.Int64, "want_kind": pl.Utf8, "want_ref": pl.Utf8})
    every_kind = lambda spec: {str(seg.params.kind): "event" for seg in spec.segments}  # noqa: E731
    found = (
        facts(specs, events, as_of, every_kind)
        .join(wanted, on="spec")
        .filter(pl.col("kind") == pl.col("want_kind"),
                pl.col("want_ref").is_null() | (pl.col("ref") == pl.col("want_ref")))
        .sort("spec", *FIRST)
        .group_by("spec", maintain_order=True).first()
    )
    return dict(zip(found["spec"].to_list(), local_moments(found, "at", "day", "date_only")))


def due_moment(spec: Spec, params: DeadlineParams, done=None) -> dt.date | dt.datetime | None:
    """The deadline pushed by the pauses that began before it was met (`done`); None while a pause holds it."""
    tz = spec.timezone
    due = params.due
    start = start_of_day(spec.valid_from, tz)
    pauses = pauses_before(spec.pauses, done, tz)
    if is_date(due):
        return shift_date_for_pauses(start, due, pauses, tz)
    if due.tzinfo is None:
        due = localize(due, tz)
    shifted = shift_instant_for_pauses(start, due, pauses)
    return shifted and shifted.astimezone(tzinfo(tz))


def _result(spec: Spec, params: DeadlineParams, removed: bool, done, as_of: dt.datetime, texts: Texts) -> Result:
    if removed:
        return make_result(spec, [], texts.say(gettext_noop("No longer part of the agreement.")))
    inst, next_at = _instance(spec, params, done, as_of, texts)
    summary = inst.explanation if inst.key not in spec.waivers else texts.say(gettext_noop("Waived."))
    return make_result(spec, [inst], summary, next_check_at=earliest([next_at], as_of))


def _instance(spec: Spec, params: DeadlineParams, done, as_of: dt.datetime, texts: Texts
              ) -> tuple[InstanceResult, dt.datetime | None]:
    tz = spec.timezone
    due = due_moment(spec, params, done)
    key = params.due.isoformat() if is_date(params.due) else params.due.strftime("%Y-%m-%dT%H:%M")
    if due is None:
        return InstanceResult(key, InstanceStatus.KEPT if done else InstanceStatus.OPEN, None, done, 0 if done else None,
                              None if done else Health.ON_TRACK, [],
                              texts.say(gettext_noop("Paused: the due date moves with the pause."))), None
    values = {"due": texts.moment(due), "done": texts.moment(done) if done else ""}
    if done is not None:
        late = days_late(due, done, tz) if is_after(done, due, tz) else None
        if late is None:
            return InstanceResult(key, InstanceStatus.KEPT, due, done, 0, None, [],
                                  texts.say(gettext_noop("Due %(due)s, done %(done)s."), values)), None
        values["days"] = late
        text = texts.ngettext("Due %(due)s, done %(done)s: %(days)s day late.",
                              "Due %(due)s, done %(done)s: %(days)s days late.", late) % values
        return InstanceResult(key, InstanceStatus.KEPT_LATE, due, done, late, None, [], text), None
    if as_of >= passes_at(due, tz):
        late = days_late(due, as_of, tz)
        values["days"] = late
        text = texts.ngettext("Due %(due)s and not done: %(days)s day late.",
                              "Due %(due)s and not done: %(days)s days late.", late) % values
        return (InstanceResult(key, InstanceStatus.OVERDUE, due, None, late, None, [], text),
                next_days_late_change(due, late, as_of, tz))
    remind_from = reminder_start(due, params.remind_before, tz)
    if remind_from is not None and as_of >= remind_from:
        return (InstanceResult(key, InstanceStatus.OPEN, due, None, None, Health.AT_RISK, [],
                               texts.say(gettext_noop("Due %(due)s, soon: not done yet."), values)),
                passes_at(due, tz))
    text = sentence(texts.say(gettext_noop("Due %(due)s"), values))
    return InstanceResult(key, InstanceStatus.OPEN, due, None, None, Health.ON_TRACK, [], text), (
        remind_from or passes_at(due, tz))


def reminder_start(due: dt.date | dt.datetime, remind_before: dt.timedelta | None, tz: str) -> dt.datetime | None:
    """When owners are reminded: `remind_before` before the start of a due day, or before a due instant."""
    if remind_before is None:
        return None
    base = start_of_day(due, tz) if is_date(due) else due
    return add_duration(base, -remind_before, tz)


__all__ = ["Deadline", "DeadlineParams", "due_moment", "first_events", "reminder_start"]
