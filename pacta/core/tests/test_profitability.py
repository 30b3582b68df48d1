"""Profitability of special agreements: cost of keeping, what the party brings, money lost, the flag."""

import datetime as dt
from decimal import Decimal

import pytest

from pacta.core.profitability import profitability

from .review_world import agreement, event, party, promise

D = dt.date
AS_OF = dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.timezone.utc)
PERIOD = {"start": D(2025, 1, 1), "end": D(2025, 6, 30)}  # 181 days


@pytest.fixture
def rates(settings):
    settings.PACTA_HOURLY_RATE = "40"
    settings.PACTA_MARGIN_PERCENT = "25"
    settings.PACTA_COST_SHARE_LIMIT = "10"


@pytest.fixture
def world(db, rates):
    """A's revenue in the period: X 40 x 10.00 + X 10 x 11.00 + X 5 x 9.00 + Y 5 x 100.00 − credit note 10
    = 400 + 110 + 45 + 500 − 10 = 1045 (the 999 of 20 December 2024 is outside).
    Estimated margin 25 % = 261.25; the flag's limit, 10 % of it, is 26.125."""
    a = party("A")
    ag = agreement(a)
    on_time = promise(ag, "on-time", "on_time_delivery", {"lead_days": 5, "penalty": {"percent": "1"}},
                      cost_hours=Decimal("0.5"))
    call = promise(ag, "call", "notice_before_delivery", {"min_before": "PT1H", "max_before": "PT24H"},
                   cost_amount=Decimal("1.50"), cost_hours=Decimal("0.1"))
    price = promise(ag, "price", "agreed_price", {"price": "10"}, products=["X"])
    rebate = promise(ag, "rebate", "volume_rebate",
                     {"period": "quarter", "tiers": [{"from": "0", "rate": "0"}, {"from": "1000", "rate": "2"}]},
                     cost_hours=Decimal("2"))
    updates = promise(ag, "updates", "recurring", {"kind": "update", "every": "P14D"}, cost_hours=Decimal("0.25"))
    terms = updates.current_terms()
    terms.valid_from = D(2025, 4, 1)
    terms.save()
    # Orders 1 and 2 are shipped in time; order 3 (500.00) is due 6 April and shipped on 8 April: 2 days late.
    for ref, ordered, shipped, prod, qty, price_ in (("1", D(2025, 2, 1), D(2025, 2, 4), "X", 40, 10),
                                                     ("2", D(2025, 3, 5), D(2025, 3, 10), "X", 10, 11),
                                                     ("3", D(2025, 4, 1), D(2025, 4, 8), "Y", 5, 100)):
        event(a, "order", ordered, ref=ref, product=prod, quantity=qty, unit_price=price_)
        event(a, "delivery", shipped, ref=ref)
    event(a, "invoice", D(2025, 2, 4), ref="I1", product="X", quantity=40, unit_price=10)
    event(a, "invoice", D(2025, 3, 10), ref="I2", product="X", quantity=10, unit_price=11)
    event(a, "invoice", D(2025, 3, 20), ref="I3", product="X", quantity=5, unit_price=9)
    event(a, "invoice", D(2025, 4, 4), ref="I4", product="Y", quantity=5, unit_price=100, list_price=120)
    event(a, "credit_note", D(2025, 4, 20), ref="CN-1", amount=10)
    event(a, "invoice", D(2024, 12, 20), ref="I0", amount=999)
    return locals()


def rows(**extra):
    return {r.commitment.key: r.to_json() for r in profitability(as_of=AS_OF, **PERIOD, **extra).rows}


def test_what_the_party_brings_is_its_revenue_with_an_estimated_margin_and_the_discount_given(world):
    on_time = rows()["on-time"]
    assert (on_time["revenue"], on_time["margin"]) == ("1045.00", "261.25")
    # Only I4 carries a list price: 5 x 120.00 − 500.00 = 100.00 given away against the list.
    assert on_time["discount_given"] == "100.00"


def test_a_delivery_promise_costs_per_delivery_and_loses_its_penalties(world):
    on_time = rows()["on-time"]
    # 3 deliveries x 0.5 h x 40.00 = 60.00; penalty on order 3: 500.00 x 1 % x 2 days = 10.00.
    assert (on_time["occurrences"], on_time["cost_each"], on_time["cost"]) == (3, "20.00", "60.00")
    assert (on_time["lost"], on_time["total_cost"]) == ("10.00", "70.00")
    # 70.00 > 26.125: flagged; 70 / 261.25 = 26.79… % of the margin.
    assert (on_time["flagged"], on_time["share_of_margin"]) == (True, "26.8")


def test_money_and_hours_per_occurrence_add_up(world):
    call = rows()["call"]
    # 1.50 + 0.1 h x 40.00 = 5.50 a delivery, x 3 = 16.50 ≤ 26.125: not flagged (6.3 % of the margin).
    assert (call["cost_each"], call["cost"], call["flagged"], call["share_of_margin"]) == ("5.50", "16.50", False, "6.3")


def test_a_price_promise_counts_invoice_lines_and_tells_money_lost_from_money_owed(world):
    price = rows()["price"]
    # 3 lines of X; no cost recorded. I2 billed 1.00 too much x 10 = 10.00 we owe back;
    # I3 billed 1.00 too little x 5 = 5.00 the customer owes.
    assert (price["occurrences"], price["cost"], price["lost"], price["owed_to_us"]) == (3, None, "10.00", "5.00")
    assert (price["flagged"], price["share_of_margin"]) == (False, "3.8")  # 10 / 261.25


def test_calendar_work_is_counted_from_the_calendar(world):
    result = rows()
    # Two quarters end in the period: 2 x 2 h x 40.00 = 160.00; turnover stays below 1000 a quarter: no rebate.
    assert (result["rebate"]["occurrences"], result["rebate"]["cost"], result["rebate"]["lost"]) == (2, "160.00", "0.00")
    # Updates apply from 1 April: 91 days // 14 = 6 times due x 0.25 h x 40.00 = 60.00.
    assert (result["updates"]["occurrences"], result["updates"]["cost"]) == (6, "60.00")
    assert result["rebate"]["flagged"] and result["updates"]["flagged"]


def test_the_settings_change_the_figures(world, settings):
    settings.PACTA_HOURLY_RATE = "80"
    settings.PACTA_COST_SHARE_LIMIT = "50"
    on_time = rows()["on-time"]
    # 3 x 0.5 h x 80.00 = 120.00 + 10.00 = 130.00 ≤ 50 % of 261.25 = 130.625: no longer flagged.
    assert (on_time["cost"], on_time["total_cost"], on_time["flagged"]) == ("120.00", "130.00", False)


def test_drafts_and_supplier_agreements_are_left_out(world):
    draft = agreement(party("B"), status="draft")
    promise(draft, "on-time", "on_time_delivery", {"lead_days": 5}, cost_hours=Decimal(1))
    promise(agreement(party("S", supplier=True), role="supplier"), "on-time", "on_time_delivery", {})
    result = profitability(as_of=AS_OF, **PERIOD)
    assert {r.commitment.agreement.reference for r in result.rows} == {"A-2025"}
    assert result.to_json()["hourly_rate"] == "40"
