"""Customer status updates: the pre-filled draft, the cadence, sending, preparing drafts; check-ins."""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from pacta.core import updates
from pacta.core.actions.engagement import (
    do_compose_update,
    do_discard_update,
    do_prepare_due_updates,
    do_record_check_in,
    do_save_update,
    do_send_update,
    update_mails,
)
from pacta.core.actions.events import do_import_events
from pacta.core.actions.register import (
    CommitmentData,
    RegisterError,
    do_create_agreement,
    do_create_party,
    do_save_contact,
)
from pacta.core.actions.watch import do_open_action
from pacta.core.models import AuditEntry, CheckIn, Commitment, Event, OutboundMail, StatusUpdate
from pacta.core.tests.builders import delivery, events, notice, order, row

CET = dt.timezone(dt.timedelta(hours=1))
# Monday 10 March 2025, 10:00 in Berlin.
NOW = dt.datetime(2025, 3, 10, 10, 0, tzinfo=CET)

UPDATES = CommitmentData(
    key="updates", type="recurring", title="A status update every two weeks",
    params={"kind": "update", "every": "P14D", "warn_before": "P7D"}, direction="we_owe",
)
CALL_AHEAD = CommitmentData(
    key="call-ahead", type="notice_before_delivery", title="Call one hour before each delivery",
    params={"min_before": "PT1H"}, direction="we_owe",
)
CERTIFICATE = CommitmentData(
    key="insurance", type="deadline", title="Send the insurance certificate",
    params={"kind": "attestation", "ref": "insurance", "due": "2025-03-20", "remind_before": "P14D"},
    direction="we_owe",
)
PAYMENT = CommitmentData(
    key="payment", type="payment_term", title="Invoices paid within 30 days", params={"days": 30},
    direction="they_owe",
)


def erp(*rows):
    """Rows as the importer reads them (flags false unless given)."""
    return events(*({"due_date_only": False, "force_majeure": False, **r} for r in rows))


@pytest.fixture
def world(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mona, olav = users["mona"], users["olav"]
    party = do_create_party(acting_user=mona, code="ALFKI", name="Alfreds Futterkiste", country="DE",
                            timezone="Europe/Berlin", language="en", spoc=olav)
    anna = do_save_contact(party, acting_user=mona, name="Anna Trujillo", email="anna@alfki.example")
    do_save_contact(party, acting_user=mona, name="Bert Nobody", email="")  # receives updates, no address
    do_save_contact(party, acting_user=mona, name="Carl Quiet", email="carl@alfki.example", receives_updates=False)
    agreement = do_create_agreement(
        acting_user=mona, party=party, reference="ALFKI-2025", title="Delivery terms", valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31), currency="EUR", timezone="Europe/Berlin", status="in_force",
        commitments=[UPDATES, CALL_AHEAD, CERTIFICATE, PAYMENT],
    )
    do_import_events(erp(
        # The first update was due on 15 January and came on 1 March: kept late; the next is due 15 March 10:00.
        row("update", "2025-03-01T10:00:00+01:00"),
        # Order 1 was announced 90 minutes ahead (kept), order 2 only 30 minutes ahead (broken).
        order("2025-02-03", ref="O1"), notice("2025-02-05T08:30:00+01:00", ref="O1"),
        delivery("2025-02-05T10:00:00+01:00", ref="O1"),
        order("2025-02-17", ref="O2"), notice("2025-02-20T13:30:00+01:00", ref="O2"),
        delivery("2025-02-20T14:00:00+01:00", ref="O2"),
        # Invoice 1 of 31 January was due on 2 March and is not paid.
        row("invoice", "2025-01-31", ref="INV1", amount="1000"),
    ), source="erp")
    return SimpleNamespace(users=users, mona=mona, olav=olav, party=party, agreement=agreement, anna=anna,
                           commitment=lambda key: Commitment.objects.get(agreement=agreement, key=key))


def compose(world, now=NOW):
    with time_machine.travel(now, tick=False):
        return updates.compose(world.party, now)


def composed(world, now=NOW) -> StatusUpdate:
    with time_machine.travel(now, tick=False):
        return do_compose_update(world.party, acting_user=world.olav)


def send(world, update, now=NOW) -> StatusUpdate:
    with time_machine.travel(now, tick=False):
        return do_send_update(update, acting_user=world.olav, expected_revision=update.revision)


