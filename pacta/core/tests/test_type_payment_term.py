import datetime as dt
from decimal import Decimal

from pacta.core.commitments.base import Health
from pacta.core.tests.money_builders import (
    credit_note,
    events,
    evaluate,
    evaluate_many,
    frozen_clock,  # noqa: F401  (fixture)
    invoice,
    make_spec,
    moment,
    money,
    payment,
    statuses,
    terms,
)

D = dt.date
AS_OF = "2025-07-01T00:00:00+02:00"
NET_30 = {"days": 30, "interest_percent": "8", "fixed_fee": "40"}


def net30(**kw):
    return make_spec("payment_term", NET_30, **kw)


def one(result):
    (inst,) = result.instances
    return inst


def test_an_invoice_paid_by_its_due_date_is_kept():
    frame = events(invoice("2025-01-15", "10", unit_price="100", ref="A"), payment("2025-02-10", "1000.00", ref="A"))
    inst = one(evaluate(net30(), frame, AS_OF))
    assert (inst.key, str(inst.status), inst.due, inst.done, inst.money) == ("A", "kept", D(2025, 2, 14),
                                                                              D(2025, 2, 10), [])
    assert inst.explanation == "Invoice A of 1,000.00 EUR was due on Feb. 14, 2025 and paid on Feb. 10, 2025."


def test_paying_on_the_due_date_itself_is_on_time():
    frame = events(invoice("2025-01-15", "10", unit_price="100", ref="A"),
                   payment("2025-02-14T23:59:00+01:00", "1000.00", ref="A"))
    assert str(one(evaluate(net30(), frame, AS_OF)).status) == "kept"


def test_an_invoice_paid_in_parts_is_paid_by_the_last_part_and_interest_falls_with_each_part():
    # Invoiced 20 January, due 19 February. 400.00 on 1 March, 600.00 on 11 March:
    # 1,000.00 x 10 days + 600.00 x 10 days = 16,000 euro-days x 8 % / 365 = 3.5068... -> 3.51.
    frame = events(invoice("2025-01-20", "10", unit_price="100", ref="B"),
                   payment("2025-03-01", "400.00", ref="B"), payment("2025-03-11", "600.00", ref="B"))
    inst = one(evaluate(net30(), frame, AS_OF))
    assert (str(inst.status), inst.done, inst.days_late) == ("kept_late", D(2025, 3, 11), 20)
    assert money(inst) == [("interest", Decimal("3.51"), "them", "due"), ("fee", Decimal("40.00"), "them", "due")]
    assert inst.explanation == ("Invoice B of 1,000.00 EUR was due on Feb. 19, 2025 and paid on March 11, 2025, "
                                "20 days late.")


def test_an_unpaid_invoice_past_its_due_date_is_overdue_and_accrues_interest_to_as_of():
    # Invoiced 1 February (500.00), due 3 March; 100.00 paid on 5 February.
    # 400.00 owed for 120 days to 1 July: 400 x 120 x 8 % / 365 = 10.5205... -> 10.52, still growing.
    frame = events(invoice("2025-02-01", "5", unit_price="100", ref="C"), payment("2025-02-05", "100.00", ref="C"))
    result = evaluate(net30(), frame, AS_OF)
    inst = one(result)
    assert (str(inst.status), inst.done, inst.days_late) == ("overdue", None, 120)
    assert money(inst) == [("interest", Decimal("10.52"), "them", "accrued"), ("fee", Decimal("40.00"), "them", "due")]
    assert inst.explanation == "Invoice C of 500.00 EUR was due on March 3, 2025; 400.00 EUR is unpaid, 120 days late."
    assert result.status == "broken"
    assert result.data["overdue_unpaid"] == Decimal(400)


def test_a_partly_paid_invoice_not_yet_due_is_open_and_the_next_check_is_when_it_falls_due():
    frame = events(invoice("2025-06-20", "1", unit_price="100", ref="D"), payment("2025-06-25", "30.00", ref="D"))
    result = evaluate(net30(), frame, AS_OF)
    inst = one(result)
    assert (str(inst.status), inst.health, inst.due) == ("open", Health.ON_TRACK, D(2025, 7, 20))
    assert inst.explanation == "Invoice D of 100.00 EUR is due on July 20, 2025; 70.00 EUR is still to be paid."
    assert result.next_check_at == moment("2025-07-21T00:00:00+02:00")
    assert result.status == "open"


def test_from_end_of_month_counts_the_days_from_the_invoice_months_last_day():
    # 15 January + end of month (31 January) + 30 days = 2 March.
    spec = make_spec("payment_term", {"days": 30, "from": "end_of_month"})
    on_time = events(invoice("2025-01-15", "1", unit_price="100", ref="E"), payment("2025-03-02", "100", ref="E"))
    assert (one(evaluate(spec, on_time, AS_OF)).due, str(one(evaluate(spec, on_time, AS_OF)).status)) == \
        (D(2025, 3, 2), "kept")
    late = events(invoice("2025-01-15", "1", unit_price="100", ref="E"), payment("2025-03-03", "100", ref="E"))
    inst = one(evaluate(spec, late, AS_OF))
    assert (str(inst.status), inst.days_late, inst.money) == ("kept_late", 1, [])
    assert inst.explanation.endswith("paid on March 3, 2025, 1 day late.")


def test_a_credit_note_with_the_invoice_ref_lowers_what_is_owed_whatever_its_sign():
    frame = events(invoice("2025-01-15", "10", unit_price="100", ref="F"),
                   credit_note("2025-01-20", "-200.00", ref="F"), payment("2025-02-01", "800.00", ref="F"))
    assert str(one(evaluate(net30(), frame, AS_OF)).status) == "kept"


