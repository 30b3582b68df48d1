"""Properties of the money and period types, over generated event histories."""

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacta.core.commitments.volume_rebate import rebate_on
from pacta.core.tests.money_builders import (
    events,
    evaluate,
    frozen_clock,  # noqa: F401  (fixture)
    make_spec,
    row,
)

AS_OF = "2025-08-15T12:00:00+02:00"
SPECS = [
    make_spec("volume_commitment", {"period": "quarter", "minimum": "500", "maximum": "5000", "shortfall_fee": "0.5"}),
    make_spec("volume_rebate", {"period": "quarter", "payout_days": 20,
                                "tiers": [{"from": "1000", "rate": "1"}, {"from": "5000", "rate": "2.5"}]}),
    make_spec("conditional_price", {"period": "month", "price": "8", "list_price": "10", "volume": "100"},
              products=("P1",)),
    make_spec("agreed_price", {"price": "8", "tolerance": "0.01"}, products=("P1",)),
    make_spec("payment_term", {"days": 14, "interest_percent": "7.5", "fixed_fee": "15"}),
]

days = st.dates(min_value=dt.date(2024, 12, 1), max_value=dt.date(2025, 9, 30))
money_values = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)
quantities = st.integers(min_value=1, max_value=300).map(Decimal)
prices = st.sampled_from(["7.99", "8", "8.005", "8.02", "9.5", "10"])
refs = st.sampled_from(["INV-1", "INV-2", "INV-3", "rebate-1", "CN-1", None])


@st.composite
def an_event(draw, party="ALFKI"):
    kind = draw(st.sampled_from(["invoice", "invoice", "invoice", "payment", "credit_note", "order"]))
    when = draw(st.one_of(days, days.map(lambda d: dt.datetime.combine(d, dt.time(13, 30), dt.timezone.utc))))
    ref = draw(refs)
    if kind in ("invoice", "order"):
        return row(kind, when, party=party, ref=ref, product=draw(st.sampled_from(["P1", "P2"])),
                   quantity=draw(quantities), unit_price=draw(prices), list_price="10")
    return row(kind, when, party=party, ref=ref, amount=draw(money_values))


histories = st.lists(an_event(), min_size=0, max_size=25)
strangers = st.lists(an_event(party="BONAP"), min_size=1, max_size=10)


def verdicts(result):
    """What a result says, in comparable form."""
    return (result.status, result.counts, [(m.kind, m.amount, m.payer, m.state) for m in result.money],
            [(i.key, i.status, i.due, i.done, i.days_late, i.health, i.explanation,
              [(m.kind, m.amount, m.payer, m.state) for m in i.money]) for i in result.instances],
            result.explanation, result.next_check_at)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(history=histories, order=st.randoms(use_true_random=False))
def test_the_order_of_the_rows_never_matters(history, order):
    shuffled = list(history)
    order.shuffle(shuffled)
    for spec in SPECS:
        assert verdicts(evaluate(spec, events(*history), AS_OF)) == verdicts(evaluate(spec, events(*shuffled), AS_OF))


@PROPERTY
@given(history=histories, others=strangers)
def test_another_partys_events_never_change_a_verdict(history, others):
    for spec in SPECS:
        alone = evaluate(spec, events(*history), AS_OF)
        crowded = evaluate(spec, events(*history, *others), AS_OF)
        assert verdicts(alone) == verdicts(crowded)


tiers = st.lists(
    st.tuples(st.integers(min_value=0, max_value=20000), st.decimals(min_value=0, max_value=30, places=2)),
    min_size=1, max_size=5, unique_by=lambda t: t[0],
).map(lambda ts: [{"from": str(f), "rate": str(r)} for f, r in sorted(ts)])


@PROPERTY
@given(tier_list=tiers, mode=st.sampled_from(["whole", "marginal"]), measure=st.sampled_from(["amount", "quantity"]),
       amount=st.decimals(min_value=-1000, max_value=100000, places=2),
       quantity=st.decimals(min_value=-10, max_value=50000, places=0))
def test_a_rebate_never_exceeds_the_highest_rate_on_the_turnover(tier_list, mode, measure, amount, quantity):
    params = make_spec("volume_rebate", {"tiers": tier_list, "mode": mode, "measure": measure}).terms.params
    volume = amount if measure == "amount" else quantity
    rebate = rebate_on(amount, volume, params)
    highest = max(Decimal(t["rate"]) for t in tier_list)
    assert Decimal(0) <= rebate <= highest * max(amount, Decimal(0)) / 100


@PROPERTY
@given(history=histories)
def test_the_rebates_of_a_history_stay_within_the_highest_rate_of_each_periods_turnover(history):
    result = evaluate(SPECS[1], events(*history), AS_OF)
    for inst in result.instances:
        assert inst.data["accrued"] <= Decimal("0.025") * max(inst.data["turnover"], Decimal(0))

