"""on_time_delivery: each order delivered by its due date (COMMITMENTS.md section 3)."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from pacta.core.commitments.base import Health, InstanceStatus

from .builders import (
    amended,
    check,
    delivery,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    instance,
    make_spec,
    moment,
    money,
    order,
    paused,
    row,
    statuses,
    waived,
)

AS_OF = "2025-03-31T12:00:00+02:00"


def otd(**params):
    return make_spec("on_time_delivery", params)


# -- due dates ------------------------------------------------------------------


def test_an_order_delivered_on_its_due_date_is_kept_until_the_last_minute():
    frame = events(order("2025-03-03", ref="A", due="2025-03-06"), delivery("2025-03-06T23:59:00+01:00", ref="A"),
                   order("2025-03-03", ref="B", due="2025-03-06"), delivery("2025-03-07T00:01:00+01:00", ref="B"))
    result = check(otd(), frame, AS_OF)
    assert statuses(result) == {"A": "kept", "B": "kept_late"}
    assert instance(result, "A").days_late == 0
    assert instance(result, "B").days_late == 1  # one minute into 7 March: one calendar day late
    assert instance(result, "A").due == dt.date(2025, 3, 6)
    assert result.status == "broken"


def test_lead_days_count_calendar_days_from_the_order_date():
    frame = events(order("2025-03-03", ref="A"), delivery("2025-03-06", ref="A"),
                   order("2025-03-03", ref="B"), delivery("2025-03-07", ref="B"))
    result = check(otd(lead_days=3), frame, AS_OF)
    assert instance(result, "A").due == dt.date(2025, 3, 6)  # 3 March + 3 days
    assert statuses(result) == {"A": "kept", "B": "kept_late"}


def test_lead_days_win_over_the_due_date_of_the_lines():
    frame = events(order("2025-03-03", ref="A", due="2025-03-20"), delivery("2025-03-10", ref="A"))
    assert instance(check(otd(lead_days=3), frame, AS_OF), "A").due == dt.date(2025, 3, 6)


def test_business_days_skip_the_weekend_and_a_holiday_in_the_middle_of_the_lead_time():
    # Wednesday 16 April + 3 NL working days: Thu 17, (Good Friday, weekend, Easter Monday), Tue 22, Wed 23.
    frame = events(order("2025-04-16", ref="A"), delivery("2025-04-23", ref="A"))
    result = check(otd(lead_days=3, business_days=True), frame, "2025-04-30T12:00:00+02:00")
    assert instance(result, "A").due == dt.date(2025, 4, 23)
    assert instance(result, "A").status == InstanceStatus.KEPT
    # Counting calendar days the order was due on Saturday 19 April: four days late.
    calendar = check(otd(lead_days=3), frame, "2025-04-30T12:00:00+02:00")
    assert (instance(calendar, "A").due, instance(calendar, "A").days_late) == (dt.date(2025, 4, 19), 4)


def test_an_order_without_due_date_or_lead_time_is_open_until_delivered():
    frame = events(order("2025-03-03", ref="A", due=None), order("2025-03-03", ref="B", due=None),
                   delivery("2025-03-20", ref="B"))
    result = check(otd(), frame, AS_OF)
    assert statuses(result) == {"A": "open", "B": "kept"}
    assert "no due date" in instance(result, "A").explanation


def test_the_latest_due_of_the_lines_is_the_orders_due():
    frame = events(order("2025-03-03", ref="A", product="P1", due="2025-03-05"),
                   order("2025-03-03", ref="A", product="P2", due="2025-03-08"), delivery("2025-03-08", ref="A"))
    assert instance(check(otd(), frame, AS_OF), "A").due == dt.date(2025, 3, 8)


# -- grace, open, overdue ---------------------------------------------------------------


def test_a_delivery_within_the_grace_days_is_kept_and_later_days_count_from_the_due_date():
    frame = events(order("2025-03-03", ref="A", due="2025-03-06"), delivery("2025-03-08", ref="A"),
                   order("2025-03-03", ref="B", due="2025-03-06"), delivery("2025-03-09", ref="B"))
    result = check(otd(grace_days=2), frame, AS_OF)
    assert statuses(result) == {"A": "kept", "B": "kept_late"}
    assert instance(result, "B").days_late == 3  # 9 March - 6 March, not 1 day past the grace


def test_an_open_order_is_on_track_before_its_due_date_and_at_risk_in_the_grace_period():
    frame = events(order("2025-03-25", ref="A", due="2025-04-02"), order("2025-03-25", ref="B", due="2025-03-30"))
    result = check(otd(grace_days=2), frame, AS_OF)  # 31 March: B is a day past its due, inside the grace
    assert statuses(result) == {"A": "open", "B": "open"}
    assert instance(result, "A").health == Health.ON_TRACK
    assert instance(result, "B").health == Health.AT_RISK
    assert result.status == "at_risk"
    # B's grace ends with 1 April: on 2 April 00:00 it is overdue, before A can change.
    assert result.next_check_at == moment("2025-04-02T00:00:00+02:00")


def test_an_undelivered_order_past_its_due_date_is_overdue_and_its_days_grow_with_as_of():
    frame = events(order("2025-03-03", ref="A", due="2025-03-20", amount="1000"))
    spec = otd(penalty={"percent": "1"})
    result = check(spec, frame, AS_OF)
    inst = instance(result, "A")
    assert (inst.status, inst.days_late) == (InstanceStatus.OVERDUE, 11)  # 31 - 20
    assert money(inst) == [("penalty", Decimal("110.00"), "us", "accrued")]  # 1000 x 1% x 11, still growing
    assert result.next_check_at == moment("2025-04-01T00:00:00+02:00")  # tomorrow it is 12 days
    assert instance(check(spec, frame, "2025-04-02T08:00:00+02:00"), "A").days_late == 13


def test_a_delivery_after_as_of_is_not_known_yet():
    frame = events(order("2025-03-03", ref="A", due="2025-03-20"), delivery("2025-04-02", ref="A"))
    assert instance(check(otd(), frame, AS_OF), "A").status == InstanceStatus.OVERDUE


# -- date versus timestamp lateness --------------------------------------------------------


def test_between_two_instants_days_late_are_whole_24_hour_periods():
    frame = events(order("2025-03-03", ref="A", due="2025-03-05T12:00:00+01:00"),
                   delivery("2025-03-07T11:00:00+01:00", ref="A"))
    inst = instance(check(otd(), frame, AS_OF), "A")
    assert (inst.status, inst.days_late) == (InstanceStatus.KEPT_LATE, 1)  # 47 hours
    assert inst.due == moment("2025-03-05T12:00:00+01:00")


def test_with_partial_days_a_started_day_late_counts_whole():
    frame = events(order("2025-03-03", ref="A", due="2025-03-05T12:00:00+01:00", amount="1000"),
                   delivery("2025-03-07T11:00:00+01:00", ref="A"))
    inst = instance(check(otd(penalty={"percent": "1", "partial_day_counts": True}), frame, AS_OF), "A")
    assert inst.days_late == 2  # 47 hours: two started days
    assert money(inst) == [("penalty", Decimal("20.00"), "us", "due")]


def test_a_few_hours_late_on_an_instant_deadline_is_late_with_zero_days():
    frame = events(order("2025-03-03", ref="A", due="2025-03-05T12:00:00+01:00", amount="1000"),
                   delivery("2025-03-05T15:00:00+01:00", ref="A"))
    inst = instance(check(otd(penalty={"percent": "1"}), frame, AS_OF), "A")
    assert (inst.status, inst.days_late, inst.money) == (InstanceStatus.KEPT_LATE, 0, [])


def test_days_late_over_the_dst_night_are_real_hours():
    # Due Saturday 29 March 12:00 CET, delivered Sunday 30 March 12:30 CEST: 23.5 real hours.
    frame = events(order("2025-03-20", ref="A", due="2025-03-29T12:00:00+01:00"),
                   delivery("2025-03-30T12:30:00+02:00", ref="A"))
    assert instance(check(otd(), frame, AS_OF), "A").days_late == 0


def test_a_date_only_delivery_on_an_instant_deadlines_day_is_on_time():
    frame = events(order("2025-03-03", ref="A", due="2025-03-05T12:00:00+01:00"), delivery("2025-03-05", ref="A"))
    assert instance(check(otd(), frame, AS_OF), "A").status == InstanceStatus.KEPT


# -- what counts as delivered ----------------------------------------------------------------


def test_an_order_is_delivered_once_every_products_quantity_is_covered():
    frame = events(
        order("2025-03-03", ref="A", product="P1", quantity="10", due="2025-03-10"),
        order("2025-03-03", ref="A", product="P2", quantity="5", due="2025-03-10"),
        delivery("2025-03-05", ref="A", product="P1", quantity="6"),
        delivery("2025-03-09", ref="A", product="P2", quantity="5"),
        delivery("2025-03-12", ref="A", product="P1", quantity="4"),
    )
    inst = instance(check(otd(), frame, AS_OF), "A")
    assert (inst.status, inst.done, inst.days_late) == (InstanceStatus.KEPT_LATE, dt.date(2025, 3, 12), 2)


def test_a_partly_delivered_order_is_overdue_and_says_how_far_it_got():
    frame = events(
        order("2025-03-03", ref="A", product="P1", quantity="10", due="2025-03-10"),
        order("2025-03-03", ref="A", product="P2", quantity="5", due="2025-03-10"),
        delivery("2025-03-05", ref="A", product="P1", quantity="10"),
    )
    inst = instance(check(otd(), frame, AS_OF), "A")
    assert inst.status == InstanceStatus.OVERDUE
    assert "1 of 2 products delivered so far" in inst.explanation


def test_a_delivery_without_quantity_delivers_the_whole_order():
    frame = events(order("2025-03-03", ref="A", product="P1", quantity="10", due="2025-03-10"),
                   order("2025-03-03", ref="A", product="P2", quantity="5", due="2025-03-10"),
                   delivery("2025-03-04", ref="A", product="P1", quantity="2"), delivery("2025-03-08", ref="A"))
    inst = instance(check(otd(), frame, AS_OF), "A")
    assert (inst.status, inst.done) == (InstanceStatus.KEPT, dt.date(2025, 3, 8))


def test_only_order_lines_of_the_commitments_products_count():
    frame = events(order("2025-03-03", ref="A", product="P1", amount="100", due="2025-03-10"),
                   order("2025-03-03", ref="A", product="P9", quantity="5", amount="900", due="2025-03-10"),
                   delivery("2025-03-09", ref="A", product="P1", quantity="10"),
                   order("2025-03-03", ref="B", product="P9", due="2025-03-10"))
    spec = make_spec("on_time_delivery", {}, products=("P1",))
    result = check(spec, frame, AS_OF)
    assert statuses(result) == {"A": "kept"}  # P9 is not covered, B has no line of P1


def test_a_supplier_agreement_reads_purchase_orders_and_receipts_and_the_supplier_pays():
    frame = events(row("purchase_order", "2025-03-03", ref="PO1", product="P1", quantity="1", amount="2000",
                       due=dt.datetime(2025, 3, 5, tzinfo=dt.timezone.utc), due_date_only=True),
                   row("receipt", "2025-03-07", ref="PO1"),
                   order("2025-03-03", ref="SO1", due="2025-03-05"))
    spec = make_spec("on_time_delivery", {"penalty": {"percent": "0.5"}}, role="supplier")
    result = check(spec, frame, AS_OF)
    assert statuses(result) == {"PO1": "kept_late"}
    assert money(result) == [("penalty", Decimal("20.00"), "them", "due")]  # 2000 x 0.5% x 2 days


# -- penalties ---------------------------------------------------------------------------------------


def test_the_penalty_is_value_times_percent_times_days_over_per_days():
    frame = events(order("2025-03-03", ref="A", amount="700", due="2025-03-05"), delivery("2025-03-15", ref="A"))
    inst = instance(check(otd(penalty={"percent": "2", "per_days": 7}), frame, AS_OF), "A")
    # 700 x 2% x 10/7 = 20.00
    assert money(inst) == [("penalty", Decimal("20.00"), "us", "due")]
    assert "penalty 20.00 EUR" in inst.explanation


def test_per_started_period_counts_every_begun_week_whole():
    frame = events(order("2025-03-03", ref="A", amount="700", due="2025-03-05"), delivery("2025-03-15", ref="A"))
    spec = otd(penalty={"percent": "2", "per_days": 7, "per_started_period": True})
    assert money(instance(check(spec, frame, AS_OF), "A")) == [("penalty", Decimal("28.00"), "us", "due")]  # 700 x 2% x 2


def test_the_penalty_never_exceeds_its_cap_and_is_due_once_capped():
    frame = events(order("2025-03-03", ref="A", amount="1000", due="2025-03-05"))
    inst = instance(check(otd(penalty={"percent": "1", "cap_percent": "5"}), frame, AS_OF), "A")
    assert inst.days_late == 26
    assert money(inst) == [("penalty", Decimal("50.00"), "us", "due")]  # 260 capped at 5% of 1000


def test_money_is_summed_exactly_and_rounded_only_at_the_end():
    frame = events(order("2025-03-03", ref="A", amount="0.35", due="2025-03-05"), delivery("2025-03-06", ref="A"),
                   order("2025-03-03", ref="B", amount="0.35", due="2025-03-05"), delivery("2025-03-06", ref="B"))
    result = check(otd(penalty={"percent": "1"}), frame, AS_OF)
    # Each is 0.0035 (0.00 when rounded); together 0.0070, rounded 0.01.
    assert money(result) == [("penalty", Decimal("0.01"), "us", "due")]


def test_force_majeure_on_the_delivery_or_the_order_waives_the_penalty_when_agreed():
    frame = events(order("2025-03-03", ref="A", amount="1000", due="2025-03-05"),
                   delivery("2025-03-07", ref="A", force_majeure=True),
                   order("2025-03-03", ref="B", amount="1000", due="2025-03-05", force_majeure=True),
                   delivery("2025-03-07", ref="B"))
    agreed = check(otd(penalty={"percent": "1", "force_majeure": True}), frame, AS_OF)
    assert statuses(agreed) == {"A": "kept_late", "B": "kept_late"}  # still late: a breach on record
    assert agreed.money == []
    assert "force majeure" in instance(agreed, "A").explanation
    not_agreed = check(otd(penalty={"percent": "1"}), frame, AS_OF)
    assert money(not_agreed) == [("penalty", Decimal("40.00"), "us", "due")]


def test_beyond_terminate_after_days_the_explanation_says_the_customer_may_terminate():
    frame = events(order("2025-02-01", ref="A", due="2025-02-10"), order("2025-03-20", ref="B", due="2025-03-25"))
    result = check(otd(penalty={"percent": "1", "terminate_after_days": 30}), frame, AS_OF)
    assert "may terminate" in instance(result, "A").explanation  # 49 days late
    assert "may terminate" not in instance(result, "B").explanation  # 6 days late


# -- terms, waivers, pauses, validity ----------------------------------------------------------------------------


def test_an_amendment_judges_each_order_by_the_terms_in_force_on_its_date():
    spec = amended(otd(lead_days=5), "2025-03-15", {"lead_days": 2})
    frame = events(order("2025-03-10", ref="OLD"), delivery("2025-03-15", ref="OLD"),
                   order("2025-03-20", ref="NEW"), delivery("2025-03-23", ref="NEW"))
    result = check(spec, frame, AS_OF)
    assert instance(result, "OLD").due == dt.date(2025, 3, 15)
    assert instance(result, "NEW").due == dt.date(2025, 3, 22)
    assert statuses(result) == {"OLD": "kept", "NEW": "kept_late"}


def test_a_waived_order_keeps_its_dates_loses_its_money_and_no_longer_breaks_the_commitment():
    frame = events(order("2025-03-03", ref="A", amount="1000", due="2025-03-05"), delivery("2025-03-07", ref="A"),
                   order("2025-03-03", ref="B", due="2025-03-05"), delivery("2025-03-05", ref="B"))
    result = check(waived(otd(penalty={"percent": "1"}), "A"), frame, AS_OF)
    inst = instance(result, "A")
    assert (inst.status, inst.days_late, inst.money) == (InstanceStatus.WAIVED, 2, [])
    assert result.money == []
    assert result.status == "kept"
    assert result.counts["waived"] == 1
    assert result.explanation == "1 of 1 order was delivered on time; 1 waived."


def test_a_pause_pushes_the_due_date_by_the_paused_days():
    frame = events(order("2025-03-03", ref="A", due="2025-03-10"), delivery("2025-03-12", ref="A"))
    spec = paused(otd(), ("2025-03-06T00:00:00+01:00", "2025-03-09T00:00:00+01:00"))
    inst = instance(check(spec, frame, AS_OF), "A")
    assert (inst.due, inst.status) == (dt.date(2025, 3, 13), InstanceStatus.KEPT)  # three days later


def test_a_running_pause_keeps_the_order_open():
    frame = events(order("2025-03-03", ref="A", due="2025-03-10"))
    result = check(paused(otd(), ("2025-03-06T00:00:00+01:00", None)), frame, AS_OF)
    assert instance(result, "A").status == InstanceStatus.OPEN
    assert "paused" in instance(result, "A").explanation
    assert result.next_check_at is None


def test_orders_after_valid_to_or_before_valid_from_are_not_judged():
    spec = make_spec("on_time_delivery", {}, agreement_from="2025-03-01", agreement_to="2025-03-15")
    frame = events(order("2025-02-20", ref="BEFORE", due="2025-02-25"), order("2025-03-10", ref="IN", due="2025-03-12"),
                   order("2025-03-20", ref="AFTER", due="2025-03-25"))
    assert statuses(check(spec, frame, AS_OF)) == {"IN": "overdue"}


def test_other_parties_orders_do_not_count():
    frame = events(order("2025-03-03", ref="A", due="2025-03-05", party="OTHER"))
    result = check(otd(), frame, AS_OF)
    assert (result.instances, result.status, result.explanation) == ([], "open", "No orders yet.")


# -- the commitment ------------------------------------------------------------------------------------------


def test_the_summary_counts_orders_and_names_the_late_ones():
    frame = events(*[order("2025-03-03", ref=f"O{i}", due="2025-03-05") for i in range(4)],
                   *[delivery("2025-03-05", ref=f"O{i}") for i in range(3)], delivery("2025-03-08", ref="O3"),
                   order("2025-03-28", ref="N", due="2025-04-05"))
    result = check(otd(), frame, AS_OF)
    assert result.explanation == "3 of 4 orders were delivered on time; O3 was late; 1 order still to deliver."


def test_the_on_time_rate_per_month_is_reported_against_the_target():
    frame = events(order("2025-02-03", ref="F", due="2025-02-05"), delivery("2025-02-05", ref="F"),
                   *[order("2025-03-03", ref=f"M{i}", due="2025-03-05") for i in range(4)],
                   *[delivery("2025-03-05", ref=f"M{i}") for i in range(3)], delivery("2025-03-09", ref="M3"))
    result = check(otd(target_rate="95"), frame, AS_OF)
    periods = result.data["periods"]
    assert [(p["period"], p["judged"], p["on_time"], p["rate"]) for p in periods] == [
        ("2025-02", 1, 1, Decimal(100)), ("2025-03", 4, 3, Decimal(75))]
    assert "2025-03: 75% on time, below the target of 95%" in result.explanation
    # The target month ends with March: then the summary moves on.
    assert result.next_check_at == moment("2025-04-01T00:00:00+02:00")


def test_evaluating_many_commitments_at_once_gives_each_its_own_verdict():
    a = otd(penalty={"percent": "1"})
    b = replace(make_spec("on_time_delivery", {"lead_days": 10}, party="BONAP"), commitment="c2")
    frame = events(order("2025-03-03", ref="X", due="2025-03-05", amount="100"), delivery("2025-03-08", ref="X"),
                   order("2025-03-03", ref="X", party="BONAP"), delivery("2025-03-08", ref="X", party="BONAP"))
    first, second = check([a, b], frame, AS_OF)
    assert (statuses(first), statuses(second)) == ({"X": "kept_late"}, {"X": "kept"})
    assert money(first) == [("penalty", Decimal("3.00"), "us", "due")]
