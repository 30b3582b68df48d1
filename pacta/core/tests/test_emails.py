"""E-mail against a real SMTP server on localhost (aiosmtpd), up and down."""

import datetime as dt

import time_machine
from django.utils import translation

from pacta.core.models import Deviation, OutboundMail
from pacta.core.outbox import failed_mail, mail_problems, retrying_mail, send_queued_mail
from pacta.core.tests.watch_world import at, parts, penalty, smtp, world  # noqa: F401
from pacta.core.watch import process_deviations
from pacta.front.labels import status_word

NOW = at("2025-03-10T12:00:00+01:00")


def queue_alert(world, key="10643") -> OutboundMail:
    Deviation.objects.create(commitment=world.call_ahead, instance_key=key, old_status="open", new_status="broken",
                             reason="The delivery was not announced.", at=NOW, evidence={"due": "2025-03-12"},
                             money=[penalty("1252.50")])
    process_deviations(NOW)
    return OutboundMail.objects.get(deviations__instance_key=key)


def test_an_alert_arrives_in_the_recipients_language_with_text_and_html_and_a_link(world, smtp):
    world.olav.language = "de"
    world.olav.save()
    with time_machine.travel(NOW, tick=False):
        mail = queue_alert(world)
        report = send_queued_mail()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (message,) = smtp.messages
    assert message["To"] == "olav@example.com"
    assert message["Content-Language"] == "de"
    with translation.override("de"):
        broken = status_word("broken")  # the status word of the pages, in German
    assert broken != "broken"
    assert message["Subject"] == f"{broken}: Call one hour before each delivery (10643)"
    assert message["Message-ID"] == f"<pacta.mail-{mail.pk}@pacta.example.com>"
    bodies = parts(message)
    assert set(bodies) == {"text/plain", "text/html"}
    # German formats: "13. März 2025" (due in 3 days), "1.252,50" (thousands dot, decimal comma).
    for body in bodies.values():
        assert "13. März 2025" in body
        assert "1.252,50 EUR" in body
        assert "https://pacta.example.com/agreements/ALFKI-2025/commitments/call-ahead/" in body
    assert '<html lang="de">' in bodies["text/html"]
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.sent_at) == ("sent", 1, NOW)


def test_an_english_reader_gets_english_formats(world, smtp):
    with time_machine.travel(NOW, tick=False):
        queue_alert(world)
        send_queued_mail()
    text = parts(smtp.messages[0])["text/plain"]
    assert "March 13, 2025" in text and "1,252.50 EUR" in text


def test_with_the_server_down_the_mail_stays_queued_and_is_retried_with_backoff_then_sent_once(world, smtp):
    smtp.stop()
    with time_machine.travel(NOW, tick=False) as traveller:
        mail = queue_alert(world)
        report = send_queued_mail()
        assert (report.sent, report.retried) == (0, 1)
        mail.refresh_from_db()
        assert (mail.status, mail.attempts) == ("queued", 1)
        assert "Connection" in mail.last_error  # ConnectionRefusedError
        assert mail.next_attempt_at == NOW + dt.timedelta(minutes=1)
        assert list(retrying_mail()) == [mail]  # visible on the dashboard
        assert list(mail_problems(world.olav)) == [mail]

        assert send_queued_mail().retried == 0  # not due before its next attempt
        traveller.shift(dt.timedelta(seconds=61))
        assert send_queued_mail().retried == 1
        mail.refresh_from_db()
        # Second failure: the wait doubles, 2 minutes after 12:01:01.
        assert (mail.attempts, mail.next_attempt_at) == (2, NOW + dt.timedelta(seconds=61 + 120))

        smtp.start()
        traveller.shift(dt.timedelta(minutes=3))
        assert send_queued_mail().sent == 1
        assert send_queued_mail().sent == 0
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == ("sent", 3, "")
    assert len(smtp.messages) == 1
    assert list(retrying_mail()) == []


def test_a_mail_that_keeps_failing_gives_up_after_the_last_attempt(world, smtp, settings):
    settings.PACTA_MAIL_MAX_ATTEMPTS = 2
    smtp.stop()
    with time_machine.travel(NOW, tick=False) as traveller:
        mail = queue_alert(world)
        send_queued_mail()
        traveller.shift(dt.timedelta(minutes=2))
        assert send_queued_mail().failed == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.next_attempt_at) == ("failed", 2, None)
    assert list(failed_mail()) == [mail]


def test_an_address_the_server_refuses_fails_at_once_and_is_not_retried(world, smtp):
    smtp.inbox.refuse.add("olav@example.com")
    with time_machine.travel(NOW, tick=False):
        mail = queue_alert(world)
        assert send_queued_mail().failed == 1
    mail.refresh_from_db()
    assert mail.status == "failed"
    assert "550" in mail.last_error
    assert smtp.messages == []
    assert list(mail_problems(world.olav)) == [mail]


def test_one_refused_address_does_not_stop_the_others(world, smtp):
    world.nina.email = "nina@example.com"
    smtp.inbox.refuse.add("olav@example.com")
    with time_machine.travel(NOW, tick=False):
        queue_alert(world)
        world.call_ahead.owner = world.nina
        world.call_ahead.save()
        queue_alert(world, key="10644")
        report = send_queued_mail()
    assert (report.sent, report.failed) == (1, 1)
    assert smtp.inbox.recipients == [["nina@example.com"]]