def test_a_credit_note_or_payment_for_another_document_does_not_pay_the_invoice():
    frame = events(invoice("2025-01-15", "10", unit_price="100", ref="F"),
                   credit_note("2025-01-20", "200.00", ref="CN-9"), payment("2025-02-01", "800.00", ref="F"),
                   payment("2025-02-01", "200.00", ref="F", party="BONAP"))
    inst = one(evaluate(net30(), frame, AS_OF))
    assert str(inst.status) == "overdue"
    assert "200.00 EUR is unpaid" in inst.explanation


def test_what_is_owed_is_rounded_to_cents_before_it_is_judged():
    # 3 x 33.3347 = 100.0041; paying 100.00 leaves 0.0041, which rounds to 0.00.
    frame = events(invoice("2025-01-15", "3", unit_price="33.3347", ref="G"), payment("2025-02-01", "100.00", ref="G"))
    assert str(one(evaluate(net30(), frame, AS_OF)).status) == "kept"
    short = events(invoice("2025-01-15", "3", unit_price="33.3367", ref="G"), payment("2025-02-01", "100.00", ref="G"))
    assert str(one(evaluate(net30(), short, AS_OF)).status) == "overdue"  # 0.0101 still owed


def test_an_invoices_lines_add_up_and_several_payments_on_a_day_add_up():
    frame = events(invoice("2025-01-15", "2", unit_price="100", ref="H"), invoice("2025-01-15", "3", unit_price="100",
                                                                              ref="H", product="P2"),
                   payment("2025-02-01", "250", ref="H"), payment("2025-02-01", "250", ref="H"))
    inst = one(evaluate(net30(), frame, AS_OF))
    assert (str(inst.status), inst.done) == ("kept", D(2025, 2, 1))


def test_on_a_supplier_agreement_we_pay_the_interest():
    frame = events(invoice("2025-01-20", "10", unit_price="100", ref="B"), payment("2025-03-01", "1000", ref="B"))
    inst = one(evaluate(make_spec("payment_term", {"days": 30, "interest_percent": "8"}, role="supplier"), frame, AS_OF))
    # 1,000.00 x 10 days x 8 % / 365 = 2.1917... -> 2.19
    assert money(inst) == [("interest", Decimal("2.19"), "us", "due")]


def test_an_amendment_governs_the_invoices_dated_from_it_on():
    v1 = terms("payment_term", {"days": 30}, effective_from="2025-01-01")
    v2 = terms("payment_term", {"days": 14}, effective_from="2025-03-01", version=2)
    spec = make_spec("payment_term", segments=(v1, v2))
    frame = events(invoice("2025-02-27", "1", unit_price="10", ref="OLD"), invoice("2025-03-01", "1", unit_price="10",
                                                                               ref="NEW"))
    result = evaluate(spec, frame, AS_OF)
    assert {i.key: i.due for i in result.instances} == {"OLD": D(2025, 3, 29), "NEW": D(2025, 3, 15)}


def test_with_products_an_invoice_is_covered_when_one_of_its_lines_is():
    spec = net30(products=("P1",))
    frame = events(invoice("2025-01-15", "1", unit_price="10", ref="MIX"),
                   invoice("2025-01-15", "1", unit_price="90", ref="MIX", product="P2"),
                   invoice("2025-01-15", "1", unit_price="10", ref="OTHER", product="P2"),
                   payment("2025-01-20", "100", ref="MIX"))
    result = evaluate(spec, frame, AS_OF)
    assert statuses(result) == {"MIX": "kept"}


def test_invoices_outside_the_validity_are_ignored_but_late_payments_after_it_count():
    spec = net30(agreement_from="2025-02-01", agreement_to="2025-03-31")
    frame = events(invoice("2025-01-31", "1", unit_price="10", ref="BEFORE"),
                   invoice("2025-03-31", "1", unit_price="10", ref="LAST"),
                   invoice("2025-04-01", "1", unit_price="10", ref="AFTER"),
                   payment("2025-05-05", "10", ref="LAST"))
    result = evaluate(spec, frame, AS_OF)
    assert statuses(result) == {"LAST": "kept_late"}
    assert result.instances[0].days_late == 5


def test_the_summary_counts_the_invoices():
    frame = events(invoice("2025-01-15", "10", unit_price="100", ref="A"), payment("2025-02-10", "1000", ref="A"),
                   invoice("2025-02-01", "5", unit_price="100", ref="C"))
    result = evaluate(net30(), frame, AS_OF)
    assert result.explanation == ("Invoices: 2; paid on time: 1; paid late: 0; overdue: 1 (500.00 EUR unpaid); "
                                  "not yet due: 0.")
    assert result.counts["kept"] == 1 and result.counts["overdue"] == 1


def test_without_invoices_the_commitment_is_open():
    result = evaluate(net30(), events(), AS_OF)
    assert (result.status, result.explanation, result.next_check_at) == ("open", "No invoice yet.", None)


def test_evaluating_many_keeps_each_commitment_to_its_own_party():
    specs = [net30(party="ALFKI", commitment="a"), net30(party="BONAP", commitment="b")]
    frame = events(invoice("2025-01-15", "1", unit_price="10", ref="X"), payment("2025-01-20", "10", ref="X"),
                   invoice("2025-01-15", "1", unit_price="10", ref="X", party="BONAP"))
    a, b = evaluate_many(specs, frame, AS_OF)
    assert (statuses(a), statuses(b)) == ({"X": "kept"}, {"X": "overdue"})
