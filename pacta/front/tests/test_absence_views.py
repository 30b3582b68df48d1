"""Absences on the web: people record their own, managers anybody's; while
someone is away, their open actions are listed for whoever stands in."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from pacta.core.actions.watch import do_record_absence
from pacta.core.models import Absence, AuditEntry, Party
from pacta.front.tests.watch_pages import NOW, TODAY, portfolio  # noqa: F401

pytestmark = pytest.mark.usefixtures("frozen")
URL = "/accounts/absences/"


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_member_records_their_own_absence(users, as_user):
    response = as_user("olav").post(URL, {"start": "2025-03-24", "end": "2025-03-28", "note": "Trade fair"})
    assert response["Location"] == URL
    absence = Absence.objects.get()
    assert (absence.user, absence.start, absence.end, absence.note, absence.recorded_by) == (
        users["olav"], dt.date(2025, 3, 24), dt.date(2025, 3, 28), "Trade fair", users["olav"])
    assert AuditEntry.objects.filter(action="record_absence", user=users["olav"]).exists()


def test_a_member_cannot_record_someone_elses_absence(users, as_user):
    client = as_user("nina")
    assert "id_user" not in client.get(URL).text  # no choice of whom
    client.post(URL, {"user": users["olav"].pk, "start": "2025-03-24", "end": "2025-03-28"})
    assert Absence.objects.get().user == users["nina"]


def test_a_manager_records_anybodys_absence(users, as_user):
    as_user("mona").post(URL, {"user": users["olav"].pk, "start": "2025-03-24", "end": "2025-03-24"})
    absence = Absence.objects.get()
    assert (absence.user, absence.recorded_by) == (users["olav"], users["mona"])


def test_an_end_before_the_start_is_refused_next_to_the_end(users, as_user):
    response = as_user("olav").post(URL, {"start": "2025-03-28", "end": "2025-03-24", "note": "Trade fair"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["end"] == ["The end must not be before the start."]
    assert form["note"].value() == "Trade fair"
    assert not Absence.objects.exists()


def test_a_viewer_records_no_absence(users, as_user):
    client = as_user("vera")
    assert client.get(URL).context["form"] is None
    assert client.post(URL, {"start": "2025-03-24", "end": "2025-03-28"}).status_code == 403
    assert not Absence.objects.exists()


def test_the_list_shows_who_is_away_now_and_soon_with_their_open_actions(portfolio, as_user):
    olav, nina = portfolio.olav, portfolio.nina
    do_record_absence(acting_user=olav, user=olav, start=TODAY, end=TODAY + dt.timedelta(days=2))
    do_record_absence(acting_user=nina, user=nina, start=TODAY + dt.timedelta(days=14), end=TODAY + dt.timedelta(days=15))
    do_record_absence(acting_user=nina, user=nina, start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 2))  # over
    response = as_user("vera").get(URL)
    assert [(a.user, a.open_actions) for a in response.context["absences"]] == [(olav, 2), (nina, 1)]
    assert "away now" in response.text
    assert reverse("front:actions") + "?owner=olav&amp;status=open" in response.text


def test_people_delete_their_own_absences_and_managers_anybodys(users, as_user, client_factory):
    olav = users["olav"]
    mine = do_record_absence(acting_user=olav, user=olav, start=TODAY, end=TODAY)
    other = do_record_absence(acting_user=olav, user=olav, start=TODAY, end=TODAY)
    assert client_factory("nina").post(f"{URL}{mine.pk}/delete/").status_code == 403
    assert client_factory("olav").post(f"{URL}{mine.pk}/delete/")["Location"] == URL
    assert client_factory("mona").post(f"{URL}{other.pk}/delete/", {"next": "/accounts/profile/"})["Location"] == \
        "/accounts/profile/"
    assert not Absence.objects.exists()
    assert AuditEntry.objects.filter(action="delete_absence").count() == 2


def test_a_next_page_elsewhere_is_not_followed(users, as_user):
    response = as_user("olav").post(URL, {"start": "2025-03-24", "end": "2025-03-24",
                                          "next": "https://evil.example.com/"})
    assert response["Location"] == URL


def test_while_the_owner_is_away_the_deputy_finds_their_actions(portfolio, as_user, client_factory):
    Party.objects.filter(code="ALFKI").update(deputy=portfolio.nina)
    client_factory("olav").post(URL, {"start": "2025-03-10", "end": "2025-03-14", "note": "Skiing"})
    nina = as_user("nina")
    dashboard = nina.get(reverse("front:dashboard")).text
    assert "Standing in for Olav Owner while away" in dashboard
    mine = nina.get(reverse("front:actions"), {"mine": "on"})
    assert [a.title for a in mine.context["listing"].page] == ["call-ahead 10643", "volume 2025-Q1",
                                                                "cert 2025-03-01"]
    assert mine.text.count("you stand in") == 2
