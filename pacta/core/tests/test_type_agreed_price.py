import datetime as dt
from decimal import Decimal

from pacta.core.tests.money_builders import (
    events,
    evaluate,
    evaluate_many,
    frozen_clock,  # noqa: F401  (fixture)
    invoice,
    make_spec,
    money,
    statuses,
    terms,
)

D = dt.date
AS_OF = "2025-07-01T00:00:00+02:00"


def fixed(**kw):
    return make_spec("agreed_price", {"price": "10.00"}, products=("P1",), **kw)


def test_a_line_billed_exactly_at_the_tolerance_is_kept_and_just_beyond_it_is_broken():
    # Tolerance 0.005 per unit: 10.005 is still the agreed 10.00; 10.0051 is not.
    frame = events(invoice("2025-01-15", "10", unit_price="10.005", ref="A", id="l1"),
                   invoice("2025-01-15", "10", unit_price="10.0051", ref="A", id="l2"))
    result = evaluate(fixed(), frame, AS_OF)
    assert statuses(result) == {"A/P1/l1": "kept", "A/P1/l2": "broken"}
    kept = result.instances[0]
    assert (kept.due, kept.done, kept.money) == (D(2025, 1, 15), D(2025, 1, 15), [])
    assert kept.explanation == "Line A/P1/l1 was billed at 10.005 EUR per unit, the agreed 10.00 EUR."


def test_an_overcharge_is_paid_back_by_us_on_a_customer_agreement():
    # (10.50 - 10.00) x 3 = 1.50
    frame = events(invoice("2025-01-15", "3", unit_price="10.50", ref="A", id="l2"))
    inst = evaluate(fixed(), frame, AS_OF).instances[0]
    assert (inst.key, str(inst.status)) == ("A/P1/l2", "broken")
    assert money(inst) == [("overcharge", Decimal("1.50"), "us", "due")]
    assert inst.explanation == ("Line A/P1/l2 was billed at 10.50 EUR per unit instead of 10.00 EUR: "
                                "1.50 EUR overcharged on 3 units.")


def test_an_undercharge_is_a_price_correction_the_customer_owes():
    # (9.50 - 10.00) x 4 = -2.00
    frame = events(invoice("2025-01-16", "4", unit_price="9.50", ref="B", id="l3"))
    inst = evaluate(fixed(), frame, AS_OF).instances[0]
    assert money(inst) == [("price_correction", Decimal("2.00"), "them", "due")]
    assert "2.00 EUR undercharged on 4 units" in inst.explanation


def test_on_a_supplier_agreement_the_supplier_pays_back_an_overcharge():
    frame = events(invoice("2025-01-15", "3", unit_price="10.50", ref="A"))
    inst = evaluate(fixed(role="supplier"), frame, AS_OF).instances[0]
    assert money(inst) == [("overcharge", Decimal("1.50"), "them", "due")]


def test_the_billed_price_is_the_lines_amount_per_unit_after_its_discount():
    # 10 x 12.50 x (1 - 0.20) = 100.00 -> 10.00 per unit: as agreed.
    frame = events(invoice("2025-01-15", "10", unit_price="12.50", discount="0.20", ref="A"))
    assert str(evaluate(fixed(), frame, AS_OF).instances[0].status) == "kept"


def test_a_discount_off_list_is_kept_at_or_beyond_it():
    spec = make_spec("agreed_price", {"discount": "10"})
    frame = events(invoice("2025-01-15", "10", unit_price="9.00", list_price="10.00", ref="A", id="at"),
                   invoice("2025-01-15", "10", unit_price="8.00", list_price="10.00", ref="A", id="more"),
                   invoice("2025-01-15", "3", unit_price="9.50", list_price="10.00", ref="A", id="less"))
    result = evaluate(spec, frame, AS_OF)
    assert statuses(result) == {"A/P1/at": "kept", "A/P1/more": "kept", "A/P1/less": "broken"}
    # 9.50 instead of 9.00 on 3 units: 1.50 overcharged.
    by_key = {i.key: i for i in result.instances}
    assert money(by_key["A/P1/less"]) == [("overcharge", Decimal("1.50"), "us", "due")]
    assert result.instances[0].explanation == ("Line A/P1/at was billed at 9.00 EUR per unit, at least 10% off the "
                                               "list price of 10.00 EUR.")


