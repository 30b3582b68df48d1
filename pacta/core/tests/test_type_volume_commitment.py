import datetime as dt
from decimal import Decimal

from pacta.core.commitments.base import Health
from pacta.core.tests.money_builders import (
    events,
    evaluate,
    evaluate_many,
    frozen_clock,  # noqa: F401  (fixture)
    invoice,
    make_spec,
    moment,
    money,
    row,
    statuses,
    terms,
)

D = dt.date
QUARTERLY = {"period": "quarter", "minimum": "10000", "shortfall_fee": "0.50"}


def quarterly(**kw):
    return make_spec("volume_commitment", QUARTERLY, **kw)


def test_a_period_that_ends_below_the_minimum_is_broken_with_the_shortfall_fee():
    frame = events(invoice("2025-01-15", "3000"), invoice("2025-02-15", "4000"))
    result = evaluate(quarterly(), frame, "2025-04-01T00:00:00+02:00")
    q1 = result.instances[0]
    assert (q1.key, str(q1.status), q1.due) == ("2025-Q1", "broken", D(2025, 3, 31))
    # 10,000 - 7,000 = 3,000 units missing x 0.50 = 1,500.00, owed by the customer.
    assert money(q1) == [("shortfall", Decimal("1500.00"), "them", "due")]
    assert q1.explanation == "2025-Q1 ended at 7,000 units, 3,000 units below the minimum of 10,000 units."
    assert result.status == "broken"


def test_a_period_that_reaches_the_minimum_is_kept_and_done_on_the_day_it_got_there():
    frame = events(invoice("2025-01-10", "6000"), invoice("2025-03-03", "4000"), invoice("2025-03-20", "5"))
    q1 = evaluate(quarterly(), frame, "2025-04-01T00:00:00+02:00").instances[0]
    assert (str(q1.status), q1.done, q1.money) == ("kept", D(2025, 3, 3), [])
    assert "10,005 units" in q1.explanation


def test_a_running_period_behind_its_pace_is_at_risk_with_the_numbers():
    # Q1 has 90 days; at local midnight of 15 February 45 have passed (share 1/2).
    # 4,100 so far -> forecast 8,200, 1,800 short; projected shortfall 1,800 x 0.50 = 900.00.
    frame = events(invoice("2025-01-20", "4100"))
    result = evaluate(quarterly(), frame, "2025-02-15T00:00:00+01:00")
    q1 = result.instances[0]
    assert (str(q1.status), q1.health) == ("open", Health.AT_RISK)
    assert q1.explanation == (
        "At this pace you reach 8,200 units by March 31, 2025, 1,800 units short of the minimum of 10,000 units "
        "(4,100 units so far)."
    )
    assert money(q1) == [("shortfall", Decimal("900.00"), "them", "projected")]
    assert q1.data["forecast"] == Decimal(8200)
    assert result.status == "at_risk"
    assert result.next_check_at == moment("2025-04-01T00:00:00+02:00")


def test_a_running_period_on_pace_is_on_track_until_its_forecast_falls_below_the_minimum():
    # 36 of 90 days (share 0.4): 5,000 -> forecast 12,500. With no new events the
    # forecast reaches 10,000 at share 5,000 / 10,000 = 0.5: 45 days in, 15 February.
    frame = events(invoice("2025-01-20", "5000"))
    result = evaluate(quarterly(), frame, "2025-02-06T00:00:00+01:00")
    q1 = result.instances[0]
    assert (str(q1.status), q1.health, q1.money) == ("open", Health.ON_TRACK, [])
    assert "12,500 units" in q1.explanation
    assert result.status == "open"
    assert result.next_check_at == moment("2025-02-15T00:00:00+01:00")


def test_a_forecast_exactly_at_the_minimum_is_on_track():
    frame = events(invoice("2025-01-20", "5000"))  # 5,000 at share 1/2 -> 10,000
    q1 = evaluate(quarterly(), frame, "2025-02-15T00:00:00+01:00").instances[0]
    assert q1.health == Health.ON_TRACK


