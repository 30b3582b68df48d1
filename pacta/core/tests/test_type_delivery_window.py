"""delivery_window: deliveries only on the agreed weekdays between two local times."""

from pacta.core.commitments.base import InstanceStatus

from .builders import (
    amended,
    check,
    delivery,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    instance,
    make_spec,
    statuses,
)

AS_OF = "2025-03-31T12:00:00+02:00"


def mornings(**params):
    return make_spec("delivery_window", {"from": "07:00", "to": "12:00", **params})


def test_both_ends_of_the_window_are_included():
    frame = events(delivery("2025-03-04T07:00:00+01:00", ref="A"), delivery("2025-03-04T12:00:00+01:00", ref="B"),
                   delivery("2025-03-04T06:59:59+01:00", ref="C"), delivery("2025-03-04T12:00:01+01:00", ref="D"))
    result = check(mornings(), frame, AS_OF)
    assert statuses(result) == {"A": "kept", "B": "kept", "C": "broken", "D": "broken"}
    assert instance(result, "D").explanation == (
        "Delivered on Tue March 4, 2025 12:00:01, outside the agreed window (Mon, Tue, Wed, Thu, Fri 07:00-12:00).")
    assert result.explanation == "2 of 4 deliveries came within the window; C and D did not."


def test_a_delivery_on_a_day_not_agreed_is_outside_the_window():
    frame = events(delivery("2025-03-08T09:00:00+01:00", ref="SAT"), delivery("2025-03-07T09:00:00+01:00", ref="FRI"))
    assert statuses(check(mornings(), frame, AS_OF)) == {"SAT": "broken", "FRI": "kept"}
    assert statuses(check(mornings(weekdays=["sat"]), frame, AS_OF)) == {"SAT": "kept", "FRI": "broken"}


def test_the_window_is_read_on_the_local_clock_after_the_clocks_change():
    # 31 March 2025 is summer time: 11:30 CEST is 09:30 UTC.
    frame = events(delivery("2025-03-31T09:30:00+00:00", ref="A"))
    assert statuses(check(mornings(), frame, "2025-03-31T18:00:00+02:00")) == {"A": "kept"}


def test_the_window_may_have_its_own_time_zone():
    frame = events(delivery("2025-03-04T14:00:00+01:00", ref="A"))  # 08:00 in New York
    assert statuses(check(mornings(timezone="America/New_York"), frame, AS_OF)) == {"A": "kept"}
    assert statuses(check(mornings(), frame, AS_OF)) == {"A": "broken"}


def test_a_date_only_delivery_is_judged_by_its_day():
    frame = events(delivery("2025-03-07", ref="FRI"), delivery("2025-03-08", ref="SAT"))
    result = check(mornings(), frame, AS_OF)
    assert statuses(result) == {"FRI": "kept", "SAT": "broken"}
    assert "an agreed day" in instance(result, "FRI").explanation


def test_an_amendment_changes_the_window_from_its_date():
    spec = amended(mornings(), "2025-03-10", {"from": "07:00", "to": "16:00"})
    frame = events(delivery("2025-03-05T15:00:00+01:00", ref="OLD"), delivery("2025-03-12T15:00:00+01:00", ref="NEW"))
    assert statuses(check(spec, frame, AS_OF)) == {"OLD": "broken", "NEW": "kept"}


def test_only_known_deliveries_of_the_party_count():
    frame = events(delivery("2025-03-04T15:00:00+01:00", ref="A", party="OTHER"),
                   delivery("2025-04-04T15:00:00+02:00", ref="B"))
    result = check(mornings(), frame, AS_OF)
    assert (result.instances, result.status, result.explanation) == ([], "open", "No deliveries yet.")


def test_every_instance_is_kept_or_broken():
    frame = events(delivery("2025-03-04T09:00:00+01:00", ref="A"))
    inst = instance(check(mornings(), frame, AS_OF), "A")
    assert (inst.status, inst.days_late, inst.health, inst.due) == (InstanceStatus.KEPT, 0, None, None)