# --- the cadence


def test_the_next_update_is_due_every_after_the_last_one_sent(world):
    # The update of 1 March 10:00 (Berlin) + 14 days: 15 March 10:00, not yet overdue.
    next_due = updates.next_update_due(world.party, NOW)
    assert next_due.due == dt.datetime(2025, 3, 15, 10, 0, tzinfo=CET)
    assert not next_due.overdue and next_due.commitment == world.commitment("updates")


def test_an_update_not_sent_in_time_is_overdue(world):
    later = dt.datetime(2025, 3, 16, 9, 0, tzinfo=CET)
    next_due = updates.next_update_due(world.party, later)
    assert next_due.due == dt.datetime(2025, 3, 15, 10, 0, tzinfo=CET) and next_due.overdue


def test_a_party_without_a_cadence_has_no_next_update(world):
    other = do_create_party(acting_user=world.mona, code="BLAUS", name="Blauer See")
    assert updates.next_update_due(other, NOW) is None
    assert set(updates.next_updates_due(NOW)) == {world.party.pk}


def test_a_draft_agreement_sets_no_cadence(world):
    other = do_create_party(acting_user=world.mona, code="BLAUS", name="Blauer See")
    do_create_agreement(acting_user=world.mona, party=other, reference="BLAUS-2025",
                        valid_from=dt.date(2025, 1, 1), commitments=[UPDATES])
    assert updates.next_update_due(other, NOW) is None


# --- what a draft says


def test_the_draft_tells_what_was_kept_at_risk_broken_open_and_next(world):
    content = compose(world)
    assert content.subject == "Status update for Alfreds Futterkiste, March 10, 2025"
    assert content.language == "en"
    assert content.period_start is None and content.period_end == dt.date(2025, 3, 10)
    # Four promises of one agreement: the certificate at risk; call-ahead (O2), the cadence
    # (first update late) and the payment (INV1 unpaid) broken.
    assert content.topics == "- Delivery terms: 4 promises (1 at risk, 3 broken)"
    # O1 announced 90 minutes ahead.
    assert content.kept == "- Call one hour before each delivery: kept 1 time"
    assert content.at_risk.startswith("- Send the insurance certificate (2025-03-20): Due March 20, 2025")
    # O2 announced 30 minutes ahead; the late first update is not told in the update itself.
    assert content.challenges.startswith("- Call one hour before each delivery (O2): Delivery on Feb. 20, 2025")
    assert "status update" not in content.challenges
    # What the customer owes us is an open point.
    assert content.open_points.startswith("- Invoices paid within 30 days (INV1): Invoice INV1")
    # The next update after this one, if it goes out now (10 March 10:00): 14 days later, 24 March.
    assert content.next_steps == ("- March 20, 2025: Send the insurance certificate (2025-03-20)\n"
                                  "- March 24, 2025: our next status update")


def test_open_actions_are_open_points(world):
    with time_machine.travel(NOW, tick=False):
        do_open_action(world.commitment("call-ahead"), acting_user=world.olav, instance_key="O2",
                       title="Brief the drivers on calling ahead", due_on=dt.date(2025, 3, 14))
    lines = compose(world).open_points.splitlines()
    # By date: INV1 was due on 2 March, the action is due on 14 March.
    assert lines[0].startswith("- Invoices paid within 30 days (INV1)")
    assert lines[1] == "- Brief the drivers on calling ahead (to do by March 14, 2025)"


def test_the_draft_covers_what_happened_since_the_last_update_was_sent(world):
    send(world, composed(world))
    # A week later: O1's kept notice and O2's broken one were before the last update.
    week_later = NOW + dt.timedelta(days=7)
    content = compose(world, week_later)
    assert content.period_start == dt.date(2025, 3, 10) and content.period_end == dt.date(2025, 3, 17)
    assert content.kept == "" and content.challenges == ""
    assert not content.topics.startswith("Nothing new")  # INV1 is still open
    assert "INV1" in content.open_points


def test_nothing_new_is_said_in_so_many_words(world):
    quiet = do_create_party(acting_user=world.mona, code="QUIET", name="Quiet Corner", language="en")
    do_create_agreement(acting_user=world.mona, party=quiet, reference="QUIET-2025", status="in_force",
                        valid_from=dt.date(2025, 1, 1), commitments=[CALL_AHEAD])
    with time_machine.travel(NOW, tick=False):
        content = updates.compose(quiet, NOW)
    assert content.topics.splitlines()[0] == "Nothing to report yet: everything runs as agreed."
    assert content.kept == content.at_risk == content.challenges == content.open_points == ""


