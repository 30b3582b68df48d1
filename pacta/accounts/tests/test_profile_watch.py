"""A person's page for "watch and act": which e-mails they get, the e-mail that
did not reach them, their calendar feed (shown once, revocable), their absences."""

import re

import icalendar
import pytest
import time_machine
from django.urls import reverse

from pacta.core.actions.watch import do_record_absence
from pacta.core.models import CalendarToken, OutboundMail
from pacta.front.tests.watch_pages import NOW, TODAY

pytestmark = pytest.mark.usefixtures("frozen")

PREFERENCES = ("alert_at_risk", "alert_overdue", "alert_broken", "alert_recovered", "remind_overdue_actions",
               "weekly_digest")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_user(client, users):
    return lambda name: client.force_login(users[name]) or client


def profile_data(user, **changes):
    data = {"first_name": user.first_name, "last_name": user.last_name, "email": user.email, "language": "",
            "timezone": ""}
    data.update({name: "on" for name in PREFERENCES if getattr(user, name)})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------------
# alert preferences


def test_the_profile_offers_the_six_alert_preferences_as_stored(users, as_user):
    form = as_user("olav").get(reverse("accounts:profile")).context["form"]
    # At risk, overdue, broken, reminders and the digest are on by default; back on track is off.
    assert {f.name: f.value() for f in form.preference_fields()} == {
        "alert_at_risk": True, "alert_overdue": True, "alert_broken": True, "alert_recovered": False,
        "remind_overdue_actions": True, "weekly_digest": True}


def test_a_person_turns_off_the_digest_and_on_the_all_clear(users, as_user):
    olav = users["olav"]
    response = as_user("olav").post(reverse("accounts:profile"),
                                    profile_data(olav, weekly_digest=None, alert_recovered="on"))
    assert response.status_code == 302
    olav.refresh_from_db()
    assert (olav.weekly_digest, olav.alert_recovered, olav.alert_broken) == (False, True, True)


# ---------------------------------------------------------------------------
# mail problems


def failed_mail(user, to, error):
    return OutboundMail.objects.create(kind="alert", recipient=user, to=to, subject="Broken: call-ahead",
                                       body_text="t", status="failed", last_error=error)


def test_a_malformed_address_is_reported_on_the_persons_page(users, as_user):
    failed_mail(users["olav"], "olav@", "malformed e-mail address: 'olav@'")
    failed_mail(users["nina"], "nina@example.com", "550 no such user")
    text = as_user("olav").get(reverse("accounts:profile")).text
    assert "E-mail that did not reach you" in text
    assert "malformed e-mail address: &#x27;olav@&#x27;" in text
    assert "550 no such user" not in text  # nina's problem is hers


def test_a_mail_waiting_for_another_try_says_when(users, as_user):
    OutboundMail.objects.create(kind="digest", recipient=users["olav"], to="olav@example.com", subject="Your week",
                                body_text="t", status="queued", attempts=3, next_attempt_at=NOW,
                                last_error="Connection refused")
    text = as_user("olav").get(reverse("accounts:profile")).text
    assert "Connection refused" in text and "next try" in text


def test_without_problems_the_page_says_nothing_about_mail(users, as_user):
    assert "E-mail that did not reach you" not in as_user("olav").get(reverse("accounts:profile")).text


def test_a_person_without_an_address_is_told_they_get_no_alerts(users, as_user):
    users["olav"].email = ""
    users["olav"].save()
    assert "Without an e-mail address you get no alerts" in as_user("olav").get(reverse("accounts:profile")).text


# ---------------------------------------------------------------------------
# the calendar feed


def created_url(client) -> tuple[str, object]:
    response = client.post(reverse("accounts:calendar_create"))
    assert response.status_code == 200
    url = response.context["calendar_url"]
    return url, response


def test_the_calendar_url_is_shown_once_and_works(users, as_user):
    client = as_user("olav")
    url, response = created_url(client)
    assert re.fullmatch(r"http://testserver/calendar/[\w-]{40,}\.ics", url)
    assert f'value="{url}"' in response.text
    assert "no-store" in response["Cache-Control"]  # the page holds the secret
    feed = client.get(url)
    assert feed["Content-Type"].startswith("text/calendar")
    assert icalendar.Calendar.from_ical(feed.content).name == "VCALENDAR"
    again = client.get(reverse("accounts:profile")).text
    assert url not in again and url.rsplit("/", 1)[1] not in again
    token = CalendarToken.objects.get()
    assert f"…{token.hint}" in again


def test_a_new_calendar_url_replaces_the_old_one(users, as_user):
    client = as_user("olav")
    first, _ = created_url(client)
    second, _ = created_url(client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert CalendarToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_revoked_calendar_url_stops_working(users, as_user):
    client = as_user("olav")
    url, _ = created_url(client)
    token = CalendarToken.objects.get()
    response = client.post(reverse("accounts:calendar_revoke", args=[token.pk]))
    assert response["Location"] == reverse("accounts:profile") + "#calendar"
    assert "no longer works" in client.get(reverse("accounts:profile")).text
    assert client.get(url).status_code == 404


def test_nobody_revokes_another_persons_calendar_url(users, as_user):
    url, _ = created_url(as_user("olav"))
    token = CalendarToken.objects.get()
    assert as_user("mona").post(reverse("accounts:calendar_revoke", args=[token.pk])).status_code == 404
    assert CalendarToken.objects.get().revoked_at is None


def test_making_a_calendar_url_needs_a_post(users, as_user):
    assert as_user("olav").get(reverse("accounts:calendar_create")).status_code == 405
    assert not CalendarToken.objects.exists()


# ---------------------------------------------------------------------------
# absences on the profile


def test_the_profile_lists_the_persons_absences_from_today_on(users, as_user):
    olav = users["olav"]
    do_record_absence(acting_user=olav, user=olav, start=TODAY.replace(day=1), end=TODAY.replace(day=3),
                      note="Skiing")  # over
    do_record_absence(acting_user=olav, user=olav, start=TODAY.replace(day=24), end=TODAY.replace(day=28),
                      note="Trade fair in Hanover")
    do_record_absence(acting_user=users["mona"], user=users["nina"], start=TODAY, end=TODAY, note="Nina's day off")
    response = as_user("olav").get(reverse("accounts:profile"))
    assert [a.note for a in response.context["absences"]] == ["Trade fair in Hanover"]
    assert reverse("accounts:absences") in response.text


def test_an_absence_recorded_on_the_profile_returns_to_it(users, as_user):
    response = as_user("olav").post(reverse("accounts:absences"), {
        "start": "2025-03-24", "end": "2025-03-28", "note": "Trade fair", "next": "/accounts/profile/#absences"})
    assert response["Location"] == "/accounts/profile/#absences"
    assert users["olav"].absences.get().note == "Trade fair"
