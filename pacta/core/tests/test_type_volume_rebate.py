import datetime as dt
from decimal import Decimal

from pacta.core.commitments.base import Health
from pacta.core.commitments.volume_rebate import allocate
from pacta.core.tests.money_builders import (
    credit_note,
    events,
    evaluate,
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
TIERS = [{"from": "10000", "rate": "1"}, {"from": "20000", "rate": "2"}, {"from": "50000", "rate": "3"}]
AFTER_Q1 = "2025-04-01T00:00:00+02:00"


def quarterly(mode="whole", **kw):
    params = {"period": "quarter", "tiers": TIERS, "mode": mode, "payout_days": 30, **kw.pop("params", {})}
    return make_spec("volume_rebate", params, **kw)


def q1(spec, *rows, as_of=AFTER_Q1):
    return evaluate(spec, events(*rows), as_of).instances[0]


def test_a_tier_starts_exactly_at_its_threshold():
    # 20,000.00 reaches the 2 % tier: 400.00 on the whole turnover.
    inst = q1(quarterly(), invoice("2025-02-01", "200", unit_price="100"))
    assert (inst.data["rate"], inst.data["accrued"]) == (Decimal(2), Decimal(400))
    just_below = q1(quarterly(), invoice("2025-02-01", "1", unit_price="19999.99"))
    # 19,999.99 x 1 % = 199.9999
    assert (just_below.data["rate"], just_below.data["accrued"]) == (Decimal(1), Decimal("199.9999"))


def test_whole_mode_applies_the_highest_tier_reached_to_all_turnover():
    # 60,000.00 reaches 3 %: 1,800.00.
    inst = q1(quarterly(), invoice("2025-02-01", "600", unit_price="100"))
    assert inst.data["accrued"] == Decimal(1800)


def test_marginal_mode_applies_each_rate_to_the_part_inside_its_tier():
    # 60,000.00: 10,000 x 1 % + 30,000 x 2 % + 10,000 x 3 % = 100 + 600 + 300 = 1,000.00
    inst = q1(quarterly("marginal"), invoice("2025-02-01", "600", unit_price="100"))
    assert inst.data["accrued"] == Decimal(1000)


def test_credit_notes_lower_the_turnover_unless_they_are_rebate_payouts():
    # 21,000 - 1,500 (a return, written negative or not) = 19,500 -> 1 %: 195.00.
    # The "Rebate-2024-Q4" credit note pays a rebate and leaves the turnover alone.
    inst = q1(quarterly(), invoice("2025-02-01", "210", unit_price="100"),
              credit_note("2025-02-10", "-1000", ref="CN-1"), credit_note("2025-02-11", "500", ref="CN-2"),
              credit_note("2025-02-12", "5000", ref="Rebate-2024-Q4"))
    assert (inst.data["turnover"], inst.data["accrued"]) == (Decimal(19500), Decimal(195))


def test_a_period_below_the_first_tier_is_kept_at_its_end_without_money():
    inst = q1(quarterly(), invoice("2025-02-01", "99", unit_price="100"))
    assert (str(inst.status), inst.money) == ("kept", [])
    assert inst.explanation == "2025-Q1 ended at 9,900.00 EUR, below the first tier (10,000.00 EUR): no rebate."


def test_an_ended_period_awaits_its_payout_until_the_due_date_then_is_overdue():
    # 25,000.00 -> 2 %: 500.00, due 30 days after 31 March: 30 April.
    sale = invoice("2025-02-01", "250", unit_price="100")
    waiting = q1(quarterly(), sale, as_of="2025-04-30T12:00:00+02:00")
    assert (str(waiting.status), waiting.health, waiting.due) == ("open", Health.ON_TRACK, D(2025, 4, 30))
    assert money(waiting) == [("rebate", Decimal("500.00"), "us", "accrued")]
    late = evaluate(quarterly(), events(sale), "2025-05-05T12:00:00+02:00")
    inst = late.instances[0]
    assert (str(inst.status), inst.days_late) == ("overdue", 5)
    assert money(inst) == [("rebate", Decimal("500.00"), "us", "due")]
    assert inst.explanation == ("2025-Q1 ended at 25,000.00 EUR: a rebate of 500.00 EUR was due by April 30, 2025; "
                                "500.00 EUR is unpaid, 5 days late.")
    assert late.status == "broken"


def test_a_payout_by_the_due_date_keeps_the_period_and_a_later_one_keeps_it_late():
    sale = invoice("2025-02-01", "250", unit_price="100")
    on_time = q1(quarterly(), sale, credit_note("2025-04-30", "500.00", ref="rebate-Q1"), as_of="2025-06-01T00:00:00+02:00")
    assert (str(on_time.status), on_time.done) == ("kept", D(2025, 4, 30))
    assert money(on_time) == [("rebate", Decimal("500.00"), "us", "paid")]
    late = q1(quarterly(), sale, credit_note("2025-05-02", "500.00", ref="rebate-Q1"), as_of="2025-06-01T00:00:00+02:00")
    assert (str(late.status), late.days_late) == ("kept_late", 2)


def test_payouts_are_applied_to_the_oldest_period_first_in_parts():
    # Q1: 25,000 -> 500.00 due 30 April; Q2: 12,000 -> 120.00 due 30 July.
    # Payouts: 300 on 20 April, 300 on 10 May (Q1 paid in full on 10 May, 100 left), 20 on 1 July.
    spec = quarterly()
    frame = events(invoice("2025-02-01", "250", unit_price="100"), invoice("2025-05-01", "120", unit_price="100"),
                   credit_note("2025-04-20", "300", ref="rebate-1"), credit_note("2025-05-10", "300", ref="rebate-2"),
                   credit_note("2025-07-01", "20", ref="rebate-3"))
    result = evaluate(spec, frame, "2025-08-15T00:00:00+02:00")
    first, second, _running = result.instances
    assert (str(first.status), first.done, first.days_late) == ("kept_late", D(2025, 5, 10), 10)
    assert (str(second.status), second.done) == ("kept", D(2025, 7, 1))
    assert statuses(result)["2025-Q3"] == "open"


def test_a_part_payout_leaves_the_rest_due():
    frame = events(invoice("2025-02-01", "250", unit_price="100"), credit_note("2025-04-20", "200", ref="rebate-1"))
    inst = evaluate(quarterly(), frame, "2025-05-05T00:00:00+02:00").instances[0]
    assert str(inst.status) == "overdue"
    assert money(inst) == [("rebate", Decimal("200.00"), "us", "paid"), ("rebate", Decimal("300.00"), "us", "due")]


def test_a_running_period_shows_what_is_accrued_what_is_projected_and_the_next_tier():
    # 45 of 90 days: 9,000.00 so far -> projected 18,000.00 -> 1 %: 180.00; nothing accrued yet.
    # The 1 % tier needs 1,000.00 more.
    result = evaluate(quarterly(), events(invoice("2025-01-20", "90", unit_price="100")), "2025-02-15T00:00:00+01:00")
    inst = result.instances[0]
    assert (str(inst.status), inst.health, inst.due) == ("open", Health.ON_TRACK, D(2025, 4, 30))
    assert (inst.data["accrued"], inst.data["projected"]) == (Decimal(0), Decimal(180))
    assert (inst.data["next_tier"], inst.data["missing"]) == ({"from": Decimal(10000), "rate": Decimal(1)}, Decimal(1000))
    assert money(inst) == [("rebate", Decimal("180.00"), "us", "projected")]
    assert inst.explanation == ("9,000.00 EUR so far earns a rebate of 0.00 EUR; at this pace 180.00 EUR by "
                                "March 31, 2025. The 1% tier needs 1,000.00 EUR more.")
    assert result.next_check_at == moment("2025-04-01T00:00:00+02:00")
    assert result.data["tiers"][0] == {"from": Decimal(10000), "rate": Decimal(1)}
    assert result.data["series"] == {"days": ["2025-01-20"], "totals": [Decimal(9000)]}


def test_with_measure_quantity_the_quantity_picks_the_tier_and_the_rate_applies_to_the_amount():
    tiers = [{"from": "100", "rate": "1"}, {"from": "200", "rate": "2"}]
    whole = quarterly(params={"measure": "quantity", "tiers": tiers})
    # 250 units for 5,000.00 -> 2 % of 5,000.00 = 100.00
    assert q1(whole, invoice("2025-02-01", "250", unit_price="20")).data["accrued"] == Decimal(100)
    marginal = quarterly("marginal", params={"measure": "quantity", "tiers": tiers})
    # 100 units at 1 % + 50 at 2 % of 250 units = (100 + 100) / 250 = 0.8 % of 5,000.00 = 40.00
    assert q1(marginal, invoice("2025-02-01", "250", unit_price="20")).data["accrued"] == Decimal(40)


def test_on_a_supplier_agreement_the_supplier_pays_the_rebate_and_reads_receipts():
    spec = quarterly(role="supplier", params={"basis": "delivery"})
    inst = q1(spec, row("receipt", "2025-02-01", quantity="250", unit_price="100", product="P1"),
              invoice("2025-02-01", "900", unit_price="100"), as_of="2025-04-02T00:00:00+02:00")
    assert money(inst) == [("rebate", Decimal("500.00"), "them", "accrued")]


def test_an_amendment_during_the_period_sets_the_tiers_for_the_whole_period():
    v1 = terms("volume_rebate", {"period": "quarter", "tiers": TIERS})
    v2 = terms("volume_rebate", {"period": "quarter", "tiers": [{"from": "0", "rate": "5"}]},
               effective_from="2025-03-01", version=2)
    spec = make_spec("volume_rebate", segments=(v1, v2))
    # 5,000.00 in January under v1 would earn nothing; v2 governs the quarter: 5 % = 250.00
    inst = q1(spec, invoice("2025-01-10", "50", unit_price="100"))
    assert inst.data["accrued"] == Decimal(250)


def test_the_rebate_never_uses_another_currency_or_another_party():
    inst = q1(quarterly(), invoice("2025-02-01", "250", unit_price="100"),
              invoice("2025-02-01", "250", unit_price="100", currency="USD"),
              invoice("2025-02-01", "250", unit_price="100", party="BONAP"))
    assert inst.data["turnover"] == Decimal(25000)


def test_allocate_fills_each_need_in_turn():
    needs = [Decimal(100), Decimal(50)]
    paid = allocate(needs, [(D(2025, 1, 1), Decimal(60)), (D(2025, 1, 5), Decimal(60)), (D(2025, 1, 9), Decimal(40))])
    assert paid == [(Decimal(100), D(2025, 1, 5)), (Decimal(50), D(2025, 1, 9))]
    assert allocate(needs, []) == [(Decimal(0), None), (Decimal(0), None)]


def test_before_the_validity_the_next_check_is_its_start():
    result = evaluate(quarterly(agreement_from="2025-03-01"), events(), "2025-02-01T00:00:00+01:00")
    assert (result.instances, result.next_check_at) == ([], moment("2025-03-01T00:00:00+01:00"))
