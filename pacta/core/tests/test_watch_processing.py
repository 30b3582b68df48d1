"""Processing the deviation queue: actions, outcomes and alert mails."""

import datetime as dt

import time_machine

from pacta.core.models import Action, AuditEntry, Deviation, OutboundMail
from pacta.core.tests.watch_world import at, penalty, world  # noqa: F401
from pacta.core.watch import process_deviations

NOW = at("2025-03-10T12:00:00+01:00")
frozen = time_machine.travel(NOW, tick=False)


def deviation(commitment, key, old, new, **fields) -> Deviation:
    fields.setdefault("evidence", {"due": "2025-03-12", "done": None, "days_late": None})
    return Deviation.objects.create(commitment=commitment, instance_key=key, old_status=old, new_status=new,
                                    reason=f"{key} went {new}.", at=NOW, **fields)


@frozen
def test_a_new_problem_opens_an_action_for_the_executor_due_by_severity(world):
    d = deviation(world.call_ahead, "10643", "", "broken")
    assert process_deviations(NOW) == 1
    d.refresh_from_db()
    action = d.action
    assert d.outcome == Deviation.Outcome.OPENED_ACTION and d.processed_at is not None
    assert (action.owner, action.routing, action.instance_key) == (world.olav, "owner", "10643")
    # Broken: three days to act, from 10 March (Berlin) -> 13 March.
    assert action.due_on == dt.date(2025, 3, 13)
    assert action.title == "Call one hour before each delivery — 10643"
    assert action.description == "10643 went broken."
    assert action.opened_by is None  # the watcher
    assert AuditEntry.objects.filter(action="open_action", object_id=str(action.pk), user=None).exists()


@frozen
def test_each_severity_has_its_own_due_date(world):
    for key, new in (("a", "overdue"), ("b", "kept_late"), ("c", "at_risk")):
        deviation(world.call_ahead, key, "open", new)
    process_deviations(NOW)
    due = {a.instance_key: a.due_on for a in Action.objects.all()}
    # overdue: 1 day, kept late: 5 days, at risk: 7 days after 10 March.
    assert due == {"a": dt.date(2025, 3, 11), "b": dt.date(2025, 3, 15), "c": dt.date(2025, 3, 17)}


@frozen
def test_a_further_change_of_the_same_instance_joins_its_open_action(world):
    first = deviation(world.call_ahead, "10643", "open", "at_risk")
    process_deviations(NOW)
    second = deviation(world.call_ahead, "10643", "at_risk", "overdue")
    process_deviations(NOW)
    second.refresh_from_db()
    assert Action.objects.count() == 1
    assert second.outcome == Deviation.Outcome.JOINED_ACTION
    assert second.action_id == Deviation.objects.get(pk=first.pk).action_id


@frozen
def test_a_closed_action_does_not_stop_a_new_one_for_the_same_instance(world):
    deviation(world.call_ahead, "10643", "open", "overdue")
    process_deviations(NOW)
    Action.objects.update(status=Action.Status.DONE)
    deviation(world.call_ahead, "10643", "kept_late", "broken")
    process_deviations(NOW)
    assert Action.objects.filter(status=Action.Status.OPEN).count() == 1
    assert Action.objects.count() == 2


@frozen
def test_a_change_of_the_commitment_as_a_whole_is_recorded_without_an_action(world):
    d = deviation(world.call_ahead, "", "open", "broken", evidence={"counts": {"broken": 1}})
    process_deviations(NOW)
    d.refresh_from_db()
    assert d.outcome == Deviation.Outcome.RECORDED
    assert Action.objects.count() == 0
    assert OutboundMail.objects.count() == 0


@frozen
def test_a_final_problem_of_long_ago_is_history(world):
    # Due 1 January, delivered 3 January: more than 30 days before 10 March.
    old = deviation(world.call_ahead, "10248", "", "kept_late",
                    evidence={"due": "2025-01-01", "done": "2025-01-03T10:00:00+00:00", "days_late": 2})
    # Overdue never becomes history: it is still owed, however old.
    owed = deviation(world.call_ahead, "10249", "", "overdue", evidence={"due": "2025-01-01"})
    # Done late only yesterday: recent, so it is work.
    recent = deviation(world.call_ahead, "10250", "", "kept_late",
                       evidence={"due": "2025-01-01", "done": "2025-03-09T10:00:00+00:00", "days_late": 67})
    process_deviations(NOW)
    outcomes = {d.pk: d.outcome for d in Deviation.objects.all()}
    assert outcomes == {old.pk: "history", owed.pk: "opened_action", recent.pk: "opened_action"}


@frozen
def test_one_alert_mail_per_recipient_lists_all_their_changes(world):
    a = deviation(world.call_ahead, "10643", "open", "broken")
    b = deviation(world.volume, "2025-Q1", "open", "at_risk")
    process_deviations(NOW)
    mail = OutboundMail.objects.get()
    assert (mail.kind, mail.recipient, mail.to, mail.status) == ("alert", world.olav, "olav@example.com", "queued")
    assert set(Deviation.objects.filter(alert=mail).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert "10643" in mail.body_text and "2025-Q1" in mail.body_text
    assert mail.subject == "2 changes in what you answer for"


@frozen
def test_the_alert_preferences_decide_who_is_mailed_but_never_stop_the_action(world):
    world.olav.alert_at_risk = False
    world.olav.save()
    deviation(world.volume, "2025-Q1", "open", "at_risk")
    process_deviations(NOW)
    assert Action.objects.get().owner == world.olav
    assert OutboundMail.objects.count() == 0


@frozen
def test_coming_back_is_told_only_to_those_who_asked(world):
    deviation(world.call_ahead, "10643", "open", "overdue")
    process_deviations(NOW)
    OutboundMail.objects.all().delete()
    back = deviation(world.call_ahead, "10643", "overdue", "kept_late")
    process_deviations(NOW)
    assert OutboundMail.objects.count() == 1  # kept late is a breach: told under "broken"
    OutboundMail.objects.all().delete()
    deviation(world.call_ahead, "10643", "kept_late", "waived")
    process_deviations(NOW)
    assert OutboundMail.objects.count() == 0
    world.olav.alert_recovered = True
    world.olav.save()
    deviation(world.call_ahead, "10643", "waived", "kept")
    process_deviations(NOW)
    assert OutboundMail.objects.get().subject == "kept: Call one hour before each delivery (10643)"
    back.refresh_from_db()
    assert back.outcome == Deviation.Outcome.JOINED_ACTION


@frozen
def test_a_malformed_address_is_a_failed_mail_for_that_person_not_a_crash(world):
    world.olav.email = "olav(at)example"
    world.olav.save()
    deviation(world.call_ahead, "10643", "open", "broken", money=[penalty("52.50")])
    assert process_deviations(NOW) == 1
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.recipient) == ("failed", world.olav)
    assert "malformed e-mail address" in mail.last_error
    assert Action.objects.count() == 1


@frozen
def test_a_processed_deviation_is_not_processed_again(world):
    deviation(world.call_ahead, "10643", "open", "broken")
    assert process_deviations(NOW) == 1
    assert process_deviations(NOW) == 0
    assert OutboundMail.objects.count() == 1
