"""A batch's deviations, found set-based, are the ones the snapshots of every instance give."""

import datetime as dt
from decimal import Decimal

import polars as pl
import time_machine

from pacta.core.commitments.base import InstanceResult, InstanceStatus, MoneyItem, MoneyKind, MoneyState, Result
from pacta.core.models import Deviation, Instance
from pacta.core.tests.watch_world import at, penalty, store_verdict, world  # noqa: F401
from pacta.core.watch import detect_deviations, record_verdict_changes, state_of_result, take_snapshots

AS_OF = at("2025-03-10T12:00:00+01:00")
FIELDS = ("instance_key", "old_status", "new_status", "reason", "evidence", "money", "at")


def stored_rows(commitment) -> pl.DataFrame:
    return pl.DataFrame(list(Instance.objects.filter(commitment=commitment).order_by("pk").values(
        "id", "commitment_id", "key", "status", "health")))


def new_rows(commitment, instances: list[InstanceResult]) -> pl.DataFrame:
    return pl.DataFrame({
        "commitment_id": [commitment.pk] * len(instances), "key": [i.key for i in instances],
        "status": [i.status.value for i in instances], "health": [i.health.value if i.health else "" for i in instances],
        "row": list(range(len(instances))),
    })


@time_machine.travel("2025-03-10T12:00:00+01:00", tick=False)
def test_a_batch_records_the_deviations_the_snapshots_find(world):
    store_verdict(world.call_ahead, "open", {
        "back": {"status": "overdue", "due": at("2025-03-03T10:00:00+00:00"), "days_late": 7},
        "worse": {"status": "open", "health": "at_risk"},
        "gone": {"status": "broken", "due": at("2025-03-04T09:00:00+00:00"), "explanation": "No call."},
        "same": {"status": "kept"},
    }, evaluated_at=at("2025-03-09T12:00:00+01:00"))
    fee = MoneyItem(MoneyKind.PENALTY, Decimal("52.5"), "EUR", "us", MoneyState.DUE)
    instances = [
        InstanceResult("same", InstanceStatus.KEPT, explanation="Called."),
        InstanceResult("worse", InstanceStatus.OVERDUE, due=dt.date(2025, 3, 7), days_late=3, money=[fee],
                       explanation="Not delivered."),
        InstanceResult("back", InstanceStatus.KEPT_LATE, due=dt.date(2025, 3, 3), explanation="Delivered late."),
        InstanceResult("new", InstanceStatus.BROKEN, done=at("2025-03-08T08:00:00+01:00"), explanation="Too late."),
        InstanceResult("fine", InstanceStatus.OPEN, explanation="Not due yet."),
    ]
    result = Result(agreement="ALFKI-2025", party="ALFKI", commitment="call-ahead", type="notice_before_delivery",
                    status="broken", counts={}, money=[fee], instances=instances, explanation="Two broken.")
    snapshot = take_snapshots([world.call_ahead.pk])[world.call_ahead.pk]
    expected = detect_deviations(world.call_ahead.pk, snapshot, state_of_result(result), at=AS_OF)

    recorded = record_verdict_changes([(world.call_ahead.pk, result)], stored_rows(world.call_ahead),
                                      new_rows(world.call_ahead, instances), instances, at=AS_OF)

    # worse: at risk -> overdue; back: overdue -> kept late; new: from nothing; gone: to nothing;
    # the commitment: open -> broken. "same" and "fine" did not move into or out of a problem.
    assert [(d.instance_key, d.old_status, d.new_status) for d in expected] == [
        ("worse", "at_risk", "overdue"), ("back", "overdue", "kept_late"), ("new", "", "broken"),
        ("gone", "broken", ""), ("", "open", "broken")]
    rows = Deviation.objects.order_by("pk")
    assert recorded == 5
    assert [tuple(getattr(d, f) for f in FIELDS) for d in rows] == [
        tuple(getattr(d, f) for f in FIELDS) for d in expected]
    assert rows[0].money == [penalty("52.50")]
    assert rows[3].evidence == {"due": "2025-03-04T09:00:00+00:00", "done": None, "days_late": None}


@time_machine.travel("2025-03-10T12:00:00+01:00", tick=False)
def test_a_batch_whose_verdicts_did_not_move_records_nothing(world):
    store_verdict(world.call_ahead, "broken", {"10643": {"status": "broken"}}, evaluated_at=AS_OF)
    instances = [InstanceResult("10643", InstanceStatus.BROKEN, explanation="No call.")]
    result = Result(agreement="ALFKI-2025", party="ALFKI", commitment="call-ahead", type="notice_before_delivery",
                    status="broken", counts={}, money=[], instances=instances, explanation="")
    assert record_verdict_changes([(world.call_ahead.pk, result)], stored_rows(world.call_ahead),
                                  new_rows(world.call_ahead, instances), instances, at=AS_OF) == 0
    assert not Deviation.objects.exists()
