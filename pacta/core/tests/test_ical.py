"""The calendar feed: a person's deadlines as iCalendar, read back with the icalendar package."""

import datetime as dt

import time_machine
from icalendar import Calendar

from pacta.core.actions.watch import do_create_calendar_token, do_open_action, do_revoke_calendar_token
from pacta.core.ical import calendar_feed
from pacta.core.models import CalendarToken
from pacta.core.tests.watch_world import at, store_verdict, world  # noqa: F401
from pacta.lib.dates import end_of_day

NOW = at("2025-03-10T12:00:00+01:00")
frozen = time_machine.travel(NOW, tick=False)


def events(feed: bytes) -> dict[str, dict]:
    """The feed's events by UID: summary, start, end, URL."""
    cal = Calendar.from_ical(feed)
    return {
        str(e["uid"]): {"summary": str(e["summary"]), "start": e.decoded("dtstart"), "end": e.decoded("dtend"),
                        "url": str(e.get("url", ""))}
        for e in cal.walk("VEVENT")
    }


def deadlines(world):
    store_verdict(world.call_ahead, "open", {
        "10650": {"status": "open", "due": end_of_day(dt.date(2025, 3, 14), "Europe/Berlin")},  # a whole day
        "10651": {"status": "open", "due": at("2025-03-12T10:00:00+01:00")},  # a moment
        "10600": {"status": "kept", "due": at("2025-03-20T10:00:00+01:00")},  # done: not a deadline any more
        "10500": {"status": "overdue", "due": at("2025-03-01T10:00:00+01:00")},  # past
    }, evaluated_at=NOW)


@frozen
def test_the_feed_lists_upcoming_due_moments_and_action_due_dates(world, settings):
    settings.SITE_URL = "https://pacta.example.com"
    deadlines(world)
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10500", due_on=dt.date(2025, 3, 11))
    found = events(calendar_feed(world.olav))
    c = world.call_ahead.pk
    assert set(found) == {f"instance-{c}-10650@pacta.example.com", f"instance-{c}-10651@pacta.example.com",
                          f"action-{action.pk}@pacta.example.com"}
    whole_day = found[f"instance-{c}-10650@pacta.example.com"]
    assert (whole_day["start"], whole_day["end"]) == (dt.date(2025, 3, 14), dt.date(2025, 3, 15))
    assert whole_day["summary"] == "Due: Call one hour before each delivery — 10650 (Alfreds Futterkiste)"
    assert whole_day["url"] == "https://pacta.example.com/agreements/ALFKI-2025/commitments/call-ahead/"
    moment = found[f"instance-{c}-10651@pacta.example.com"]
    assert moment["start"] == at("2025-03-12T09:00:00+00:00")
    assert moment["end"] - moment["start"] == dt.timedelta(minutes=30)
    act = found[f"action-{action.pk}@pacta.example.com"]
    assert (act["start"], act["summary"]) == (dt.date(2025, 3, 11), f"Action: {action.title}")


@frozen
def test_a_feed_holds_only_its_owners_deadlines(world):
    deadlines(world)
    do_open_action(world.call_ahead, acting_user=None, owner=world.mona, title="Mona's", due_on=dt.date(2025, 3, 11))
    assert events(calendar_feed(world.nina)) == {}
    assert [e["summary"] for e in events(calendar_feed(world.mona)).values()] == ["Action: Mona's"]


@frozen
def test_the_feed_is_a_valid_calendar_even_when_empty(world):
    cal = Calendar.from_ical(calendar_feed(world.nina))
    assert (str(cal["version"]), str(cal["prodid"])) == ("2.0", "-//pacta//deadlines//EN")
    assert cal.walk("VEVENT") == []


@frozen
def test_the_feed_url_needs_no_login_only_the_token(world, client):
    deadlines(world)
    token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    response = client.get(f"/calendar/{raw}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert len(events(response.content)) == 2
    assert CalendarToken.objects.get(pk=token.pk).last_used_at == NOW


@frozen
def test_an_unknown_or_revoked_token_is_not_found(world, client):
    token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    do_revoke_calendar_token(token, acting_user=world.olav)
    assert client.get(f"/calendar/{raw}.ics").status_code == 404


@frozen
def test_the_feed_cannot_be_posted_to(world, client):
    _token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    assert client.post(f"/calendar/{raw}.ics").status_code == 405
