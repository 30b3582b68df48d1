"""response_time: each ticket answered within `within` (business hours, target rate, service credits)."""

import datetime as dt
from decimal import Decimal

from pacta.core.commitments.base import Health, InstanceStatus

from .builders import (
    amended,
    check,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    instance,
    make_spec,
    moment,
    money,
    paused,
    statuses,
    ticket_answered,
    ticket_opened,
    waived,
)

AS_OF = "2025-03-31T12:00:00+02:00"
OFFICE = {"from": "08:00", "to": "17:00"}


def support(**params):
    return make_spec("response_time", {"within": "PT4H", **params})


def test_an_answer_exactly_at_the_deadline_is_in_time():
    frame = events(ticket_opened("2025-03-03T10:00:00+01:00", ref="A"), ticket_answered("2025-03-03T14:00:00+01:00", ref="A"),
                   ticket_opened("2025-03-04T10:00:00+01:00", ref="B"), ticket_answered("2025-03-04T14:00:01+01:00", ref="B"))
    result = check(support(), frame, AS_OF)
    assert statuses(result) == {"A": "kept", "B": "kept_late"}
    assert instance(result, "A").due == moment("2025-03-03T14:00:00+01:00")
    assert result.explanation == "1 of 2 tickets were answered in time; B was not."


def test_an_unanswered_ticket_is_open_until_its_deadline_then_overdue():
    frame = events(ticket_opened("2025-03-31T09:00:00+02:00", ref="A"))
    before = check(support(), frame, "2025-03-31T13:00:00+02:00")
    assert (instance(before, "A").status, instance(before, "A").health) == (InstanceStatus.OPEN, Health.ON_TRACK)
    assert before.next_check_at == moment("2025-03-31T13:00:00.000001+02:00")
    after = check(support(), frame, "2025-04-02T14:00:00+02:00")
    assert (instance(after, "A").status, instance(after, "A").days_late) == (InstanceStatus.OVERDUE, 2)  # 49 hours late


def test_business_hours_count_only_working_time_and_skip_the_weekend_over_the_dst_night():
    # Friday 28 March 15:00 CET: 2 working hours on Friday, 2 on Monday 31 March (CEST) -> due 10:00.
    frame = events(ticket_opened("2025-03-28T15:00:00+01:00", ref="A"), ticket_answered("2025-03-31T10:00:00+02:00", ref="A"),
                   ticket_opened("2025-03-28T15:00:00+01:00", ref="B"), ticket_answered("2025-03-31T10:30:00+02:00", ref="B"))
    result = check(support(business_hours=OFFICE), frame, AS_OF)
    assert instance(result, "A").due == moment("2025-03-31T10:00:00+02:00")
    assert statuses(result) == {"A": "kept", "B": "kept_late"}
    assert "4 hours of working time" in instance(result, "A").explanation


def test_a_deadline_at_closing_time_lasts_until_the_next_opening():
    frame = events(ticket_opened("2025-03-03T13:00:00+01:00", ref="A"), ticket_answered("2025-03-04T08:00:00+01:00", ref="A"))
    result = check(support(business_hours=OFFICE), frame, AS_OF)
    assert instance(result, "A").status == InstanceStatus.KEPT


def test_public_holidays_of_the_agreements_country_are_not_working_time():
    # Thursday 17 April 16:00 + 4 working hours in NL: 1h Thursday, Good Friday, weekend, Easter Monday, 3h Tuesday.
    frame = events(ticket_opened("2025-04-17T16:00:00+02:00", ref="A"))
    result = check(support(business_hours=OFFICE), frame, "2025-04-18T12:00:00+02:00")
    assert instance(result, "A").due == moment("2025-04-22T11:00:00+02:00")


def test_the_first_answer_counts():
    frame = events(ticket_opened("2025-03-03T10:00:00+01:00", ref="A"), ticket_answered("2025-03-03T17:00:00+01:00", ref="A"),
                   ticket_answered("2025-03-03T11:00:00+01:00", ref="A"))
    assert instance(check(support(), frame, AS_OF), "A").done == moment("2025-03-03T11:00:00+01:00")


def test_a_pause_stops_the_clock():
    frame = events(ticket_opened("2025-03-03T10:00:00+01:00", ref="A"), ticket_answered("2025-03-03T15:00:00+01:00", ref="A"))
    spec = paused(support(), ("2025-03-03T11:00:00+01:00", "2025-03-03T12:30:00+01:00"))
    inst = instance(check(spec, frame, AS_OF), "A")
    assert (inst.due, inst.status) == (moment("2025-03-03T15:30:00+01:00"), InstanceStatus.KEPT)


