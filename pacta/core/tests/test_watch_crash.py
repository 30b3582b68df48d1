"""A watcher killed mid-pass loses nothing, and nothing is sent twice when another takes over."""

import datetime as dt

import pytest
import time_machine

from pacta.core import outbox
from pacta.core.models import Action, Deviation, OutboundMail
from pacta.core.outbox import claim_mail, send_queued_mail
from pacta.core.tests.watch_world import at, smtp, world  # noqa: F401
from pacta.core.watch import process_deviations

NOW = at("2025-03-10T12:00:00+01:00")


class Killed(BaseException):
    """The process dies here (BaseException: nothing on the way catches it)."""


def broken(world, key="10643") -> Deviation:
    return Deviation.objects.create(commitment=world.call_ahead, instance_key=key, old_status="open",
                                    new_status="broken", at=NOW, evidence={"due": "2025-03-12"})


def test_killed_while_processing_a_deviation_leaves_it_for_the_next_watcher(world, smtp, monkeypatch):
    d = broken(world)

    def die(*args, **kwargs):
        raise Killed  # after the action was opened, before the alert is queued

    with time_machine.travel(NOW, tick=False):
        monkeypatch.setattr(outbox, "queue_alert", die)
        with pytest.raises(Killed):
            process_deviations(NOW)
        d.refresh_from_db()
        assert (d.processed_at, d.action_id) == (None, None)
        assert Action.objects.count() == 0  # the transaction took the half-opened action with it

        monkeypatch.undo()  # the restarted watcher
        assert process_deviations(NOW) == 1
        assert process_deviations(NOW) == 0
        send_queued_mail()
    assert Action.objects.count() == 1
    assert OutboundMail.objects.count() == 1
    assert len(smtp.messages) == 1


def test_killed_between_claiming_a_mail_and_sending_it_the_mail_is_sent_once_after_the_lease(world, smtp):
    with time_machine.travel(NOW, tick=False) as traveller:
        broken(world)
        process_deviations(NOW)
        mail = OutboundMail.objects.get()
        assert claim_mail(mail.pk) is not None  # the first watcher claims it, then dies

        # While the claim lasts another watcher leaves it alone: the first one
        # might only be slow, and sending now could send it twice.
        assert send_queued_mail().sent == 0
        traveller.shift(outbox.LEASE - dt.timedelta(seconds=1))
        assert send_queued_mail().sent == 0

        traveller.shift(dt.timedelta(seconds=2))  # the lease has expired: the restarted watcher sends it
        assert send_queued_mail().sent == 1
        traveller.shift(outbox.LEASE * 2)
        assert send_queued_mail().sent == 0
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1


def test_a_sender_whose_claim_expired_cannot_overwrite_the_outcome_of_the_one_that_took_over(world, smtp):
    with time_machine.travel(NOW, tick=False) as traveller:
        broken(world)
        process_deviations(NOW)
        mail = OutboundMail.objects.get()
        stale = claim_mail(mail.pk)
        traveller.shift(outbox.LEASE + dt.timedelta(seconds=1))
        assert send_queued_mail().sent == 1
        outbox._finish(mail.pk, stale, status=OutboundMail.Status.QUEUED, last_error="late news")
    mail.refresh_from_db()
    assert (mail.status, mail.last_error) == ("sent", "")


def test_a_claimed_mail_cannot_be_claimed_twice(world):
    with time_machine.travel(NOW, tick=False):
        broken(world)
        process_deviations(NOW)
        pk = OutboundMail.objects.get().pk
        assert claim_mail(pk) is not None
        assert claim_mail(pk) is None


def test_a_deviation_is_claimed_once(world):
    d = broken(world)
    assert Deviation.objects.filter(pk=d.pk, processed_at__isnull=True).update(processed_at=NOW) == 1
    with time_machine.travel(NOW, tick=False):
        assert process_deviations(NOW) == 0
    assert Action.objects.count() == 0



def test_when_another_watcher_opened_the_action_a_moment_ago_the_deviation_joins_it(world, monkeypatch):
    from pacta.core import watch
    from pacta.core.actions import watch as watch_actions

    with time_machine.travel(NOW, tick=False):
        theirs = watch_actions.do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
        d = broken(world)
        # The other watcher's action was committed after this one looked: both
        # checks miss it, and only the database's constraint refuses a second.
        looked = []
        real = watch._open_action_for

        def too_early(deviation):
            looked.append(deviation.pk)
            return None if len(looked) == 1 else real(deviation)

        monkeypatch.setattr(watch, "_open_action_for", too_early)
        monkeypatch.setattr(watch_actions, "_open_action_exists", lambda commitment, key: False)
        assert process_deviations(NOW) == 1
    d.refresh_from_db()
    assert (d.outcome, d.action) == ("joined_action", theirs)
    assert Action.objects.count() == 1
