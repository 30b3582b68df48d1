"""Properties of the engine over generated events: row order never matters,
other parties' events never change a verdict, a penalty never exceeds its cap."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacta.core.engine import evaluate, results_to_json

from .builders import (
    delivery,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    make_spec,
    moment,
    notice,
    order,
    row,
    ticket_answered,
    ticket_opened,
)

AS_OF = moment("2025-04-15T12:00:00+02:00")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

SPECS = [
    make_spec("on_time_delivery", {"grace_days": 1, "penalty": {"percent": "2", "cap_percent": "5",
                                                                "force_majeure": True}}, commitment="on-time"),
    make_spec("on_time_delivery", {"lead_days": 3, "business_days": True,
                                   "penalty": {"percent": "1", "per_days": 7, "per_started_period": True}},
              commitment="lead-time"),
    make_spec("notice_before_delivery", {"min_before": "PT1H", "max_before": "PT24H"}, commitment="call-ahead"),
    make_spec("delivery_window", {"from": "07:00", "to": "12:00"}, commitment="window"),
    make_spec("response_time", {"within": "PT4H", "business_hours": {"from": "08:00", "to": "17:00"},
                                "credits": [{"below": 90, "percent": 5}], "monthly_fee": "300"}, commitment="support"),
    make_spec("recurring", {"kind": "update", "every": "P14D", "warn_before": "P2D"}, commitment="updates"),
    make_spec("recurring", {"kind": "meeting", "period": "month"}, commitment="meetings"),
    make_spec("deadline", {"kind": "attestation", "due": "2025-03-31"}, commitment="review"),
]

days = st.dates(dt.date(2025, 1, 1), dt.date(2025, 4, 30))
moments = st.one_of(days, st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2025, 4, 30)).map(
    lambda d: d.replace(microsecond=0, tzinfo=dt.timezone.utc)))
refs = st.sampled_from(["A", "B", "C", "D"])


def _at(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


@st.composite
def fact(draw, party="ALFKI"):
    kind = draw(st.sampled_from(["order", "delivery", "notice", "ticket_opened", "ticket_answered", "update",
                                 "meeting", "attestation"]))
    at, ref = _at(draw(moments)), draw(refs)
    if kind == "order":
        return order(at, ref=ref, party=party, product=draw(st.sampled_from(["P1", "P2"])),
                     quantity=str(draw(st.integers(1, 5))), amount=str(draw(st.integers(1, 5000))),
                     due=draw(st.one_of(st.none(), days.map(str))), force_majeure=draw(st.booleans()))
    if kind == "delivery":
        product = draw(st.sampled_from([None, "P1", "P2"]))
        return delivery(at, ref=ref, party=party, product=product,
                        quantity=None if product is None else str(draw(st.integers(1, 5))))
    if kind == "notice":
        return notice(at, ref=draw(st.one_of(st.none(), refs)), party=party)
    if kind == "ticket_opened":
        return ticket_opened(at, ref=ref, party=party)
    if kind == "ticket_answered":
        return ticket_answered(at, ref=ref, party=party)
    return row(kind, at, party=party)


def _doc(frame: pl.DataFrame, specs=SPECS):
    return results_to_json(evaluate(specs, frame, AS_OF), AS_OF)


@SETTINGS
@given(facts=st.lists(fact(), max_size=25), seed=st.randoms())
def test_evaluation_never_depends_on_the_order_of_the_event_rows(facts, seed):
    frame = events(*facts)
    shuffled = list(range(frame.height))
    seed.shuffle(shuffled)
    assert _doc(frame) == _doc(frame[shuffled])


@SETTINGS
@given(facts=st.lists(fact(), max_size=20), others=st.lists(fact(party="OTHER"), min_size=1, max_size=10))
def test_events_of_another_party_never_change_a_verdict(facts, others):
    assert _doc(events(*facts)) == _doc(events(*facts, *others))


@SETTINGS
@given(facts=st.lists(fact(), max_size=25), as_of_days=st.integers(0, 200))
def test_a_penalty_never_exceeds_its_cap(facts, as_of_days):
    as_of = AS_OF + dt.timedelta(days=as_of_days)
    capped = SPECS[0]
    for result in evaluate([capped], events(*facts), as_of):
        for inst in result.instances:
            value = sum((Decimal(f["amount"]) for f in facts if f["kind"] == "order" and f["ref"] == inst.key),
                        Decimal(0))
            for item in inst.money:
                assert item.amount <= value * Decimal("0.05")


@SETTINGS
@given(facts=st.lists(fact(), max_size=20))
def test_evaluating_commitments_together_or_one_by_one_gives_the_same_verdicts(facts):
    frame = events(*facts)
    together = _doc(frame)["results"]
    alone = [_doc(frame, [spec])["results"][0] for spec in SPECS]
    assert together == alone


@SETTINGS
@given(facts=st.lists(fact(), max_size=20))
def test_the_same_commitment_for_two_parties_with_the_same_events_gets_the_same_verdict(facts):
    mirrored = [dict(f, party="BONAP", id=f["id"] + "-b") for f in facts]
    specs = [SPECS[0], replace(SPECS[0], party="BONAP", agreement="BONAP-2025")]
    first, second = evaluate(specs, events(*facts, *mirrored), AS_OF)
    assert [(i.key, i.status, i.days_late, i.money) for i in first.instances] == \
        [(i.key, i.status, i.days_late, i.money) for i in second.instances]