def test_a_pause_outside_working_time_does_not_move_a_business_hours_deadline():
    frame = events(ticket_opened("2025-03-03T15:00:00+01:00", ref="A"))
    night = paused(support(business_hours=OFFICE), ("2025-03-03T18:00:00+01:00", "2025-03-04T07:00:00+01:00"))
    morning = paused(support(business_hours=OFFICE), ("2025-03-04T08:00:00+01:00", "2025-03-04T09:00:00+01:00"))
    assert instance(check(night, frame, AS_OF), "A").due == moment("2025-03-04T10:00:00+01:00")
    assert instance(check(morning, frame, AS_OF), "A").due == moment("2025-03-04T11:00:00+01:00")


def test_an_amendment_judges_each_ticket_by_the_terms_of_its_opening_day():
    spec = amended(support(), "2025-03-10", {"within": "PT2H"})
    frame = events(ticket_opened("2025-03-05T10:00:00+01:00", ref="OLD"), ticket_answered("2025-03-05T13:00:00+01:00", ref="OLD"),
                   ticket_opened("2025-03-12T10:00:00+01:00", ref="NEW"), ticket_answered("2025-03-12T13:00:00+01:00", ref="NEW"))
    assert statuses(check(spec, frame, AS_OF)) == {"OLD": "kept", "NEW": "kept_late"}


def _month(kept: int, late: int, month: str = "2025-02") -> list:
    rows = []
    for i in range(kept + late):
        opened = f"{month}-{i + 1:02d}T10:00:00+01:00"
        answered = f"{month}-{i + 1:02d}T{11 if i < kept else 16}:00:00+01:00"
        rows += [ticket_opened(opened, ref=f"{month}-{i}"), ticket_answered(answered, ref=f"{month}-{i}")]
    return rows


CREDITS = {"credits": [{"below": 95, "percent": 5}, {"below": 80, "percent": 10}], "monthly_fee": "500"}


def test_the_tier_with_the_lowest_below_that_applies_wins():
    # February: 7 of 10 in time = 70%: below 95 and below 80 apply; the 80 tier (10%) wins: 50.00.
    result = check(support(**CREDITS), events(*_month(7, 3)), AS_OF)
    assert money(result) == [("service_credit", Decimal("50.00"), "us", "due")]
    assert "service credit for 2025-02: 50.00 EUR (70% in time)" in result.explanation


def test_a_share_equal_to_below_earns_nothing_from_that_tier():
    # 19 of 20 = 95%: not strictly below 95.
    result = check(support(**CREDITS), events(*_month(19, 1)), AS_OF)
    assert result.money == []
    assert result.data["credits"][0]["percent"] == 0


def test_the_monthly_cap_limits_the_credit():
    result = check(support(**CREDITS, monthly_cap_percent="8"), events(*_month(1, 9)), AS_OF)
    assert money(result) == [("service_credit", Decimal("40.00"), "us", "due")]  # 10% of 500 capped at 8%


def test_a_credit_of_a_running_month_is_accrued_and_each_month_stands_alone():
    frame = events(*_month(7, 3), *_month(1, 1, month="2025-03"))
    result = check(support(**CREDITS), frame, AS_OF)
    assert sorted(money(result)) == [("service_credit", Decimal("50.00"), "us", "accrued"),  # March: 50% so far
                                     ("service_credit", Decimal("50.00"), "us", "due")]
    assert result.next_check_at == moment("2025-04-01T00:00:00+02:00")


def test_waived_tickets_do_not_count_for_the_share():
    spec = waived(support(**CREDITS), "2025-02-7", "2025-02-8", "2025-02-9")
    result = check(spec, events(*_month(7, 3)), AS_OF)
    assert result.money == []  # 7 of 7
    assert result.status == "kept"


def test_on_a_supplier_agreement_the_supplier_pays_the_credit():
    spec = make_spec("response_time", {"within": "PT4H", **CREDITS}, role="supplier")
    assert money(check(spec, events(*_month(7, 3)), AS_OF)) == [("service_credit", Decimal("50.00"), "them", "due")]


def test_the_target_rate_is_reported_per_period():
    result = check(support(target_rate="90"), events(*_month(9, 1), *_month(1, 1, month="2025-03")), AS_OF)
    rates = [(p["period"], p["rate"]) for p in result.data["periods"]]
    assert rates == [("2025-02", Decimal(90)), ("2025-03", Decimal(50))]
    assert "2025-03: 50% on time, below the target of 90%" in result.explanation


def test_a_date_only_ticket_gets_the_benefit_of_the_doubt():
    frame = events(ticket_opened("2025-03-03", ref="A"), ticket_answered("2025-03-04", ref="A"))
    inst = instance(check(support(within="P1D"), frame, AS_OF), "A")
    assert inst.status == InstanceStatus.KEPT
    assert inst.done == dt.date(2025, 3, 4)