def test_the_draft_is_written_in_the_partys_language(world):
    world.party.language = "de"
    world.party.save()
    content = compose(world)
    assert content.language == "de"
    assert "10. März 2025" in content.subject
    assert "24. März 2025" in content.next_steps


def test_a_draft_agreements_promises_are_left_out(world):
    do_create_agreement(acting_user=world.mona, party=world.party, reference="ALFKI-2026",
                        valid_from=dt.date(2026, 1, 1),
                        commitments=[CommitmentData(**{**CALL_AHEAD.__dict__, "title": "Draft promise"})])
    assert "Draft promise" not in compose(world).topics + compose(world).kept


# --- composing, editing, sending


def test_composing_stores_a_draft_and_audits_it(world):
    update = composed(world)
    assert update.status == StatusUpdate.Status.DRAFT and update.created_by == world.olav
    assert update.kept == "- Call one hour before each delivery: kept 1 time"
    assert AuditEntry.objects.filter(action="compose_update", party=world.party).count() == 1


def test_a_draft_is_edited_and_a_sent_update_is_not(world):
    update = composed(world)
    update = do_save_update(update, acting_user=world.olav, expected_revision=update.revision,
                            challenges="We briefed the drivers again.")
    assert StatusUpdate.objects.get(pk=update.pk).challenges == "We briefed the drivers again."
    with pytest.raises(RegisterError) as refused:
        do_save_update(update, acting_user=world.olav, expected_revision=update.revision, subject=" ")
    assert list(refused.value.errors) == ["subject"]
    update = send(world, update)
    with pytest.raises(RegisterError):
        do_save_update(update, acting_user=world.olav, expected_revision=update.revision, kept="more")


def test_sending_mails_the_contacts_records_the_update_event_and_keeps_the_cadence(world, django_capture_on_commit_callbacks):
    update = composed(world)
    with django_capture_on_commit_callbacks(execute=True):
        update = send(world, update)
    assert update.status == StatusUpdate.Status.SENT and update.sent_at == NOW and update.sent_by == world.olav
    # Anna and Bert receive updates (Bert has no address); Carl does not.
    assert update.recipients == [{"name": "Anna Trujillo", "email": "anna@alfki.example"},
                                 {"name": "Bert Nobody", "email": ""}]
    assert [(m.to, m.status) for m in update_mails(update)] == [
        ("", OutboundMail.Status.FAILED), ("anna@alfki.example", OutboundMail.Status.SENT)]
    [message] = mail.outbox
    assert message.to == ["anna@alfki.example"] and message.subject == update.subject
    assert "Dear Anna Trujillo," in message.body and "== What we kept" in message.body
    assert "Call one hour before each delivery: kept 1 time" in message.body
    html = message.alternatives[0][0]
    assert "<h2" in html and "What is at risk, and why" in html
    event = Event.objects.get(pk=update.event_id)
    assert (event.kind, event.source, event.external_id) == ("update", "pacta", f"status-update-{update.pk}")
    assert event.at == NOW and event.party == world.party
    # The event went through the pipeline: the cadence's update due 15 March is kept,
    # and the next one is due 14 days after this one, 24 March 10:00.
    cadence = world.commitment("updates")
    assert cadence.instances.get(key="2025-03-15T10:00").status == "kept"
    assert updates.next_update_due(world.party, NOW).due == dt.datetime(2025, 3, 24, 10, 0, tzinfo=CET)
    assert AuditEntry.objects.filter(action="send_update", party=world.party).exists()


def test_the_mail_is_written_in_the_updates_language(world):
    world.party.language = "de"
    world.party.save()
    update = send(world, composed(world))
    anna = update_mails(update).get(to="anna@alfki.example")
    assert anna.language == "de"
    assert "10. März 2025" in anna.body_text  # "as of" date in German


