"""deadline: one event of `kind` (optionally with `ref`) by `due`."""

import datetime as dt

from pacta.core.commitments.base import Health, InstanceStatus

from .builders import (
    amended,
    check,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    instance,
    make_spec,
    moment,
    paused,
    row,
    waived,
)

REVIEW = {"kind": "attestation", "ref": "price-review", "due": "2025-06-30", "remind_before": "P14D"}


def review(**params):
    return make_spec("deadline", {**REVIEW, **params})


def attested(at, ref="price-review"):
    return row("attestation", at, ref=ref)


def only(result):
    assert len(result.instances) == 1
    return result.instances[0]


def test_done_on_the_due_date_is_kept_until_the_end_of_the_day():
    result = check(review(), events(attested("2025-06-30T23:59:00+02:00")), "2025-07-10T12:00:00+02:00")
    inst = only(result)
    assert (inst.key, inst.status, inst.due, inst.days_late) == ("2025-06-30", InstanceStatus.KEPT, dt.date(2025, 6, 30), 0)
    assert result.status == "kept"


def test_done_after_the_due_date_is_kept_late():
    inst = only(check(review(), events(attested("2025-07-02")), "2025-07-10T12:00:00+02:00"))
    assert (inst.status, inst.days_late) == (InstanceStatus.KEPT_LATE, 2)


def test_before_the_reminder_it_is_on_track_then_at_risk_then_overdue():
    spec, frame = review(), events(attested("2025-06-01", ref="another-review"))
    early = check(spec, frame, "2025-06-15T23:59:00+02:00")
    assert (only(early).health, early.next_check_at) == (Health.ON_TRACK, moment("2025-06-16T00:00:00+02:00"))
    reminded = check(spec, frame, "2025-06-16T00:00:00+02:00")
    assert (only(reminded).health, reminded.status) == (Health.AT_RISK, "at_risk")
    assert reminded.next_check_at == moment("2025-07-01T00:00:00+02:00")
    late = check(spec, frame, "2025-07-01T00:00:00+02:00")
    assert (only(late).status, only(late).days_late, late.status) == (InstanceStatus.OVERDUE, 1, "broken")


def test_a_due_time_is_an_instant_and_lateness_counts_whole_days():
    spec = review(due="2025-06-30T17:00:00+02:00")
    inst = only(check(spec, events(attested("2025-07-02T16:00:00+02:00")), "2025-07-10T12:00:00+02:00"))
    assert (inst.key, inst.status, inst.days_late) == ("2025-06-30T17:00", InstanceStatus.KEPT_LATE, 1)


def test_events_before_valid_from_do_not_count():
    spec = make_spec("deadline", REVIEW, agreement_from="2025-03-01")
    assert only(check(spec, events(attested("2025-02-01")), "2025-04-01T12:00:00+02:00")).status == InstanceStatus.OPEN


def test_an_amendment_that_moves_the_date_moves_the_deadline_from_its_effective_date():
    spec = amended(review(), "2025-06-01", {**REVIEW, "due": "2025-09-30"})
    assert only(check(spec, events(), "2025-05-20T12:00:00+02:00")).due == dt.date(2025, 6, 30)
    assert only(check(spec, events(), "2025-07-20T12:00:00+02:00")).status == InstanceStatus.OPEN


def test_a_pause_moves_the_due_date():
    spec = paused(review(), ("2025-06-25T00:00:00+02:00", "2025-06-28T00:00:00+02:00"))
    assert only(check(spec, events(), "2025-07-02T12:00:00+02:00")).due == dt.date(2025, 7, 3)


def test_a_waived_deadline_no_longer_breaks_anything():
    result = check(waived(review(), "2025-06-30"), events(), "2025-07-10T12:00:00+02:00")
    assert (only(result).status, result.status, result.explanation) == (InstanceStatus.WAIVED, "kept", "Waived.")
