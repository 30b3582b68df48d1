"""Deviations: every change into or out of at risk, overdue, broken or kept late is one row."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from pacta.core.commitments.base import InstanceResult, InstanceStatus, MoneyItem, MoneyKind, MoneyState, Result
from pacta.core.models import Deviation
from pacta.core.tests.watch_world import at, penalty, store_verdict, world  # noqa: F401
from pacta.core.watch import (
    CommitmentState,
    InstanceState,
    detect_deviations,
    record_evaluation_changes,
    take_snapshots,
)

AS_OF = at("2025-03-10T12:00:00+01:00")


def state(status: str, **instances: str) -> CommitmentState:
    return CommitmentState(status, {k: InstanceState(v, explanation=f"{k} {v}") for k, v in instances.items()})


def changes(deviations):
    return [(d.instance_key, d.old_status, d.new_status) for d in deviations]


def test_an_instance_going_overdue_is_a_deviation():
    found = detect_deviations(1, state("open", a="open"), state("broken", a="overdue"), at=AS_OF)
    assert changes(found) == [("a", "open", "overdue"), ("", "open", "broken")]


def test_an_open_instance_at_risk_counts_as_at_risk():
    before = state("open", q1="open")
    after = CommitmentState("at_risk", {"q1": InstanceState("at_risk", explanation="behind pace")})
    assert changes(detect_deviations(1, before, after, at=AS_OF)) == [("q1", "open", "at_risk"), ("", "open", "at_risk")]


def test_a_change_between_good_states_is_no_deviation():
    # open -> kept, kept -> waived: nothing went wrong and nothing came back.
    found = detect_deviations(1, state("open", a="open", b="kept"), state("kept", a="kept", b="waived"), at=AS_OF)
    assert found == []


def test_coming_back_from_a_problem_is_a_deviation():
    found = detect_deviations(1, state("broken", a="overdue"), state("kept", a="waived"), at=AS_OF)
    assert changes(found) == [("a", "overdue", "waived"), ("", "broken", "kept")]


def test_new_instances_count_from_nothing_and_vanished_ones_go_to_nothing():
    before = state("broken", gone="overdue", same="kept")
    after = state("broken", same="kept", new="kept_late", fine="open")
    assert changes(detect_deviations(1, before, after, at=AS_OF)) == [("new", "", "kept_late"), ("gone", "overdue", "")]


def test_a_never_evaluated_commitment_going_broken_is_recorded_from_nothing():
    assert changes(detect_deviations(1, state(""), state("broken", x="broken"), at=AS_OF)) == [
        ("x", "", "broken"), ("", "", "broken")]


def test_a_deviation_carries_the_reason_evidence_and_money_of_the_new_verdict():
    after = CommitmentState("broken", {"10643": InstanceState(
        "kept_late", due="2025-03-03", done="2025-03-07T10:00:00+00:00", days_late=4,
        money=(penalty("52.50"),), explanation="Delivered 4 days late.")})
    (deviation, _commitment) = detect_deviations(7, state("open", **{"10643": "open"}), after, at=AS_OF)
    assert (deviation.commitment_id, deviation.reason, deviation.at) == (7, "Delivered 4 days late.", AS_OF)
    assert deviation.evidence == {"due": "2025-03-03", "done": "2025-03-07T10:00:00+00:00", "days_late": 4}
    assert deviation.money == [penalty("52.50")]


@time_machine.travel("2025-03-10T12:00:00+01:00", tick=False)
def test_it_records_the_changes_between_the_stored_verdicts(world):
    store_verdict(world.volume, "open", {"2025-Q1": {"status": "open", "health": "on_track"}},
                  evaluated_at=at("2025-03-01T00:00:00+01:00"))
    before = take_snapshots([world.volume.pk])
    store_verdict(world.volume, "at_risk", {"2025-Q1": {"status": "open", "health": "at_risk",
                                                        "explanation": "At this pace 8,200 units."}},
                  evaluated_at=AS_OF)
    recorded = record_evaluation_changes(before, at=AS_OF)
    rows = Deviation.objects.order_by("pk")
    assert [(d.instance_key, d.old_status, d.new_status, d.processed_at) for d in rows] == [
        ("2025-Q1", "open", "at_risk", None), ("", "open", "at_risk", None)]
    assert [d.pk for d in recorded] == [d.pk for d in rows]
    assert rows[0].reason == "At this pace 8,200 units."


@time_machine.travel("2025-04-01T09:00:00+02:00", tick=False)
def test_it_records_the_changes_against_engine_results(world):
    store_verdict(world.volume, "at_risk", {"2025-Q1": {"status": "open", "health": "at_risk"}},
                  evaluated_at=AS_OF)
    before = take_snapshots([world.volume.pk])
    shortfall = MoneyItem(MoneyKind.SHORTFALL, Decimal("1500"), "EUR", "them", MoneyState.DUE)
    result = Result(
        agreement="ALFKI-2025", party="ALFKI", commitment="volume", type="volume_commitment", status="broken",
        counts={"broken": 1}, money=[shortfall], explanation="Q1 broken.",
        instances=[InstanceResult("2025-Q1", InstanceStatus.BROKEN, due=dt.date(2025, 3, 31), health=None,
                                  money=[shortfall], explanation="2025-Q1 ended 3,000 units short.")],
    )
    as_of = at("2025-04-01T00:00:00+02:00")
    record_evaluation_changes(before, [(world.volume, result)], at=as_of)
    deviation = Deviation.objects.get(instance_key="2025-Q1")
    assert (deviation.old_status, deviation.new_status, deviation.at) == ("at_risk", "broken", as_of)
    assert deviation.evidence["due"] == "2025-03-31"
    # 1,500 exactly, written out rounded to cents as in COMMITMENTS.md section 5.
    assert deviation.money == [{"kind": "shortfall", "amount": "1500.00", "currency": "EUR", "payer": "them",
                                "state": "due"}]
    assert Deviation.objects.get(instance_key="").new_status == "broken"


def test_an_unchanged_verdict_records_nothing(world):
    store_verdict(world.call_ahead, "broken", {"10643": {"status": "broken"}}, evaluated_at=AS_OF)
    before = take_snapshots([world.call_ahead.pk])
    store_verdict(world.call_ahead, "broken", {"10643": {"status": "broken"}}, evaluated_at=AS_OF)
    assert record_evaluation_changes(before, at=AS_OF) == []


@pytest.mark.parametrize("health, expected", [("at_risk", "at_risk"), ("on_track", "open")])
def test_a_snapshot_reads_stored_health_as_the_watch_status(world, health, expected):
    store_verdict(world.volume, "open", {"2025-Q1": {"status": "open", "health": health}}, evaluated_at=AS_OF)
    snapshot = take_snapshots([world.volume.pk])[world.volume.pk]
    assert snapshot.instances["2025-Q1"].status == expected
