"""The engine: what is known as of a moment, results in order, waivers, JSON and exit code."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from pacta.core.commitments.base import InstanceResult, InstanceStatus, MoneyItem, MoneyKind, MoneyState, make_result
from pacta.core.engine import apply_waivers, evaluate, exit_code, results_to_json

from .builders import (
    check,
    delivery,
    events,
    frozen_clock,  # noqa: F401  (autouse: the clock is frozen)
    instance,
    make_spec,
    moment,
    notice,
    order,
    row,
    statuses,
    waived,
)


def test_results_come_in_the_order_of_the_commitments_whatever_their_types():
    specs = [make_spec("deadline", {"kind": "attestation", "due": "2025-06-30"}, commitment="review"),
             make_spec("on_time_delivery", {}, commitment="on-time"),
             make_spec("delivery_window", {"from": "07:00", "to": "12:00"}, commitment="window"),
             make_spec("on_time_delivery", {}, commitment="on-time-2")]
    results = evaluate(specs, events(), moment("2025-03-01T12:00:00+01:00"))
    assert [r.commitment for r in results] == ["review", "on-time", "window", "on-time-2"]


def test_a_timestamped_event_counts_from_its_moment_on():
    frame = events(order("2025-03-03", ref="A", due="2025-03-05"), delivery("2025-03-05T10:00:00+01:00", ref="A"))
    spec = make_spec("on_time_delivery", {})
    assert statuses(check(spec, frame, "2025-03-05T09:59:59+01:00")) == {"A": "open"}
    assert statuses(check(spec, frame, "2025-03-05T10:00:00+01:00")) == {"A": "kept"}


def test_a_date_only_event_counts_from_the_start_of_its_day_in_the_agreements_time_zone():
    # 5 March 00:30 in Amsterdam is still 4 March in UTC: the delivery "on 5 March" already counts.
    frame = events(order("2025-03-03", ref="A", due="2025-03-05"), delivery("2025-03-05", ref="A"))
    spec = make_spec("on_time_delivery", {})
    assert statuses(check(spec, frame, "2025-03-04T23:59:00+01:00")) == {"A": "open"}
    assert statuses(check(spec, frame, "2025-03-05T00:30:00+01:00")) == {"A": "kept"}


def test_each_agreement_reads_date_only_events_in_its_own_time_zone():
    frame = events(order("2025-03-03", ref="A", due="2025-03-10"), delivery("2025-03-05", ref="A"),
                   order("2025-03-03", ref="A", due="2025-03-10", party="NYC"), delivery("2025-03-05", ref="A", party="NYC"))
    amsterdam = make_spec("on_time_delivery", {})
    new_york = replace(make_spec("on_time_delivery", {}, party="NYC", timezone="America/New_York"), commitment="c2")
    # 5 March 05:00 in Amsterdam is 4 March 23:00 in New York.
    ams, nyc = evaluate([amsterdam, new_york], frame, moment("2025-03-05T05:00:00+01:00"))
    assert (statuses(ams), statuses(nyc)) == ({"A": "kept"}, {"A": "open"})


def test_as_of_must_say_its_offset():
    with pytest.raises(ValueError):
        evaluate([], events(), dt.datetime(2025, 3, 1, 12))


def _result_with_money(*keys_and_amounts):
    spec = make_spec("on_time_delivery", {})
    instances = [InstanceResult(key, InstanceStatus.KEPT_LATE, days_late=2, explanation="Late.",
                                money=[MoneyItem(MoneyKind.PENALTY, Decimal(amount), "EUR", "us", MoneyState.DUE)])
                 for key, amount in keys_and_amounts]
    return make_result(spec, instances, "Two were late.")


def test_waiving_an_instance_drops_its_money_and_recomputes_the_status():
    result = apply_waivers(_result_with_money(("A", "10.005"), ("B", "5")), frozenset({"A"}))
    assert [m.amount for m in result.money] == [Decimal(5)]
    assert (result.status, result.counts["waived"], result.counts["kept_late"]) == ("broken", 1, 1)
    waived_one = [i for i in result.instances if i.key == "A"][0]
    assert (waived_one.status, waived_one.money, waived_one.days_late) == (InstanceStatus.WAIVED, [], 2)
    assert waived_one.explanation == "Waived by the other side. Late."


def test_waiving_every_late_instance_leaves_no_money_and_no_breach():
    result = apply_waivers(_result_with_money(("A", "10"), ("B", "5")), frozenset({"A", "B"}))
    assert (result.money, result.status) == ([], "kept")


def test_applying_waivers_twice_changes_nothing_more():
    once = apply_waivers(_result_with_money(("A", "10"), ("B", "5")), frozenset({"A"}))
    twice = apply_waivers(once, frozenset({"A"}))
    assert twice.money == once.money and twice.instances[0].explanation == once.instances[0].explanation


def test_the_json_document_has_the_shape_of_file_mode():
    frame = events(delivery("2025-03-04T10:00:00+01:00", ref="10643"), delivery("2025-03-05T10:00:00+01:00", ref="10644"),
                   notice("2025-03-05T08:00:00+01:00", ref="10644"),
                   order("2025-03-03", ref="X", due="2025-03-04", amount="1050", party="BONAP"),
                   delivery("2025-03-05", ref="X", party="BONAP"))
    specs = [make_spec("notice_before_delivery", {"min_before": "PT1H", "max_before": "PT24H"}, commitment="call-ahead"),
             make_spec("on_time_delivery", {"penalty": {"percent": "5"}}, party="BONAP", commitment="on-time")]
    as_of = moment("2025-12-31T23:59:59+00:00")
    doc = results_to_json(evaluate(specs, frame, as_of), as_of)
    assert doc["as_of"] == "2025-12-31T23:59:59+00:00"
    notices, on_time = doc["results"]
    assert list(notices) == ["agreement", "party", "commitment", "type", "status", "counts", "money", "instances",
                             "explanation"]
    assert notices["counts"] == {"open": 0, "kept": 1, "kept_late": 0, "overdue": 0, "broken": 1, "waived": 0, "lapsed": 0}
    assert notices["explanation"] == "1 of 2 deliveries were announced; 10643 was not."
    assert list(notices["instances"][0]) == ["key", "status", "due", "done", "days_late", "health", "money", "explanation"]
    assert notices["instances"][0]["due"] == "2025-03-04T09:00:00+01:00"
    # 1050 x 5% x 1 day = 52.50
    assert on_time["money"] == [{"kind": "penalty", "amount": "52.50", "currency": "EUR", "payer": "us", "state": "due"}]
    assert on_time["instances"][0]["due"] == "2025-03-04" and on_time["instances"][0]["done"] == "2025-03-05"


def test_the_exit_code_is_1_when_a_commitment_is_broken():
    spec = make_spec("delivery_window", {"from": "07:00", "to": "12:00"})
    as_of = moment("2025-03-31T12:00:00+02:00")
    assert exit_code(evaluate([spec], events(delivery("2025-03-04T10:00:00+01:00", ref="A")), as_of)) == 0
    assert exit_code(evaluate([spec], events(delivery("2025-03-04T15:00:00+01:00", ref="A")), as_of)) == 1
    assert exit_code([]) == 0


def test_a_waiver_in_the_spec_is_applied_by_the_engine():
    frame = events(delivery("2025-03-04T15:00:00+01:00", ref="A"))
    result = check(waived(make_spec("delivery_window", {"from": "07:00", "to": "12:00"}), "A"), frame,
                   "2025-03-31T12:00:00+02:00")
    assert (instance(result, "A").status, result.status) == (InstanceStatus.WAIVED, "kept")


def test_unknown_event_kinds_and_other_parties_are_ignored():
    frame = events(row("meeting", "2025-03-04"), delivery("2025-03-04T15:00:00+01:00", ref="A", party="OTHER"))
    result = check(make_spec("delivery_window", {"from": "07:00", "to": "12:00"}), frame, "2025-03-31T12:00:00+02:00")
    assert result.instances == []
