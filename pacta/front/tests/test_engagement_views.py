"""Intakes, status updates and check-ins in the web interface."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from pacta.core.actions.engagement import (
    do_compose_update,
    do_create_intake,
    do_decide_intake,
    do_record_check_in,
    do_submit_intake,
)
from pacta.core.actions.register import CommitmentData, do_create_agreement, do_save_contact
from pacta.core.models import Agreement, AuditEntry, CheckIn, Event, Intake, StatusUpdate

CET = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2025, 3, 10, 10, 0, tzinfo=CET)

CLARIFIED = {
    "problem": "Drivers arrive unannounced.",
    "desired_situation": "Somebody is ready at the dock.",
    "goal": "No delivery waits at the dock.",
}
CALL_AHEAD = {"key": "call-ahead", "type": "notice_before_delivery", "title": "Call one hour before each delivery",
              "params": {"min_before": "PT1H"}, "cost": "12.50", "occurrences": "52"}


def intake_of(world, **fields) -> Intake:
    values = {"party": world.party, "title": "Call before delivery", **CLARIFIED,
              "key_terms": [{"term": "delivered", "definition": "at the customer's dock"}],
              "proposed_commitments": [CALL_AHEAD], **fields}
    return do_create_intake(acting_user=world.users["olav"], **values)


def submitted(world, **fields) -> Intake:
    intake = intake_of(world, **fields)
    return do_submit_intake(intake, acting_user=world.users["olav"], expected_revision=intake.revision)


def formset(prefix: str, rows: list[dict], total: int | None = None) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(total if total is not None else len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def intake_post(world, terms=None, promises=None, **changes) -> dict:
    data = {"title": "Call before delivery", "party": str(world.party.pk), "owner": str(world.users["olav"].pk),
            "currency": "EUR", "expected_margin": "4000", **CLARIFIED, **changes}
    data.update(formset("terms", terms if terms is not None else [
        {"term": "delivered", "definition": "at the customer's dock"}]))
    data.update(formset("promises", promises if promises is not None else [
        {"key": "call-ahead", "type": "notice_before_delivery", "title": "Call one hour before each delivery",
         "params": "min_before: PT1H\nmax_before: PT24H", "direction": "we_owe", "cost": "12.50",
         "occurrences": "52"}]))
    return data


# --- the list


def test_the_intakes_list_highlights_those_waiting_longer_than_a_week(world, as_user):
    with time_machine.travel(NOW, tick=False):
        submitted(world, title="Old request")
    with time_machine.travel(NOW + dt.timedelta(days=6), tick=False):
        submitted(world, title="Recent request")
    with time_machine.travel(NOW + dt.timedelta(days=9), tick=False):
        text = as_user("vera").get(reverse("engagement:intakes")).text
        waiting = as_user("vera").get(reverse("engagement:intakes") + "?waiting=on").text
    old_row = text.split("Old request")[1].split("</tr>")[0]
    assert "9 days: decide!" in old_row and "status-broken" in old_row
    recent_row = text.split("Recent request")[1].split("</tr>")[0]
    assert "3 days" in recent_row and "decide!" not in recent_row
    assert "Old request" in waiting and "Recent request" not in waiting


def test_the_intakes_list_searches_filters_sorts_and_exports(world, as_user):
    intake_of(world, title="Alpha request")
    submitted(world, title="Beta request")
    client = as_user("vera")
    assert "Alpha" not in client.get(reverse("engagement:intakes") + "?q=beta").text
    only_waiting = client.get(reverse("engagement:intakes") + "?status=awaiting_decision").text
    assert "Beta request" in only_waiting and "Alpha request" not in only_waiting
    by_title = client.get(reverse("engagement:intakes") + "?sort=-title").text
    assert by_title.index("Beta request") < by_title.index("Alpha request")
    rows = list(csv.reader(io.StringIO(client.get(reverse("engagement:intakes") + "?format=csv&sort=title")
                                       .content.decode())))
    assert rows[0][:3] == ["Id", "Request", "Party"]
    assert [r[1] for r in rows[1:]] == ["Alpha request", "Beta request"]


def test_an_empty_intakes_list_says_what_to_do(world, as_user):
    text = as_user("olav").get(reverse("engagement:intakes")).text
    assert "No intakes yet." in text and "New intake" in text


# --- the form


def test_a_member_records_an_intake_with_its_terms_and_promises(world, as_user):
    client = as_user("olav")
    page = client.get(reverse("engagement:intake_create") + "?party=ALFKI").text
    assert f'<option value="{world.party.pk}" selected>' in page
    response = client.post(reverse("engagement:intake_create"), intake_post(world))
    intake = Intake.objects.get()
    assert response.status_code == 302 and response.url == reverse("engagement:intake", args=[intake.pk])
    assert intake.key_terms == [{"term": "delivered", "definition": "at the customer's dock"}]
    assert intake.proposed_commitments == [{
        "key": "call-ahead", "type": "notice_before_delivery", "title": "Call one hour before each delivery",
        "params": {"min_before": "PT1H", "max_before": "P1D"}, "products": [], "direction": "we_owe",
        "cost": "12.50", "occurrences": "52"}]
    assert intake.owner == world.users["olav"]


def test_a_wrong_parameter_is_shown_next_to_its_promise_and_nothing_typed_is_lost(world, as_user):
    promises = [{"key": "", "type": "", "title": "", "params": "", "direction": "we_owe"},  # empty: left out
                {"key": "call-ahead", "type": "notice_before_delivery", "title": "Call ahead",
                 "params": "min_before: one hour", "direction": "we_owe", "cost": "12.50"}]
    response = as_user("olav").post(reverse("engagement:intake_create"), intake_post(world, promises=promises))
    assert response.status_code == 200 and not Intake.objects.exists()
    row = response.text.split('name="promises-1-params"')[1].split("</td>")[0]
    assert "min_before: Enter an ISO 8601 duration" in row
    assert "min_before: one hour" in response.text  # still in the input


def test_adding_a_row_keeps_what_was_typed_and_saves_nothing(world, as_user):
    data = intake_post(world, _add_row="terms")
    response = as_user("olav").post(reverse("engagement:intake_create"), data)
    assert response.status_code == 200 and not Intake.objects.exists()
    assert 'name="terms-1-term"' in response.text and "at the customer&#x27;s dock" in response.text


def test_an_edit_of_an_intake_changed_meanwhile_is_refused_with_the_text_kept(world, as_user):
    intake = intake_of(world)
    data = intake_post(world, goal="Nobody waits.", revision=str(intake.revision))
    as_user("mona").post(reverse("engagement:intake_edit", args=[intake.pk]), data)
    response = as_user("olav").post(reverse("engagement:intake_edit", args=[intake.pk]),
                                    {**data, "goal": "Something else"})
    assert "changed by someone else" in response.text and "Something else" in response.text
    assert Intake.objects.get().goal == "Nobody waits."


def test_viewers_and_outsiders_cannot_change_an_intake(world, as_user):
    intake = intake_of(world)
    assert as_user("vera").get(reverse("engagement:intake_create")).status_code == 403
    assert as_user("nina").get(reverse("engagement:intake_edit", args=[intake.pk])).status_code == 403
    assert as_user("nina").get(reverse("engagement:intake", args=[intake.pk])).status_code == 200
    decide = as_user("nina").post(reverse("engagement:intake_decide", args=[intake.pk]),
                                  {"revision": intake.revision, "decision": "decline", "reason": "No."})
    assert decide.status_code == 403 and Intake.objects.get().status == Intake.Status.CLARIFYING


def test_a_promise_is_added_with_the_registers_parameter_form(world, as_user):
    intake = intake_of(world)
    client = as_user("olav")
    url = reverse("engagement:promise_add", args=[intake.pk, "payment_term"])
    assert 'name="p-days"' in client.get(url).text
    response = client.post(url, {"key": "pay", "title": "Paid within 30 days", "direction": "they_owe",
                                 "cost": "1", "occurrences": "12", "p-days": "30", "p-from": "invoice_date"})
    assert response.status_code == 302
    promises = Intake.objects.get().proposed_commitments
    assert [p["key"] for p in promises] == ["call-ahead", "pay"]
    assert promises[1]["params"] == {"days": 30} and promises[1]["direction"] == "they_owe"


# --- the page and the decision


def test_the_intake_page_weighs_the_promises_against_the_margin(world, as_user, settings):
    settings.PACTA_COST_SHARE_LIMIT = "18"
    intake_of(world, expected_margin="4000", proposed_commitments=[CALL_AHEAD, {
        **CALL_AHEAD, "key": "pay", "type": "payment_term", "title": "Paid in 45 days", "params": {"days": 45},
        "cost": "3.20", "occurrences": "250"}])
    text = as_user("vera").get(reverse("engagement:intake", args=[Intake.objects.get().pk])).text
    # 12.50 × 52 = 650.00 (16.3 %), 3.20 × 250 = 800.00 (20.0 %); together 1,450.00 (36.3 %); 4,000 - 1,450 = 2,550.00
    assert "€650.00" in text and "16.3 %" in text and "€800.00" in text and "20.0 %" in text
    assert "€1,450.00" in text and "36.3 %" in text and "€2,550.00" in text
    # Only the 20.0 % is above the limit of 18 %.
    assert text.count("(above the limit)") == 1 and "more than 18 % of the expected margin" in text


def test_submitting_for_a_decision_needs_the_problem_written_down(world, as_user):
    intake = intake_of(world, problem="")
    client = as_user("olav")
    response = client.post(reverse("engagement:intake_submit", args=[intake.pk]), {"revision": intake.revision},
                           follow=True)
    assert "Write this down before asking for a decision." in response.text
    assert Intake.objects.get().status == Intake.Status.CLARIFYING


def test_accepting_creates_the_draft_agreement_and_links_it(world, as_user):
    intake = submitted(world)
    client = as_user("mona")
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("engagement:intake", args=[intake.pk])).text
    # From the first of next month; ALFKI-2025 exists: the next free reference.
    assert 'value="ALFKI-2025-2"' in page and 'value="2025-04-01"' in page
    response = client.post(reverse("engagement:intake_decide", args=[intake.pk]), {
        "revision": intake.revision, "decision": "accept", "reference": "ALFKI-2025-2", "valid_from": "2025-04-01"},
        follow=True)
    agreement = Agreement.objects.get(reference="ALFKI-2025-2")
    assert "Accepted: the promises are in the draft agreement ALFKI-2025-2." in response.text
    assert f'href="{agreement.get_absolute_url()}"' in response.text
    assert Intake.objects.get().agreement == agreement and agreement.status == "draft"
    assert list(agreement.commitments.values_list("key", flat=True)) == ["call-ahead"]


def test_declining_without_a_reason_is_refused_on_the_decision_form(world, as_user):
    intake = submitted(world)
    response = as_user("mona").post(reverse("engagement:intake_decide", args=[intake.pk]),
                                    {"revision": intake.revision, "decision": "decline"})
    assert response.status_code == 200 and "Say why the request is declined." in response.text
    assert Intake.objects.get().status == Intake.Status.AWAITING_DECISION


def test_a_counter_offer_is_accepted_later_from_the_page(world, as_user):
    intake = submitted(world)
    client = as_user("mona")
    client.post(reverse("engagement:intake_decide", args=[intake.pk]), {
        "revision": intake.revision, "decision": "counter", "counter_offer": "An e-mail, not a call."})
    intake = Intake.objects.get()
    assert intake.status == Intake.Status.COUNTERED
    page = client.get(reverse("engagement:intake", args=[intake.pk])).text
    assert "An e-mail, not a call." in page and "Accept the counter-offer" in page
    client.post(reverse("engagement:intake_accept_counter", args=[intake.pk]), {
        "counter-revision": intake.revision, "counter-reference": "ALFKI-2025-B",
        "counter-valid_from": "2025-04-01"})
    assert Intake.objects.get().status == Intake.Status.ACCEPTED
    assert Agreement.objects.filter(reference="ALFKI-2025-B").exists()


# --- status updates


@pytest.fixture
def cadence(world):
    """ALFKI with an agreement in force promising an update every two weeks, and one contact for them."""
    do_create_agreement(
        acting_user=world.users["mona"], party=world.party, reference="ALFKI-UPD", status="in_force",
        valid_from=dt.date(2025, 1, 1), timezone="Europe/Berlin", commitments=[CommitmentData(
            key="updates", type="recurring", title="A status update every two weeks",
            params={"kind": "update", "every": "P14D"})])
    do_save_contact(world.party, acting_user=world.users["mona"], name="Anna Trujillo", email="anna@alfki.example")
    world.party.timezone = "Europe/Berlin"
    world.party.save()
    return world


def test_composing_editing_previewing_and_sending_an_update(cadence, as_user, settings,
                                                          django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client = as_user("olav")
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("engagement:party_updates", args=["ALFKI"])).text
        # Due 14 days after 1 January: 15 January, overdue by 10 March.
        assert "Jan. 15, 2025" in page and "status-overdue" in page
        response = client.post(reverse("engagement:update_compose", args=["ALFKI"]))
        update = StatusUpdate.objects.get()
        assert response.url == reverse("engagement:update_edit", args=["ALFKI", update.pk])
        form = client.get(response.url).text
        assert "Status update for Alfreds Futterkiste, March 10, 2025" in form
        response = client.post(response.url, {
            "revision": update.revision, "subject": "Our update", "language": "en", "period_end": "2025-03-10",
            "topics": "All quiet.", "kept": "- Every delivery announced", "at_risk": "", "challenges": "",
            "open_points": "", "next_steps": "- March 24: the next update"})
        assert response.url == reverse("engagement:update", args=["ALFKI", update.pk])
        preview = client.get(response.url).text
        assert "What we kept" in preview and "Every delivery announced" in preview and "anna@alfki.example" in preview
        assert "Send" in client.get(reverse("engagement:update_send", args=["ALFKI", update.pk])).text
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("engagement:update_send", args=["ALFKI", update.pk]),
                                   {"revision": update.revision + 1}, follow=True)
    assert "The update was sent to Anna Trujillo." in response.text
    [message] = mail.outbox
    assert message.subject == "Our update" and "Every delivery announced" in message.body
    update.refresh_from_db()
    assert update.status == "sent" and Event.objects.get(pk=update.event_id).kind == "update"
    assert "Edit" not in response.text.split("page-head")[1].split("</div>\n</div>")[0]


def test_the_updates_list_shows_who_is_owed_one_soon(cadence, as_user):
    with time_machine.travel(NOW, tick=False):
        text = as_user("vera").get(reverse("engagement:updates")).text
    due = text.split('id="due"')[1].split("</section>")[0]
    assert "Alfreds Futterkiste" in due and "not yet" in due


def test_an_update_exports_as_pdf(cadence, as_user):
    with time_machine.travel(NOW, tick=False):
        as_user("olav").post(reverse("engagement:update_compose", args=["ALFKI"]))
        update = StatusUpdate.objects.get()
        response = as_user("vera").get(reverse("engagement:update_pdf", args=["ALFKI", update.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert 'filename="status-update-ALFKI-2025-03-10.pdf"' in response["Content-Disposition"]


def test_a_viewer_reads_updates_but_composes_none(cadence, as_user):
    client = as_user("vera")
    assert client.get(reverse("engagement:party_updates", args=["ALFKI"])).status_code == 200
    assert client.post(reverse("engagement:update_compose", args=["ALFKI"])).status_code == 403
    assert not StatusUpdate.objects.exists()


def test_sending_without_a_recipient_says_what_to_do(world, as_user):
    client = as_user("olav")
    client.post(reverse("engagement:update_compose", args=["ALFKI"]))
    update = StatusUpdate.objects.get()
    response = client.post(reverse("engagement:update_send", args=["ALFKI", update.pk]),
                           {"revision": update.revision}, follow=True)
    assert "No contact of Alfreds Futterkiste receives status updates" in response.text
    assert StatusUpdate.objects.get().status == "draft"


def test_a_draft_is_thrown_away_after_confirmation(world, as_user):
    client = as_user("olav")
    client.post(reverse("engagement:update_compose", args=["ALFKI"]))
    update = StatusUpdate.objects.get()
    url = reverse("engagement:update_discard", args=["ALFKI", update.pk])
    assert "Throw the draft" in client.get(url).text
    client.post(url, {"revision": update.revision})
    assert not StatusUpdate.objects.exists()
    assert AuditEntry.objects.filter(action="discard_update").exists()


# --- check-ins


def test_a_check_in_is_recorded_and_listed(world, as_user):
    client = as_user("olav")
    url = reverse("engagement:check_ins", args=["ALFKI"])
    with time_machine.travel(NOW, tick=False):
        refused = client.post(url, {"date": "2025-03-07", "participants": "Anna, Olav"})
        assert "Write down at least what went well" in refused.text
        client.post(url, {"date": "2025-03-07", "participants": "Anna, Olav", "went_well": "On time",
                          "went_badly": "Two calls missed", "changes": "Drivers call from the depot"})
    check_in = CheckIn.objects.get()
    assert check_in.changes == "Drivers call from the depot"
    text = as_user("vera").get(url).text
    assert "Drivers call from the depot" in text and "Record a check-in" not in text
    assert as_user("vera").post(url, {"date": "2025-03-07", "went_well": "x"}).status_code == 403


# --- every page


@pytest.fixture
def everything(cadence, users):
    """One of each: an intake awaiting a decision, a counter-offered one, a draft update, a check-in."""
    with time_machine.travel(NOW, tick=False):
        waiting = submitted(cadence)
        countered = submitted(cadence, title="Second request")
        do_decide_intake(countered, acting_user=users["mona"], expected_revision=countered.revision,
                         decision="counter", counter_offer="An e-mail instead.")
        draft = do_compose_update(cadence.party, acting_user=users["olav"])
        do_record_check_in(cadence.party, acting_user=users["olav"], date=dt.date(2025, 3, 7), went_well="Fine")
    return {"intake": waiting.pk, "countered": countered.pk, "update": draft.pk}


def pages(ids):
    return [
        ("engagement:intakes", []), ("engagement:intake_create", []), ("engagement:intake", [ids["intake"]]),
        ("engagement:intake", [ids["countered"]]), ("engagement:intake_edit", [ids["intake"]]),
        ("engagement:promise_add", [ids["intake"], "volume_rebate"]), ("engagement:promise_edit", [ids["intake"], 0]),
        ("engagement:updates", []), ("engagement:party_updates", ["ALFKI"]),
        ("engagement:update", ["ALFKI", ids["update"]]), ("engagement:update_edit", ["ALFKI", ids["update"]]),
        ("engagement:update_send", ["ALFKI", ids["update"]]), ("engagement:update_discard", ["ALFKI", ids["update"]]),
        ("engagement:update_pdf", ["ALFKI", ids["update"]]), ("engagement:check_ins", ["ALFKI"]),
    ]


def test_every_page_answers_a_manager_and_sends_a_visitor_to_sign_in(everything, as_user, client):
    with time_machine.travel(NOW, tick=False):
        for name, args in pages(everything):
            url = reverse(name, args=args)
            assert client.get(url).status_code == 302, url  # anonymous, before signing in
            response = as_user("mona").get(url)
            assert response.status_code == 200, (url, response.content[:2000])
            assert name == "engagement:update_pdf" or b"<main" in response.content
            client.logout()


def test_saving_a_draft_unchanged_records_no_change(cadence, as_user):
    client = as_user("olav")
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("engagement:update_compose", args=["ALFKI"]))
        update = StatusUpdate.objects.get()
        assert "\n" in update.next_steps or "\n" in update.topics  # several lines, as composed
        # Browsers send line ends as CRLF.
        data = {name: (getattr(update, name) or "").replace("\n", "\r\n") for name in (
            "subject", "topics", "kept", "at_risk", "challenges", "open_points", "next_steps")}
        client.post(reverse("engagement:update_edit", args=["ALFKI", update.pk]), {
            **data, "revision": update.revision, "language": "en", "period_end": "2025-03-10"})
    assert not AuditEntry.objects.filter(action="change_update").exists()
