import datetime as dt
from decimal import Decimal

from pacta.core.commitments.base import Health
from pacta.core.tests.money_builders import (
    events,
    evaluate,
    frozen_clock,  # noqa: F401  (fixture)
    invoice,
    make_spec,
    moment,
    money,
    row,
    terms,
)

D = dt.date
AFTER_Q1 = "2025-04-01T00:00:00+02:00"
SPECIAL = {"period": "quarter", "price": "8.50", "list_price": "10.00", "volume": "1000"}


def special(params=None, **kw):
    return make_spec("conditional_price", {**SPECIAL, **(params or {})}, products=("P1",), **kw)


def q1(spec, *rows, as_of=AFTER_Q1):
    return evaluate(spec, events(*rows), as_of).instances[0]


def test_a_period_that_reaches_the_volume_exactly_keeps_the_special_price():
    inst = q1(special(), invoice("2025-01-15", "600", unit_price="8.50"), invoice("2025-03-03", "400", unit_price="8.50"))
    assert (str(inst.status), inst.done, inst.money, inst.due) == ("kept", D(2025, 3, 3), [], D(2025, 3, 31))
    assert inst.explanation == "2025-Q1 ended at 1,000 units, reaching the 1,000 units that the special price needs."


def test_a_period_below_the_volume_owes_the_list_price_on_the_lines_billed_at_the_special_price():
    # Special-price lines: 300 + 100 units at 8.50 -> (10.00 - 8.50) x 400 = 600.00.
    # The 200 units billed at list price and the other product's line owe nothing.
    inst = q1(special(), invoice("2025-01-15", "300", unit_price="8.50"), invoice("2025-02-10", "100", unit_price="8.50"),
              invoice("2025-02-15", "200", unit_price="10.00"), invoice("2025-02-20", "900", unit_price="8.50",
                                                                      product="P2"))
    assert str(inst.status) == "broken"
    assert money(inst) == [("price_correction", Decimal("600.00"), "them", "due")]
    assert inst.explanation == ("2025-Q1 ended at 600 units, 400 units short of the 1,000 units that the special price "
                                "needs: 600.00 EUR in price corrections (lines billed at the special price: 2).")


def test_a_line_within_half_a_cent_of_the_special_price_is_billed_at_it():
    # 8.505 counts as the special price, 8.51 does not: (10.00 - 8.50) x 10 = 15.00.
    inst = q1(special(), invoice("2025-01-15", "10", unit_price="8.505"), invoice("2025-01-16", "10", unit_price="8.51"))
    assert money(inst) == [("price_correction", Decimal("15.00"), "them", "due")]


def test_without_an_agreed_list_price_each_lines_own_list_price_applies():
    spec = make_spec("conditional_price", {"period": "quarter", "price": "8.50", "volume": "1000"}, products=("P1",))
    # (10.00 - 8.50) x 10 + (11.00 - 8.50) x 10 = 15.00 + 25.00 = 40.00; the line without one adds nothing.
    inst = q1(spec, invoice("2025-01-15", "10", unit_price="8.50", list_price="10.00"),
              invoice("2025-01-16", "10", unit_price="8.50", list_price="11.00"),
              invoice("2025-01-17", "10", unit_price="8.50"))
    assert money(inst) == [("price_correction", Decimal("40.00"), "them", "due")]
    assert (inst.data["special_lines"], inst.data["lines_without_list_price"]) == (3, 1)


def test_a_running_period_behind_its_pace_is_at_risk_with_the_money_at_stake():
    # 1 May: 30 of Q2's 91 days. 300 units -> forecast 300 x 91 / 30 = 910.
    # Correction so far (10.00 - 8.50) x 300 = 450.00 -> at stake 450 x 91 / 30 = 1,365.00.
    result = evaluate(special(), events(invoice("2025-04-15", "300", unit_price="8.50")), "2025-05-01T00:00:00+02:00")
    inst = result.instances[1]
    assert (inst.key, str(inst.status), inst.health) == ("2025-Q2", "open", Health.AT_RISK)
    assert inst.data["forecast"] == Decimal(910)
    assert money(inst) == [("price_correction", Decimal("1365.00"), "them", "projected")]
    assert inst.explanation == ("At this pace you reach 910 units by June 30, 2025, 90 units short of the 1,000 units "
                                "that the special price needs; 1,365.00 EUR in price corrections at stake "
                                "(300 units so far).")
    assert result.status == "broken"  # Q1 ended empty


def test_a_running_period_on_pace_is_on_track_without_money_until_its_forecast_falls_short():
    # 45 of 90 days (15 February), 600 units -> forecast 1,200; it falls to 1,000 at share 0.6: day 54, 24 February.
    result = evaluate(special(), events(invoice("2025-01-10", "600", unit_price="8.50")), "2025-02-15T00:00:00+01:00")
    inst = result.instances[0]
    assert (inst.health, inst.money) == (Health.ON_TRACK, [])
    assert "enough for the special price" in inst.explanation
    assert result.next_check_at == moment("2025-02-24T00:00:00+01:00")


def test_on_a_supplier_agreement_we_owe_the_correction():
    inst = q1(special(role="supplier"), invoice("2025-01-15", "10", unit_price="8.50"))
    assert money(inst) == [("price_correction", Decimal("15.00"), "us", "due")]


def test_with_basis_order_the_volume_comes_from_orders_and_the_correction_from_invoices():
    spec = special({"basis": "order"})
    inst = q1(spec, row("order", "2025-01-10", quantity="1000", product="P1"),
              invoice("2025-01-20", "10", unit_price="8.50"))
    assert (str(inst.status), inst.data["total"]) == ("kept", Decimal(1000))
    short = q1(spec, row("order", "2025-01-10", quantity="999", product="P1"),
               invoice("2025-01-20", "10", unit_price="8.50"))
    assert money(short) == [("price_correction", Decimal("15.00"), "them", "due")]


def test_an_amendment_during_the_period_governs_the_whole_period():
    v1 = terms("conditional_price", SPECIAL, products=("P1",))
    v2 = terms("conditional_price", {**SPECIAL, "volume": "500"}, effective_from="2025-03-15", version=2,
               products=("P1",))
    spec = make_spec("conditional_price", segments=(v1, v2))
    inst = q1(spec, invoice("2025-01-15", "600", unit_price="8.50"))
    assert (str(inst.status), inst.data["volume"]) == ("kept", Decimal(500))
