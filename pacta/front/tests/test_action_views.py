"""Actions on the web: the list and its filters, the action's page with its
evidence, changing, resolving (with a waiver), reopening, opening one by hand,
and the lists of instances, deviations and mail behind the dashboard."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from pacta.core.actions.watch import do_record_absence
from pacta.core.models import Action, AuditEntry, Commitment, Deviation, Party, Waiver
from pacta.core.tests.watch_world import penalty
from pacta.front.tests.watch_pages import NOW, TODAY, open_action, portfolio  # noqa: F401

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def listed(client, name="front:actions", **params) -> list:
    """The rows of a list page (all on one page here)."""
    return list(client.get(reverse(name), params).context["listing"].page)


def titles(actions) -> list[str]:
    return [a.title for a in actions]


@pytest.fixture
def evidence(portfolio):
    """The watcher's deviation behind olav's overdue action on 10643."""
    return Deviation.objects.create(
        commitment=portfolio.call_ahead, instance_key="10643", old_status="open", new_status="broken",
        reason="Delivered on 5 March without the call.", at=NOW, processed_at=NOW, outcome="opened_action",
        evidence={"due": "2025-03-05T10:00:00+01:00", "done": "2025-03-05T09:30:00+01:00", "days_late": 0},
        money=[penalty("52.50")], action=portfolio.actions["olav_overdue"],
    )


# ---------------------------------------------------------------------------
# the list


def test_the_list_shows_the_open_actions_soonest_due_first(portfolio, as_user):
    client = as_user("vera")
    # open or in progress: olav's (7 and 12 March), nina's (20 March), the unassigned one (25 March).
    assert titles(listed(client)) == ["call-ahead 10643", "volume 2025-Q1", "cert 2025-03-01", "cert"]
    assert titles(listed(client, status="closed")) == ["review"]
    assert len(listed(client, status="all")) == 5


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "overdue"}, ["call-ahead 10643"]),
    ({"owner": "none"}, ["cert"]),
    ({"owner": "olav"}, ["call-ahead 10643", "volume 2025-Q1"]),
    ({"party": "blaus"}, ["cert 2025-03-01", "cert"]),
    ({"type": "volume_commitment"}, ["volume 2025-Q1"]),
    ({"q": "10643"}, ["call-ahead 10643"]),
    ({"due_within": "7"}, ["volume 2025-Q1"]),  # 10–16 March
    ({"commitment": "BLAUS-2025/cert"}, ["cert 2025-03-01", "cert"]),
    ({"answered_by": "nina"}, ["cert 2025-03-01", "cert"]),
])
def test_the_list_narrows_by_each_filter(portfolio, as_user, params, expected):
    assert titles(listed(as_user("vera"), **params)) == expected


def test_mine_includes_the_actions_of_the_away_owner_i_stand_in_for(portfolio, as_user):
    Party.objects.filter(code="ALFKI").update(deputy=portfolio.nina)
    client = as_user("nina")
    assert titles(listed(client, mine="on")) == ["cert 2025-03-01"]
    do_record_absence(acting_user=portfolio.olav, user=portfolio.olav, start=TODAY, end=TODAY)
    response = client.get(reverse("front:actions"), {"mine": "on"})
    assert titles(response.context["listing"].page) == ["call-ahead 10643", "volume 2025-Q1", "cert 2025-03-01"]
    assert "you stand in" in response.text
    assert titles(listed(client, deputy="nina")) == ["call-ahead 10643", "volume 2025-Q1"]


def test_an_empty_list_says_where_actions_come_from(db, as_user):
    text = as_user("vera").get(reverse("front:actions")).text
    assert "No open actions." in text
    assert reverse("front:deviations") in text


def test_the_list_exports_csv_and_excel(portfolio, as_user):
    client = as_user("vera")
    response = client.get(reverse("front:actions"), {"owner": "olav", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Id", "Title", "Party"]
    assert [(r[1], r[6], r[8]) for r in rows[1:]] == [("call-ahead 10643", "olav", "2025-03-07"),
                                                      ("volume 2025-Q1", "olav", "2025-03-12")]
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("front:actions"), {"format": "xlsx"}).content))
    sheet = book.active
    assert sheet.max_row == 1 + 4
    assert sheet.cell(2, 9).value == dt.datetime(2025, 3, 7)  # a date cell, not text


# ---------------------------------------------------------------------------
# the action's page


def test_the_action_page_shows_the_evidence_and_links_onwards(portfolio, evidence, as_user):
    action = portfolio.actions["olav_overdue"]
    response = as_user("vera").get(reverse("front:action", args=[action.pk]))
    text = response.text
    assert "Delivered on 5 March without the call." in text
    assert 'class="status status-open">open</span>' in text and 'status-broken">broken</span>' in text
    assert "€52.50" in text
    assert "days late" in text
    for obj in (portfolio.call_ahead, portfolio.call_ahead.agreement, portfolio.alfki):
        assert f'href="{obj.get_absolute_url()}"' in text
    assert "overdue" in text  # due 7 March, today is the 10th
    assert [e.action for e in response.context["trail"]] == ["open_action"]
    assert reverse("front:action_resolve", args=[action.pk]) not in text  # vera only looks


def test_the_owner_sees_the_buttons_to_work_on_it(portfolio, as_user):
    action = portfolio.actions["olav_overdue"]
    text = as_user("olav").get(action.get_absolute_url()).text
    assert reverse("front:action_resolve", args=[action.pk]) in text
    assert reverse("front:action_edit", args=[action.pk]) in text


def test_an_action_opened_by_hand_says_so(portfolio, as_user):
    text = as_user("vera").get(portfolio.actions["nina"].get_absolute_url()).text
    assert "Opened by hand" in text
    assert "by Mona Manager" in text


def test_the_page_of_an_away_owners_action_says_who_is_told(portfolio, as_user):
    Party.objects.filter(code="ALFKI").update(deputy=portfolio.nina)
    do_record_absence(acting_user=portfolio.olav, user=portfolio.olav, start=TODAY, end=TODAY)
    text = as_user("mona").get(portfolio.actions["olav_overdue"].get_absolute_url()).text
    assert "While Olav Owner is away, alerts and reminders about this action go to Nina Outsider." in text


# ---------------------------------------------------------------------------
# changing


def edit_data(action, **changes):
    data = {"revision": action.revision, "title": action.title, "description": action.description,
            "owner": action.owner_id or "", "due_on": action.due_on.isoformat(), "status": action.status}
    data.update(changes)
    return data


def test_the_owner_moves_the_due_date_and_starts_work(portfolio, as_user):
    action = portfolio.actions["olav_overdue"]
    response = as_user("olav").post(reverse("front:action_edit", args=[action.pk]),
                                    edit_data(action, due_on="2025-03-14", status="in_progress"))
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.due_on, action.status) == (dt.date(2025, 3, 14), "in_progress")
    entry = AuditEntry.objects.filter(action="change_action").get()
    assert (entry.user, entry.changes["status"]) == (portfolio.olav, ["open", "in_progress"])


def test_a_manager_gives_an_unassigned_action_to_someone(portfolio, as_user):
    action = portfolio.actions["unassigned"]
    as_user("mona").post(reverse("front:action_edit", args=[action.pk]), edit_data(action, owner=portfolio.nina.pk))
    action.refresh_from_db()
    assert (action.owner, action.routing) == (portfolio.nina, "chosen")


@pytest.mark.parametrize("who", ["vera", "nina"])
def test_a_viewer_and_an_outsider_may_not_change_it(portfolio, as_user, who):
    action = portfolio.actions["olav_overdue"]
    client = as_user(who)
    assert client.get(reverse("front:action_edit", args=[action.pk])).status_code == 403
    assert client.post(reverse("front:action_resolve", args=[action.pk]),
                       {"revision": action.revision, "status": "done"}).status_code == 403
    assert Action.objects.get(pk=action.pk).status == "open"


def test_the_second_of_two_edits_is_refused_and_keeps_its_input(portfolio, client_factory):
    action = portfolio.actions["olav_overdue"]
    url = reverse("front:action_edit", args=[action.pk])
    olav, mona = client_factory("olav"), client_factory("mona")
    revision = olav.get(url).context["form"]["revision"].value()
    assert olav.post(url, edit_data(action, revision=revision, due_on="2025-03-14")).status_code == 302
    second = mona.post(url, edit_data(action, revision=revision, title="Call Maria about 10643"))
    assert second.status_code == 200
    form = second.context["form"]
    assert "was changed by someone else" in form.non_field_errors()[0]
    assert form["title"].value() == "Call Maria about 10643"
    action.refresh_from_db()
    assert (action.title, action.due_on) == ("call-ahead 10643", dt.date(2025, 3, 14))
    assert int(form["revision"].value()) == action.revision


# ---------------------------------------------------------------------------
# resolving and reopening


def test_resolving_closes_it_and_it_leaves_the_open_list(portfolio, as_user):
    action = portfolio.actions["olav_overdue"]
    client = as_user("olav")
    response = client.post(reverse("front:action_resolve", args=[action.pk]), {
        "revision": action.revision, "status": "done", "resolution": "Called Maria; she accepts the credit note."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.resolution, action.closed_by) == (
        "done", "Called Maria; she accepts the credit note.", portfolio.olav)
    assert "call-ahead 10643" not in titles(listed(client))
    page = client.get(action.get_absolute_url()).text
    assert "Called Maria; she accepts the credit note." in page
    assert reverse("front:action_reopen", args=[action.pk]) in page


def test_a_dismissal_without_a_reason_is_refused_next_to_the_note(portfolio, as_user):
    action = portfolio.actions["olav_overdue"]
    response = as_user("olav").post(reverse("front:action_resolve", args=[action.pk]),
                                    {"revision": action.revision, "status": "dismissed", "resolution": " "})
    assert response.status_code == 200
    assert response.context["form"].errors["resolution"] == ["Say why it is dismissed."]
    assert Action.objects.get(pk=action.pk).status == "open"


def test_resolving_with_a_waiver_records_the_other_sides_release(portfolio, as_user):
    action = portfolio.actions["olav_overdue"]
    response = as_user("olav").post(reverse("front:action_resolve", args=[action.pk]), {
        "revision": action.revision, "status": "done", "resolution": "Maria waived it.", "waiver": "on",
        "w-granted_by": "Maria Anders", "w-reason": "The driver called the warehouse instead.", "w-at": ""})
    assert response.status_code == 302
    waiver = Waiver.objects.get()
    assert (waiver.instance_key, waiver.granted_by, waiver.at) == ("10643", "Maria Anders", NOW)
    assert Action.objects.get(pk=action.pk).waiver == waiver
    # The watcher evaluates the commitment again at its next pass.
    assert Commitment.objects.get(pk=portfolio.call_ahead.pk).next_check_at == NOW


def test_a_waiver_without_who_released_it_is_refused_and_nothing_is_saved(portfolio, as_user):
    action = portfolio.actions["olav_overdue"]
    response = as_user("olav").post(reverse("front:action_resolve", args=[action.pk]), {
        "revision": action.revision, "status": "done", "resolution": "Waived.", "waiver": "on",
        "w-granted_by": "", "w-reason": "Goodwill."})
    assert response.status_code == 200
    assert response.context["waiver"].errors["granted_by"] == ["Say who on the other side released it."]
    assert response.context["waiver"]["reason"].value() == "Goodwill."
    assert (Action.objects.get(pk=action.pk).status, Waiver.objects.count()) == ("open", 0)


def test_an_action_on_the_whole_commitment_offers_no_waiver(portfolio, as_user):
    action = portfolio.actions["unassigned"]
    response = as_user("mona").get(reverse("front:action_resolve", args=[action.pk]))
    assert response.context["waiver"] is None
    assert "w-granted_by" not in response.text


def test_a_closed_action_is_reopened(portfolio, as_user):
    action = portfolio.actions["done"]
    client = as_user("nina")
    assert client.get(reverse("front:action_edit", args=[action.pk])).status_code == 404
    response = client.post(reverse("front:action_reopen", args=[action.pk]), {"revision": action.revision})
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.closed_at) == ("open", None)


def test_reopening_a_stale_page_is_refused(portfolio, as_user):
    action = portfolio.actions["done"]
    client = as_user("nina")
    response = client.post(reverse("front:action_reopen", args=[action.pk]), {"revision": action.revision - 1},
                           follow=True)
    assert "was changed by someone else" in response.text
    assert Action.objects.get(pk=action.pk).status == "done"


# ---------------------------------------------------------------------------
# opening by hand


def test_the_commitment_page_links_to_its_actions_and_to_opening_one(portfolio, as_user):
    volume = portfolio.volume
    ref, key = volume.agreement.reference, volume.key
    page = as_user("olav").get(volume.get_absolute_url()).text
    new = reverse("front:action_open", args=[ref, key])
    assert f'href="{new}"' in page
    assert f'href="{portfolio.actions["olav_soon"].get_absolute_url()}"' in page  # 2025-Q1 has an open action
    assert f'href="{new}?instance=2025-Q1"' not in page
    assert f"?commitment={ref}/{key}&amp;status=all" in page
    assert f'href="{new}"' not in as_user("vera").get(volume.get_absolute_url()).text


def test_an_instance_without_an_open_action_links_to_opening_one(portfolio, as_user):
    review = portfolio.review  # its action was on the whole commitment, and it is done
    page = as_user("nina").get(review.get_absolute_url()).text
    assert f'href="{reverse("front:action_open", args=["BLAUS-2025", "review"])}?instance=2025-03-01"' in page


def test_an_instance_linked_from_the_page_can_be_chosen_before_the_watcher_stored_it(portfolio, as_user):
    url = reverse("front:action_open", args=["BLAUS-2025", "review"]) + "?instance=2025-06-30"
    client = as_user("nina")
    assert client.get(url).context["form"]["instance_key"].value() == "2025-06-30"
    client.post(url, {"instance_key": "2025-06-30", "title": "Ask for the new price list"})
    assert Action.objects.get(title="Ask for the new price list").instance_key == "2025-06-30"


def test_an_action_is_opened_by_hand_on_an_instance(portfolio, as_user):
    ref, key = portfolio.call_ahead.agreement.reference, portfolio.call_ahead.key
    url = reverse("front:action_open", args=[ref, key])
    client = as_user("olav")
    assert client.get(url, {"instance": "10650"}).context["form"]["instance_key"].value() == "10650"
    response = client.post(url, {"instance_key": "10650", "title": "", "description": "Remind the driver.",
                                 "owner": "", "due_on": ""})
    action = Action.objects.get(instance_key="10650")
    assert response["Location"] == action.get_absolute_url()
    # Routed to whoever answers for call-ahead (olav, ALFKI's point of contact), due in a week.
    assert (action.owner, action.due_on, action.opened_by) == (portfolio.olav, TODAY + dt.timedelta(days=7),
                                                               portfolio.olav)
    assert action.title == "Call one hour before each delivery — 10650"


def test_a_second_action_on_one_instance_is_refused_next_to_the_instance(portfolio, as_user):
    ref, key = portfolio.call_ahead.agreement.reference, portfolio.call_ahead.key
    response = as_user("olav").post(reverse("front:action_open", args=[ref, key]),
                                    {"instance_key": "10643", "title": "Again"})
    assert response.status_code == 200
    assert response.context["form"].errors["instance_key"] == ["An action is already open for this instance."]
    assert response.context["form"]["title"].value() == "Again"


def test_an_outsider_may_not_open_an_action_on_someone_elses_commitment(portfolio, as_user):
    ref, key = portfolio.call_ahead.agreement.reference, portfolio.call_ahead.key
    assert as_user("nina").post(reverse("front:action_open", args=[ref, key]), {"title": "Mine"}).status_code == 403


# ---------------------------------------------------------------------------
# the other lists behind the dashboard


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "open"}, ["10650", "10700", "2025-Q1"]),
    ({"status": "at_risk"}, ["2025-Q1"]),
    ({"status": "broken"}, ["10643", "2025-03-01"]),
    ({"status": "open", "due_within": "7"}, ["10650"]),
    ({"owner": "nina"}, ["2025-03-01", "2025-03-01"]),
])
def test_the_instances_list_narrows_like_the_dashboard(portfolio, as_user, params, expected):
    assert sorted(i.key for i in listed(as_user("vera"), "front:instances", **params)) == expected


def test_the_deviations_list_shows_the_queue(portfolio, evidence, as_user):
    queued = Deviation.objects.create(commitment=portfolio.cert, instance_key="2025-03-01", old_status="",
                                      new_status="broken", reason="No certificate.", at=NOW)
    client = as_user("vera")
    assert listed(client, "front:deviations", processed="no") == [queued]
    assert listed(client, "front:deviations", processed="yes", new_status="broken") == [evidence]
    text = client.get(reverse("front:deviations")).text
    assert "in the queue" in text and "opened an action" in text


def test_a_manager_sees_everybodys_mail_problems_a_member_only_theirs(portfolio, as_user):
    assert {m.subject for m in listed(as_user("mona"), "front:mail")} == {"Broken: call-ahead", "Overdue: cert"}
    assert [m.subject for m in listed(as_user("mona"), "front:mail", status="retrying")] == ["Overdue: cert"]
    assert [m.subject for m in listed(as_user("olav"), "front:mail", recipient="nina")] == ["Broken: call-ahead"]


PAGES = [
    ("front:actions", lambda p: []),
    ("front:action", lambda p: [p.actions["olav_overdue"].pk]),
    ("front:action_edit", lambda p: [p.actions["olav_overdue"].pk]),
    ("front:action_resolve", lambda p: [p.actions["olav_overdue"].pk]),
    ("front:action_open", lambda p: [p.call_ahead.agreement.reference, p.call_ahead.key]),
    ("front:instances", lambda p: []),
    ("front:deviations", lambda p: []),
    ("front:mail", lambda p: []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_page_answers_a_manager_and_sends_a_visitor_to_sign_in(portfolio, evidence, as_user, client, name,
                                                                     args):
    url = reverse(name, args=args(portfolio))
    assert client.get(url)["Location"].startswith(reverse("login") + "?next=")
    response = as_user("mona").get(url)
    assert response.status_code == 200
    assert b"<main" in response.content
