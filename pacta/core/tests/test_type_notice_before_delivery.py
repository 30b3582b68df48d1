"""notice_before_delivery: a notice between max_before and min_before ahead of each delivery."""

import datetime as dt

from pacta.core.commitments.base import InstanceStatus

from .builders import (
    amended,
    check,
    delivery,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    instance,
    make_spec,
    moment,
    notice,
    row,
    statuses,
    waived,
)

AS_OF = "2025-03-31T12:00:00+02:00"


def call_ahead(**params):
    return make_spec("notice_before_delivery", {"min_before": "PT1H", "max_before": "PT24H", **params})


def test_a_notice_exactly_min_before_ahead_counts_and_a_minute_later_does_not():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A"), notice("2025-03-04T09:00:00+01:00", ref="A"),
                   delivery("2025-03-05T10:00:00+01:00", ref="B"), notice("2025-03-05T09:01:00+01:00", ref="B"))
    result = check(call_ahead(), frame, AS_OF)
    assert statuses(result) == {"A": "kept", "B": "broken"}
    assert instance(result, "A").done == moment("2025-03-04T09:00:00+01:00")
    assert instance(result, "A").due == moment("2025-03-04T09:00:00+01:00")  # the last moment to call
    assert "the last notice before it came on March 5, 2025 09:01" in instance(result, "B").explanation


def test_a_notice_exactly_max_before_ahead_counts_and_one_earlier_does_not():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A"), notice("2025-03-03T10:00:00+01:00", ref="A"),
                   delivery("2025-03-06T10:00:00+01:00", ref="B"), notice("2025-03-05T09:59:00+01:00", ref="B"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"A": "kept", "B": "broken"}


def test_without_max_before_any_earlier_notice_counts():
    frame = events(delivery("2025-03-20T10:00:00+01:00", ref="A"), notice("2025-03-01T10:00:00+01:00", ref="A"))
    spec = make_spec("notice_before_delivery", {"min_before": "PT1H"})
    result = check(spec, frame, AS_OF)
    assert statuses(result) == {"A": "kept"}


def test_a_notice_for_another_order_does_not_count_but_one_without_ref_counts_for_all():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A"), notice("2025-03-04T08:00:00+01:00", ref="B"),
                   delivery("2025-03-05T10:00:00+01:00", ref="C"), notice("2025-03-05T07:00:00+01:00"),
                   delivery("2025-03-05T11:00:00+01:00", ref="D"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"A": "broken", "C": "kept", "D": "kept"}


def test_a_later_notice_with_a_ref_does_not_hide_an_earlier_general_one_that_fits():
    # The general call at 08:00 fits; the call for the order at 09:30 is too late.
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A"), notice("2025-03-04T08:00:00+01:00"),
                   notice("2025-03-04T09:30:00+01:00", ref="A"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"A": "kept"}


def test_a_date_only_delivery_gets_the_benefit_of_the_doubt():
    # Delivered "on 7 March": a call at 12:00 on 6 March fits if the truck came before 12:00 on the 7th.
    frame = events(delivery("2025-03-07", ref="A"), notice("2025-03-06T12:00:00+01:00", ref="A"),
                   delivery("2025-03-12", ref="B"), notice("2025-03-10T12:00:00+01:00", ref="B"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"A": "kept", "B": "broken"}


def test_each_delivery_of_an_order_needs_its_own_notice():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A"), notice("2025-03-04T08:00:00+01:00", ref="A"),
                   delivery("2025-03-07T10:00:00+01:00", ref="A"))
    result = check(call_ahead(), frame, AS_OF)
    assert statuses(result) == {"A": "kept", "A#2": "broken"}
    assert result.explanation == "1 of 2 deliveries were announced; A#2 was not."


def test_lines_of_one_delivery_are_one_delivery():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A", product="P1", quantity="2"),
                   delivery("2025-03-04T10:00:00+01:00", ref="A", product="P2", quantity="3"),
                   notice("2025-03-04T08:00:00+01:00", ref="A"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"A": "kept"}


def test_a_delivery_without_ref_is_keyed_by_its_event_id():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref=None, id="D-77"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"D-77": "broken"}


def test_the_summary_names_the_unannounced_delivery():
    frame = events(*[delivery(f"2025-03-{d:02d}T10:00:00+01:00", ref=f"1064{d}") for d in range(3, 6)],
                   notice("2025-03-03T08:00:00+01:00", ref="10643"), notice("2025-03-04T08:00:00+01:00", ref="10644"))
    result = check(call_ahead(), frame, AS_OF)
    assert result.explanation == "2 of 3 deliveries were announced; 10645 was not."
    assert (result.status, result.counts["broken"], result.next_check_at) == ("broken", 1, None)


def test_a_notice_after_as_of_is_not_known_and_a_future_delivery_is_no_instance():
    frame = events(delivery("2025-03-31T10:00:00+02:00", ref="A"), notice("2025-03-31T08:00:00+02:00", ref="A"))
    assert statuses(check(call_ahead(), frame, "2025-03-31T07:00:00+02:00")) == {}
    assert check(call_ahead(), frame, "2025-03-31T07:00:00+02:00").explanation == "No deliveries yet."


def test_an_amendment_widens_the_window_for_later_deliveries_only():
    spec = amended(call_ahead(), "2025-03-10", {"min_before": "PT1H", "max_before": "PT72H"})
    frame = events(delivery("2025-03-06T10:00:00+01:00", ref="OLD"), notice("2025-03-04T10:00:00+01:00", ref="OLD"),
                   delivery("2025-03-14T10:00:00+01:00", ref="NEW"), notice("2025-03-12T10:00:00+01:00", ref="NEW"))
    assert statuses(check(spec, frame, AS_OF)) == {"OLD": "broken", "NEW": "kept"}


def test_a_supplier_agreement_reads_receipts():
    frame = events(row("receipt", "2025-03-04T10:00:00+01:00", ref="PO1"), delivery("2025-03-04T10:00:00+01:00", ref="SO1"))
    spec = make_spec("notice_before_delivery", {"min_before": "PT1H"}, role="supplier")
    assert statuses(check(spec, frame, AS_OF)) == {"PO1": "broken"}


def test_a_waived_delivery_no_longer_breaks_the_commitment():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="A"))
    result = check(waived(call_ahead(), "A"), frame, AS_OF)
    assert instance(result, "A").status == InstanceStatus.WAIVED
    assert (result.status, result.explanation) == ("kept", "1 waived.")


def test_notice_over_the_dst_night_is_measured_in_real_hours():
    # Delivery Sunday 30 March 10:00 CEST; a call Saturday 10:30 CET is 22.5 real hours ahead: within 24 hours.
    frame = events(delivery("2025-03-30T10:00:00+02:00", ref="A"), notice("2025-03-29T10:30:00+01:00", ref="A"))
    assert statuses(check(call_ahead(), frame, AS_OF)) == {"A": "kept"}
    assert instance(check(call_ahead(), frame, AS_OF), "A").done.date() == dt.date(2025, 3, 29)
