"""recurring: an event of `kind` at least every `every` (a heartbeat chain), or one per `period`."""

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
    statuses,
    waived,
)


def fortnightly(**params):
    return make_spec("recurring", {"kind": "update", "every": "P14D", **params})


def update(at, **facts):
    return row("update", at, **facts)


def test_the_first_is_due_every_after_valid_from_inclusive():
    # 1 January + 14 days = 15 January, all of it.
    frame = events(update("2025-01-15T23:59:00+01:00"))
    result = check(fortnightly(), frame, "2025-01-20T12:00:00+01:00")
    first = instance(result, "2025-01-15")
    assert (first.status, first.due, first.days_late) == (InstanceStatus.KEPT, dt.date(2025, 1, 15), 0)


def test_each_next_one_is_due_every_after_the_event_that_fulfilled_the_previous_one():
    frame = events(update("2025-01-10T10:00:00+01:00"), update("2025-01-30T10:00:00+01:00"))
    result = check(fortnightly(), frame, "2025-02-01T12:00:00+01:00")
    assert statuses(result) == {"2025-01-15": "kept", "2025-01-24T10:00": "kept_late", "2025-02-13T10:00": "open"}
    assert instance(result, "2025-01-24T10:00").days_late == 6
    assert instance(result, "2025-02-13T10:00").due == moment("2025-02-13T10:00:00+01:00")
    assert result.explanation == "1 of 2 came in time; 2025-01-24T10:00 did not; next due Feb. 13, 2025 10:00."


def test_a_missing_one_is_overdue_and_its_days_grow():
    frame = events(update("2025-01-10T10:00:00+01:00"))
    result = check(fortnightly(), frame, "2025-01-27T12:00:00+01:00")
    current = instance(result, "2025-01-24T10:00")
    assert (current.status, current.days_late) == (InstanceStatus.OVERDUE, 3)  # 3 x 24 h + 2 h
    assert result.next_check_at == moment("2025-01-28T10:00:00+01:00")


def test_the_current_one_is_at_risk_within_warn_before():
    frame = events(update("2025-01-10T10:00:00+01:00"))
    spec = fortnightly(warn_before="P2D")
    calm = check(spec, frame, "2025-01-22T09:59:00+01:00")
    assert (instance(calm, "2025-01-24T10:00").health, calm.status) == (Health.ON_TRACK, "open")
    assert calm.next_check_at == moment("2025-01-22T10:00:00+01:00")
    worried = check(spec, frame, "2025-01-22T10:00:00+01:00")
    assert (instance(worried, "2025-01-24T10:00").health, worried.status) == (Health.AT_RISK, "at_risk")


def test_a_due_day_is_warned_about_from_the_start_of_the_days_before():
    result = check(fortnightly(warn_before="P2D"), events(), "2025-01-13T00:00:00+01:00")
    assert instance(result, "2025-01-15").health == Health.AT_RISK


def test_whole_days_keep_the_time_of_day_across_the_dst_change():
    frame = events(update("2025-03-20T10:00:00+01:00"))
    result = check(fortnightly(), frame, "2025-03-25T12:00:00+01:00")
    assert instance(result, "2025-04-03T10:00").due == moment("2025-04-03T10:00:00+02:00")


def test_events_of_another_kind_or_ref_do_not_count_and_duplicates_count_once():
    frame = events(row("meeting", "2025-01-05"), update("2025-01-06", ref="other"),
                   update("2025-01-08T10:00:00+01:00", ref="weekly"), update("2025-01-08T10:00:00+01:00", ref="weekly"))
    result = check(fortnightly(ref="weekly"), frame, "2025-01-20T12:00:00+01:00")
    assert statuses(result) == {"2025-01-15": "kept", "2025-01-22T10:00": "open"}


def test_links_due_after_valid_to_are_not_owed():
    spec = make_spec("recurring", {"kind": "update", "every": "P14D"}, agreement_to="2025-01-20")
    result = check(spec, events(update("2025-01-10T10:00:00+01:00")), "2025-02-20T12:00:00+01:00")
    assert statuses(result) == {"2025-01-15": "kept"}
    assert (result.status, result.next_check_at) == ("kept", None)


def test_an_amendment_sets_the_interval_from_the_link_that_starts_after_it():
    spec = amended(fortnightly(), "2025-01-12", {"kind": "update", "every": "P7D"})
    frame = events(update("2025-01-10T10:00:00+01:00"), update("2025-01-20T10:00:00+01:00"))
    result = check(spec, frame, "2025-01-21T12:00:00+01:00")
    # The link from 10 January started under 14 days; the one from 20 January under 7.
    assert statuses(result) == {"2025-01-15": "kept", "2025-01-24T10:00": "kept", "2025-01-27T10:00": "open"}


def test_a_pause_pushes_the_current_due_time():
    frame = events(update("2025-01-10T10:00:00+01:00"))
    spec = paused(fortnightly(), ("2025-01-15T00:00:00+01:00", "2025-01-18T00:00:00+01:00"))
    assert statuses(check(spec, frame, "2025-01-26T12:00:00+01:00")) == {"2025-01-15": "kept", "2025-01-27T10:00": "open"}


def test_a_waived_late_one_no_longer_breaks_the_chain():
    frame = events(update("2025-01-10T10:00:00+01:00"), update("2025-01-30T10:00:00+01:00"))
    result = check(waived(fortnightly(), "2025-01-24T10:00"), frame, "2025-02-01T12:00:00+01:00")
    assert instance(result, "2025-01-24T10:00").status == InstanceStatus.WAIVED
    assert result.status == "open"


# -- period ---------------------------------------------------------------------------


def monthly(**params):
    return make_spec("recurring", {"kind": "meeting", "period": "month", **params})


def test_each_ended_period_without_an_event_is_broken():
    frame = events(row("meeting", "2025-02-06"), row("meeting", "2025-02-20"), row("update", "2025-03-03"))
    result = check(monthly(), frame, "2025-03-28T12:00:00+01:00")
    assert statuses(result) == {"2025-01": "broken", "2025-02": "kept", "2025-03": "open"}
    assert instance(result, "2025-02").done == dt.date(2025, 2, 6)
    assert instance(result, "2025-03").due == dt.date(2025, 3, 31)
    assert result.explanation == "1 of 2 periods had one; 2025-01 had none."
    assert result.next_check_at == moment("2025-04-01T00:00:00+02:00")


def test_the_running_period_is_at_risk_within_warn_before_its_last_day():
    spec = monthly(warn_before="P3D")
    assert instance(check(spec, events(), "2025-01-27T23:59:00+01:00"), "2025-01").health == Health.ON_TRACK
    assert instance(check(spec, events(), "2025-01-28T00:00:00+01:00"), "2025-01").health == Health.AT_RISK


def test_the_first_period_is_cut_to_the_validity():
    spec = make_spec("recurring", {"kind": "meeting", "period": "quarter"}, agreement_from="2025-02-15")
    frame = events(row("meeting", "2025-02-01"))  # before the agreement: does not count
    result = check(spec, frame, "2025-04-02T12:00:00+02:00")
    assert statuses(result) == {"2025-Q1": "broken", "2025-Q2": "open"}
