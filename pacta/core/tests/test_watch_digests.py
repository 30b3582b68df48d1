"""Weekly digests and daily reminders of overdue actions."""

import datetime as dt

import time_machine
from django.core.management import call_command

from pacta.core.actions.watch import do_open_action, do_record_absence, do_resolve_action
from pacta.core.models import Action, OutboundMail
from pacta.core.outbox import digest_context, queue_digests, queue_reminders
from pacta.core.tests.watch_world import at, penalty, store_verdict, world  # noqa: F401

# Monday 10 March 2025; the server's time zone is Europe/Amsterdam (CET, +01:00).
MONDAY_EARLY = at("2025-03-10T06:59:00+01:00")
MONDAY_MORNING = at("2025-03-10T07:00:00+01:00")


def digests():
    return sorted(OutboundMail.objects.filter(kind="digest").values_list("recipient__username", flat=True))


def test_digests_go_out_from_monday_morning_to_those_who_answer_for_something_and_managers(world):
    with time_machine.travel(MONDAY_EARLY, tick=False):
        assert queue_digests(MONDAY_EARLY) == 0
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert queue_digests(MONDAY_MORNING) == 3
    # olav executes the commitments; mona is a manager, admin an administrator;
    # nina answers for nothing and vera only views.
    assert digests() == ["admin", "mona", "olav"]


def test_a_person_gets_one_digest_a_week_however_often_it_runs(world):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        queue_digests(MONDAY_MORNING)
        traveller.shift(dt.timedelta(days=3))  # Thursday: this week's are out
        assert queue_digests(MONDAY_MORNING) == 0
        traveller.shift(dt.timedelta(days=4))  # next Monday
        assert queue_digests(MONDAY_MORNING) == 3
    assert OutboundMail.objects.filter(kind="digest").count() == 6


def test_a_watcher_that_missed_monday_sends_the_digest_later_that_week(world):
    tuesday = at("2025-03-11T03:00:00+01:00")
    with time_machine.travel(tuesday, tick=False):
        assert queue_digests(tuesday) == 3


def test_who_turned_the_digest_off_gets_none(world):
    world.olav.weekly_digest = False
    world.olav.save()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        queue_digests(MONDAY_MORNING)
    assert "olav" not in digests()


def test_the_digest_lists_the_week_ahead_the_risks_the_actions_and_the_money(world):
    store_verdict(world.call_ahead, "broken", {
        "10650": {"status": "open", "due": at("2025-03-14T10:00:00+01:00")},   # due this week
        "10700": {"status": "open", "due": at("2025-03-20T10:00:00+01:00")},   # next week: not listed
        "10643": {"status": "broken", "money": [penalty("52.50")]},
    }, evaluated_at=MONDAY_MORNING)
    store_verdict(world.volume, "at_risk", {"2025-Q1": {"status": "open", "health": "at_risk",
                                                        "money": [penalty("900", "projected", "shortfall", "them")]}},
                  evaluated_at=MONDAY_MORNING)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        action = do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643", title="Pay it")
        ctx = digest_context(world.olav, MONDAY_MORNING)
        queue_digests(MONDAY_MORNING, users=[world.olav])
    assert [i["key"] for i in ctx["due_this_week"]] == ["10650"]
    assert [i["key"] for i in ctx["at_risk"]] == ["2025-Q1"]
    assert [i["action"] for i in ctx["open_actions"]] == [action]
    assert [(m["kind"], str(m["amount"]), m["currency"]) for m in ctx["money"]] == [
        ("shortfall", "900.00", "EUR"), ("penalty", "52.50", "EUR")]
    mail = OutboundMail.objects.get(kind="digest")
    assert mail.subject == "Your week in pacta, March 10, 2025"
    for body in (mail.body_text, mail.body_html):
        assert "10650" in body and "2025-Q1" in body and "Pay it" in body and "900.00" in body
        assert "10700" not in body


def test_a_manager_digest_lists_the_unassigned_actions(world):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        for user in (world.olav, world.nina, world.mona):
            do_record_absence(acting_user=world.mona, user=user, start=dt.date(2025, 3, 1), end=dt.date(2025, 3, 31))
        world.admin.is_active = False
        world.admin.save()
        action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
        assert action.owner is None
        ctx = digest_context(world.mona, MONDAY_MORNING)
        assert digest_context(world.olav, MONDAY_MORNING)["unassigned_actions"] == []
    assert [i["action"] for i in ctx["unassigned_actions"]] == [action]


def test_pacta_digest_sends_this_weeks_digests_at_once(world, mailoutbox):
    wednesday = at("2025-03-12T15:00:00+01:00")
    with time_machine.travel(wednesday, tick=False):
        call_command("digest", user=["olav"])
        call_command("digest", user=["olav"])
    assert [m.to for m in mailoutbox] == [["olav@example.com"]]
    assert OutboundMail.objects.get().status == "sent"


# --------------------------------------------------------------------------- reminders


def overdue_action(world) -> Action:
    with time_machine.travel(at("2025-03-05T12:00:00+01:00"), tick=False):
        return do_open_action(world.call_ahead, acting_user=None, instance_key="10643",
                              due_on=dt.date(2025, 3, 7))


def reminders():
    return list(OutboundMail.objects.filter(kind="nag").order_by("pk").values_list("recipient__username", "subject"))


def test_an_overdue_action_reminds_its_owner_once_a_day_from_the_morning(world):
    overdue_action(world)
    with time_machine.travel(MONDAY_EARLY, tick=False) as traveller:
        assert queue_reminders(MONDAY_EARLY) == 0
        traveller.move_to(MONDAY_MORNING)
        assert queue_reminders(MONDAY_MORNING) == 1
        assert queue_reminders(MONDAY_MORNING) == 0
        traveller.shift(dt.timedelta(days=1))
        assert queue_reminders(MONDAY_MORNING + dt.timedelta(days=1)) == 1
    assert reminders() == [("olav", "Reminder: 1 overdue action")] * 2
    body = OutboundMail.objects.filter(kind="nag").order_by("pk").first().body_text
    assert "3 days late" in body  # due 7 March, reminded on 10 March


def test_a_resolved_action_reminds_nobody(world):
    action = overdue_action(world)
    do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision, resolution="Called them.")
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert queue_reminders(MONDAY_MORNING) == 0


def test_while_the_owner_is_away_the_deputy_is_reminded(world):
    overdue_action(world)
    do_record_absence(acting_user=world.olav, user=world.olav, start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 14))
    with time_machine.travel(MONDAY_MORNING, tick=False):
        queue_reminders(MONDAY_MORNING)
    assert reminders() == [("nina", "Reminder: 1 overdue action")]
    assert "you stand in for Olav Owner" in OutboundMail.objects.get().body_text


def test_who_turned_reminders_off_gets_none(world):
    overdue_action(world)
    world.olav.remind_overdue_actions = False
    world.olav.save()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        assert queue_reminders(MONDAY_MORNING) == 0
