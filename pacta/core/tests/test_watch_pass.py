"""Whole watcher passes over a real evaluation, with time frozen."""

import datetime as dt
from decimal import Decimal

import time_machine

from pacta.core.models import Action, Commitment, Deviation, Event, OutboundMail
from pacta.core.tests.watch_world import at, world  # noqa: F401
from pacta.core.watch import due_commitments, run_pass
from pacta.lib import clock

# Q1 2025 has 90 days; at local midnight of 15 February 45 have passed (share 1/2).
MID_FEBRUARY = at("2025-02-15T00:00:00+01:00")
END_OF_Q1 = at("2025-04-01T00:00:00+02:00")


def invoice(world, day: str, quantity: str) -> None:
    Event.objects.create(source="test", external_id=f"inv-{day}", kind="invoice", party=world.party,
                         at=dt.datetime.fromisoformat(day + "T00:00:00+00:00"), date_only=True, ref=f"INV-{day}",
                         product="P1", quantity=Decimal(quantity), amount=Decimal(quantity), currency="EUR")


def only_volume(world):
    """The call-ahead promise reads deliveries; these tests follow the volume alone."""
    Commitment.objects.filter(pk=world.call_ahead.pk).update(evaluated_at=MID_FEBRUARY, next_check_at=None)


def test_a_pass_turns_a_commitment_going_at_risk_into_an_action_and_an_alert(world, mailoutbox):
    only_volume(world)
    invoice(world, "2025-01-20", "4100")
    with time_machine.travel(MID_FEBRUARY, tick=False):
        report = run_pass(now=MID_FEBRUARY, digests=False)
    # 4,100 in half the quarter: forecast 8,200, below the minimum of 10,000.
    assert (report.evaluated, report.processed, report.sent) == (1, 2, 1)
    assert sorted(Deviation.objects.values_list("instance_key", "old_status", "new_status")) == [
        ("", "", "at_risk"), ("2025-Q1", "", "at_risk")]
    action = Action.objects.get()
    assert (action.instance_key, action.owner, action.due_on) == ("2025-Q1", world.olav, dt.date(2025, 2, 22))
    (mail,) = mailoutbox
    assert mail.to == ["olav@example.com"]
    assert "8,200" in mail.body  # the engine's explanation travels with the alert
    volume = Commitment.objects.get(pk=world.volume.pk)
    assert volume.next_check_at == END_OF_Q1  # nothing changes before the quarter ends


def test_nothing_is_due_between_the_checks_and_the_next_check_finds_the_broken_period(world, mailoutbox):
    only_volume(world)
    invoice(world, "2025-01-20", "4100")
    with time_machine.travel(MID_FEBRUARY, tick=False) as traveller:
        run_pass(now=MID_FEBRUARY, digests=False)
        march = at("2025-03-15T12:00:00+01:00")
        traveller.move_to(march)
        assert not due_commitments(march).exists()
        assert run_pass(now=march, digests=False).evaluated == 0
        traveller.move_to(END_OF_Q1)
        report = run_pass(now=END_OF_Q1, digests=False)
    assert report.evaluated == 1
    broken = Deviation.objects.get(instance_key="2025-Q1", new_status="broken")
    assert broken.old_status == "at_risk"
    # Joined the open action of February: still one action.
    assert (broken.outcome, broken.action) == ("joined_action", Action.objects.get())
    # 10,000 - 4,100 = 5,900 units short x 0.50 = 2,950.00, owed by the customer.
    assert broken.money == [{"kind": "shortfall", "amount": "2950.00", "currency": "EUR", "payer": "them",
                             "state": "due"}]
    assert Deviation.objects.get(instance_key="", new_status="broken").old_status == "at_risk"
    # The action of February was due on 22 February: on 15 March its owner is reminded.
    assert [m.subject for m in mailoutbox] == [
        "at risk: At least 10,000 units a quarter (2025-Q1)",
        "Reminder: 1 overdue action",
        "broken: At least 10,000 units a quarter (2025-Q1)",
    ]


def test_the_pass_runs_as_of_the_clock_override(world, mailoutbox):
    only_volume(world)
    invoice(world, "2025-01-20", "4100")
    with clock.override(MID_FEBRUARY):
        report = run_pass(digests=False)
    assert report.evaluated == 1
    assert Deviation.objects.filter(new_status="at_risk", at=MID_FEBRUARY).count() == 2


def test_draft_agreements_are_not_watched(world):
    world.agreement.status = "draft"
    world.agreement.save()
    assert not due_commitments(MID_FEBRUARY).exists()


def test_a_commitment_whose_evaluation_fails_is_tried_again_an_hour_later_and_the_others_go_on(world, monkeypatch):
    from pacta.core import evaluation

    invoice(world, "2025-01-20", "4100")
    real = evaluation.evaluate_and_store

    def fails_for_call_ahead(*, commitments, as_of):
        if commitments.filter(key="call-ahead").exists():
            raise RuntimeError("bad terms")
        return real(commitments=commitments, as_of=as_of)

    monkeypatch.setattr(evaluation, "evaluate_and_store", fails_for_call_ahead)
    with time_machine.travel(MID_FEBRUARY, tick=False):
        report = run_pass(now=MID_FEBRUARY, digests=False)
    assert report.evaluated == 1
    assert Commitment.objects.get(pk=world.call_ahead.pk).next_check_at == MID_FEBRUARY + dt.timedelta(hours=1)
    assert Commitment.objects.get(pk=world.volume.pk).status == "at_risk"
    assert OutboundMail.objects.count() == 1