def test_lines_that_cannot_be_judged_make_no_instance_but_are_counted():
    spec = make_spec("agreed_price", {"discount": "10"})
    frame = events(invoice("2025-01-15", "10", unit_price="9.00", ref="A", id="nolist"),
                   invoice("2025-01-15", None, ref="A", id="noqty", amount="90"),
                   invoice("2025-01-15", "10", unit_price="9.00", list_price="10", ref="A", id="usd", currency="USD"))
    result = evaluate(spec, frame, AS_OF)
    assert (result.instances, result.data["unjudged"], result.status) == ([], 3, "open")
    assert "could not be judged" in result.explanation and ": 3." in result.explanation


def test_only_the_covered_products_and_the_partys_own_lines_are_judged():
    frame = events(invoice("2025-01-15", "1", unit_price="99", ref="A", product="P2"),
                   invoice("2025-01-15", "1", unit_price="99", ref="A", party="BONAP"))
    assert evaluate(fixed(), frame, AS_OF).instances == []


def test_each_line_is_judged_by_the_terms_in_force_on_its_date():
    v1 = terms("agreed_price", {"price": "10.00"}, effective_from="2025-01-01", products=("P1",))
    v2 = terms("agreed_price", {"price": "11.00"}, effective_from="2025-03-01", version=2, products=("P1",))
    spec = make_spec("agreed_price", segments=(v1, v2))
    frame = events(invoice("2025-02-28", "1", unit_price="11.00", ref="A", id="old"),
                   invoice("2025-03-01", "1", unit_price="11.00", ref="B", id="new"))
    assert statuses(evaluate(spec, frame, AS_OF)) == {"A/P1/old": "broken", "B/P1/new": "kept"}


def test_lines_outside_the_validity_and_after_as_of_are_ignored():
    spec = fixed(agreement_from="2025-02-01", agreement_to="2025-05-31")
    frame = events(invoice("2025-01-31", "1", unit_price="99", ref="A"), invoice("2025-06-01", "1", unit_price="99",
                                                                          ref="B"),
                   invoice("2025-07-02", "1", unit_price="99", ref="C"), invoice("2025-03-01", "1", unit_price="10",
                                                                          ref="D", id="in"))
    assert statuses(evaluate(spec, frame, AS_OF)) == {"D/P1/in": "kept"}


def test_the_summary_counts_the_lines_and_the_money_adds_up():
    frame = events(invoice("2025-01-15", "10", unit_price="10", ref="A", id="a"),
                   invoice("2025-01-15", "3", unit_price="10.50", ref="A", id="b"),
                   invoice("2025-01-16", "2", unit_price="11", ref="B", id="c"))
    result = evaluate(fixed(), frame, AS_OF)
    assert result.explanation == ("Invoice lines: 3; billed as agreed: 1; billed wrongly: 2 (overcharged: 2, "
                                  "undercharged: 0).")
    # 1.50 + 2.00
    assert money(result) == [("overcharge", Decimal("3.50"), "us", "due")]
    assert result.status == "broken"


def test_evaluating_many_gives_each_commitment_its_own_lines():
    specs = [fixed(party="ALFKI", commitment="a"), fixed(party="BONAP", commitment="b")]
    frame = events(invoice("2025-01-15", "1", unit_price="10", ref="A"), invoice("2025-01-15", "1", unit_price="12",
                                                                          ref="B", party="BONAP"))
    a, b = evaluate_many(specs, frame, AS_OF)
    assert ([str(i.status) for i in a.instances], [str(i.status) for i in b.instances]) == (["kept"], ["broken"])