def test_an_empty_period_is_broken_at_its_end_and_only_then():
    spec = quarterly()
    running = evaluate(spec, events(), "2025-03-31T12:00:00+02:00").instances[0]
    assert (str(running.status), running.health) == ("open", Health.AT_RISK)
    ended = evaluate(spec, events(), "2025-04-01T00:00:00+02:00")
    assert statuses(ended) == {"2025-Q1": "broken", "2025-Q2": "open"}
    # 10,000 missing x 0.50 = 5,000.00
    assert money(ended.instances[0]) == [("shortfall", Decimal("5000.00"), "them", "due")]


def test_a_period_that_has_just_begun_has_no_forecast_yet():
    q2 = evaluate(quarterly(), events(), "2025-04-01T00:00:00+02:00").instances[1]
    assert (q2.key, q2.health, q2.data["forecast"]) == ("2025-Q2", Health.ON_TRACK, None)
    assert "has just begun" in q2.explanation


def test_a_period_above_the_maximum_is_broken_without_money():
    spec = make_spec("volume_commitment", {"period": "quarter", "maximum": "5000", "shortfall_fee": "1"})
    q1 = evaluate(spec, events(invoice("2025-02-01", "6000")), "2025-04-01T00:00:00+02:00").instances[0]
    assert (str(q1.status), q1.money) == ("broken", [])
    assert q1.explanation == "2025-Q1 ended at 6,000 units, 1,000 units above the maximum of 5,000 units."


def test_a_period_within_both_bounds_is_kept():
    spec = make_spec("volume_commitment", {"period": "quarter", "minimum": "1000", "maximum": "5000"})
    q1 = evaluate(spec, events(invoice("2025-02-01", "5000")), "2025-04-01T00:00:00+02:00").instances[0]
    assert str(q1.status) == "kept"
    assert q1.explanation == "2025-Q1 ended at 5,000 units, within the agreed volume (between 1,000 units and 5,000 units)."


def test_amounts_count_only_in_the_agreement_currency():
    spec = make_spec("volume_commitment", {"period": "quarter", "measure": "amount", "minimum": "1500"})
    frame = events(invoice("2025-02-01", "10", unit_price="100"), invoice("2025-02-02", "10", unit_price="100",
                                                                         currency="USD"))
    q1 = evaluate(spec, frame, "2025-04-01T00:00:00+02:00").instances[0]
    assert q1.data["total"] == Decimal(1000)
    assert q1.explanation == "2025-Q1 ended at 1,000.00 EUR, 500.00 EUR below the minimum of 1,500.00 EUR."


def test_a_supplier_agreement_with_basis_order_reads_purchase_orders_and_we_pay_the_shortfall():
    spec = make_spec("volume_commitment", {**QUARTERLY, "basis": "order"}, role="supplier")
    frame = events(row("purchase_order", "2025-02-01", quantity="9000", product="P1"),
                   row("order", "2025-02-01", quantity="5000", product="P1"),
                   invoice("2025-02-01", "5000"))
    q1 = evaluate(spec, frame, "2025-04-01T00:00:00+02:00").instances[0]
    # 1,000 missing x 0.50 = 500.00, owed by us.
    assert money(q1) == [("shortfall", Decimal("500.00"), "us", "due")]


def test_only_the_covered_products_count():
    spec = quarterly(products=("P1",))
    frame = events(invoice("2025-02-01", "9000", product="P1"), invoice("2025-02-02", "9000", product="P2"))
    assert evaluate(spec, frame, "2025-04-01T00:00:00+02:00").instances[0].data["total"] == Decimal(9000)


def test_another_partys_events_do_not_count():
    frame = events(invoice("2025-02-01", "9000"), invoice("2025-02-01", "9000", party="BONAP"))
    assert evaluate(quarterly(), frame, "2025-04-01T00:00:00+02:00").instances[0].data["total"] == Decimal(9000)


def test_events_after_as_of_are_ignored_but_a_whole_day_on_as_of_counts():
    frame = events(invoice("2025-02-14", "100"), invoice("2025-02-14T18:00:00+01:00", "20"),
                   invoice("2025-02-14T09:00:00+01:00", "3"))
    q1 = evaluate(quarterly(), frame, "2025-02-14T12:00:00+01:00").instances[0]
    assert q1.data["total"] == Decimal(103)