def test_an_smtp_failure_leaves_the_mail_to_the_outboxs_retries(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on the discard port
    with django_capture_on_commit_callbacks(execute=True):
        update = send(world, composed(world))
    anna = update_mails(update).get(to="anna@alfki.example")
    assert anna.status == OutboundMail.Status.QUEUED and anna.attempts == 1 and anna.last_error
    assert StatusUpdate.objects.get(pk=update.pk).status == StatusUpdate.Status.SENT


def test_sending_is_refused_without_a_contact_that_can_receive_it(world):
    world.anna.receives_updates = False
    world.anna.save()
    update = composed(world)
    with pytest.raises(RegisterError) as refused:
        send(world, update)
    assert list(refused.value.errors) == ["recipients"]
    assert StatusUpdate.objects.get(pk=update.pk).status == StatusUpdate.Status.DRAFT
    assert not OutboundMail.objects.exists() and not Event.objects.filter(kind="update", source="pacta").exists()


def test_a_draft_can_be_discarded(world):
    update = composed(world)
    do_discard_update(update, acting_user=world.olav, expected_revision=update.revision)
    assert not StatusUpdate.objects.exists()
    assert AuditEntry.objects.filter(action="discard_update").exists()


# --- drafts ready before they are due


def test_a_draft_is_prepared_for_an_update_due_within_the_days_given(world):
    with time_machine.travel(NOW, tick=False):
        # Due 15 March 10:00: not within 3 days of 10 March 10:00, within 7.
        assert do_prepare_due_updates(now=NOW, within=dt.timedelta(days=3)) == []
        [draft] = do_prepare_due_updates(now=NOW, within=dt.timedelta(days=7))
    assert draft.party == world.party and draft.status == StatusUpdate.Status.DRAFT
    assert draft.created_by is None  # the system composed it


def test_preparing_again_refreshes_an_untouched_draft_and_leaves_an_edited_one(world):
    with time_machine.travel(NOW, tick=False):
        [draft] = do_prepare_due_updates(now=NOW)
        [again] = do_prepare_due_updates(now=NOW + dt.timedelta(days=1))
        assert again.pk == draft.pk and StatusUpdate.objects.count() == 1
        assert StatusUpdate.objects.get(pk=draft.pk).period_end == dt.date(2025, 3, 11)
        edited = do_save_update(again, acting_user=world.olav, expected_revision=again.revision, kept="By hand.")
        assert do_prepare_due_updates(now=NOW + dt.timedelta(days=2)) == []
    assert StatusUpdate.objects.get(pk=edited.pk).kept == "By hand."


def test_the_updates_command_lists_the_cadences_and_prepares_drafts(world, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("updates", "--prepare", "--days", "7", "--now", "2025-03-10T10:00:00+01:00")
    out = capsys.readouterr().out
    assert "Draft ready for ALFKI: Status update for Alfreds Futterkiste" in out
    assert "1 draft(s) composed or refreshed." in out
    assert out.splitlines()[-1].startswith("ALFKI\t")
    assert StatusUpdate.objects.filter(status="draft").count() == 1


# --- check-ins


def test_a_check_in_is_recorded_as_a_meeting(world):
    with time_machine.travel(NOW, tick=False):
        check_in = do_record_check_in(world.party, acting_user=world.olav, date=dt.date(2025, 3, 7),
                                      participants="Anna, Olav", went_well="Deliveries on time",
                                      went_badly="Two calls missed", changes="Drivers call from the depot")
    assert CheckIn.objects.get() == check_in and check_in.created_by == world.olav
    event = Event.objects.get(external_id=f"check-in-{check_in.pk}")
    assert event.kind == "meeting" and event.date_only and event.at.date() == dt.date(2025, 3, 7)
    assert AuditEntry.objects.filter(action="record_check_in", party=world.party).exists()


def test_a_check_in_needs_something_written_down_and_a_date_that_has_come(world):
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(RegisterError) as refused:
            do_record_check_in(world.party, acting_user=world.olav, date=dt.date(2025, 3, 7), participants="Anna")
        assert list(refused.value.errors) == ["went_well"]
        with pytest.raises(RegisterError) as refused:
            do_record_check_in(world.party, acting_user=world.olav, date=dt.date(2025, 3, 11), went_well="x")
        assert list(refused.value.errors) == ["date"]
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(("language", "written_in"), [("de", "de"), ("de-AT", "de"), ("nb", "nb"), ("pt", "en"), ("", "en")])
def test_an_update_is_written_in_the_partys_language_when_pacta_speaks_it(world, language, written_in):
    world.party.language = language
    assert updates.party_language(world.party) == written_in