def test_an_amendment_during_the_period_governs_the_whole_period_from_its_end():
    v1 = terms("volume_commitment", QUARTERLY, effective_from="2025-01-01")
    v2 = terms("volume_commitment", {**QUARTERLY, "minimum": "6000"}, effective_from="2025-02-15", version=2)
    spec = make_spec("volume_commitment", segments=(v1, v2))
    frame = events(invoice("2025-01-15", "3000"), invoice("2025-03-01", "4000"))
    # Before the amendment takes effect the running quarter is held to 10,000.
    early = evaluate(spec, frame, "2025-02-01T00:00:00+01:00").instances[0]
    assert early.data["minimum"] == Decimal(10000)
    # At its end the amended minimum of 6,000 governs the whole quarter: 7,000 keeps it.
    ended = evaluate(spec, frame, "2025-04-01T00:00:00+02:00").instances[0]
    assert (str(ended.status), ended.data["minimum"]) == ("kept", Decimal(6000))


def test_periods_are_clipped_to_the_validity():
    spec = quarterly(agreement_from="2025-03-15", agreement_to="2025-05-31")
    frame = events(invoice("2025-03-01", "50000"), invoice("2025-03-20", "10000"), invoice("2025-06-02", "50000"))
    result = evaluate(spec, frame, "2025-07-01T00:00:00+02:00")
    assert statuses(result) == {"2025-Q1": "kept", "2025-Q2": "broken"}
    q1, q2 = result.instances
    assert (q1.data["start"], q1.due, q1.data["total"]) == (D(2025, 3, 15), D(2025, 3, 31), Decimal(10000))
    assert (q2.due, q2.data["total"]) == (D(2025, 5, 31), Decimal(0))
    assert result.next_check_at is None


def test_periods_aligned_to_the_agreement_count_from_its_start():
    spec = make_spec("volume_commitment", {"period": "month", "align": "agreement", "minimum": "100"},
                     agreement_from="2025-03-15")
    frame = events(invoice("2025-04-14", "100"), invoice("2025-04-15", "60"))
    result = evaluate(spec, frame, "2025-05-15T00:00:00+02:00")
    assert statuses(result) == {"2025-03-15": "kept", "2025-04-15": "broken", "2025-05-15": "open"}


def test_evaluating_many_gives_what_evaluating_each_gives():
    specs = [quarterly(party="ALFKI", commitment="a"), quarterly(party="BONAP", commitment="b"),
             make_spec("volume_commitment", {"period": "month", "maximum": "100"}, party="ALFKI", commitment="c",
                       timezone="America/New_York")]
    frame = events(invoice("2025-01-15", "3000"), invoice("2025-02-15", "40", party="BONAP"),
                   invoice("2025-02-28T23:30:00-05:00", "700"))
    as_of = "2025-03-01T12:00:00+01:00"
    together = evaluate_many(specs, frame, as_of)
    assert [r.commitment for r in together] == ["a", "b", "c"]
    for spec, result in zip(specs, together):
        alone = evaluate(spec, frame, as_of)
        assert [(i.key, i.status, i.explanation) for i in alone.instances] == \
            [(i.key, i.status, i.explanation) for i in result.instances]
    # In New York the 23:30 invoice is on 28 February: February is over above its maximum.
    assert statuses(together[2])["2025-02"] == "broken"


def test_the_chart_data_holds_the_running_total_by_day_of_the_latest_period():
    frame = events(invoice("2025-04-02", "100"), invoice("2025-04-02", "50"), invoice("2025-05-10", "25"),
                   invoice("2025-01-10", "7"))
    data = evaluate(quarterly(), frame, "2025-06-01T00:00:00+02:00").data
    assert data["period"] == "2025-Q2"
    assert data["series"] == {"days": ["2025-04-02", "2025-05-10"], "totals": [Decimal(150), Decimal(175)]}
    assert (data["minimum"], data["maximum"]) == (Decimal(10000), None)


def test_before_the_validity_there_is_no_period_yet_and_the_next_check_is_its_start():
    result = evaluate(quarterly(agreement_from="2025-06-01"), events(), "2025-04-01T00:00:00+02:00")
    assert (result.status, result.instances, result.explanation) == ("open", [], "No period has begun yet.")
    assert result.next_check_at == moment("2025-06-01T00:00:00+02:00")
