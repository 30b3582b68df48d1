"""Intakes and status updates in a real browser (Debian's chromium through Playwright).

Two afternoons: a manager clarifies a customer's request, asks for a
decision, accepts it and finds the draft agreement with its glossary and
promise; the customer's point of contact composes a status update, edits it,
reads the preview and sends it (to Django's in-memory mailbox).
"""

import datetime as dt

import pytest
from django.core import mail

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party, do_save_contact
from pacta.core.models import Agreement, Event, StatusUpdate

# The launch setup (Debian's chromium, a page on the live server) and the sign-in are the register's browser test's.
from pacta.front.tests.test_browser import CHROMIUM, browser, fill, page, sign_in  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def alfki(users):
    party = do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste", country="DE",
                            timezone="Europe/Berlin", language="en", spoc=users["olav"])
    do_save_contact(party, acting_user=users["mona"], name="Anna Trujillo", email="anna@alfki.example")
    return party


def test_a_manager_clarifies_a_request_and_accepts_it_into_a_draft_agreement(page, alfki):
    sign_in(page)
    page.goto(page.base + "/intakes/")
    page.click("text=New intake")
    fill(page, {
        "#id_title": "Call before delivery",
        "#id_party": str(alfki.pk),
        "#id_problem": "Drivers arrive unannounced and nobody is at the dock.",
        "#id_desired_situation": "Somebody is ready at the dock when the truck arrives.",
        "#id_goal": "No delivery waits at the dock.",
        "#id_expected_margin": "4000",
        "#id_terms-0-term": "delivered",
        "#id_terms-0-definition": "at the customer's dock",
        "#id_promises-0-key": "call-ahead",
        "#id_promises-0-type": "notice_before_delivery",
        "#id_promises-0-title": "Call one hour before each delivery",
        "#id_promises-0-params": "min_before: PT1H",
        "#id_promises-0-cost": "12.50",
        "#id_promises-0-occurrences": "52",
    })
    page.click("form.form button[type=submit].primary")
    page.wait_for_selector("h1:has-text('Call before delivery')")
    # 12.50 × 52 = 650.00 a year: 16.25 % of the 4,000 margin, shown as 16.3 %.
    assert page.is_visible("#cost >> text=16.3 %")

    page.click("text=Ask for a decision")
    page.wait_for_selector("h1 .status-at_risk")
    page.check("input[name=decision][value=accept]")
    page.fill("#id_reference", "ALFKI-2025")
    page.fill("#id_valid_from", "2025-04-01")
    page.click("text=Record the decision")
    page.wait_for_selector("text=Accepted: the promises are in the draft agreement ALFKI-2025.")

    page.click("#decision >> a:has-text('ALFKI-2025')")
    page.wait_for_selector("h1:has-text('ALFKI-2025')")
    assert page.is_visible("h1 .status-draft")
    assert page.is_visible("text=at the customer's dock")
    assert page.is_visible("text=Call one hour before each delivery")
    agreement = Agreement.objects.get(reference="ALFKI-2025")
    assert agreement.intakes.get().status == "accepted"


def test_the_point_of_contact_composes_edits_and_sends_a_status_update(page, alfki, users):
    do_create_agreement(
        acting_user=users["mona"], party=alfki, reference="ALFKI-2025", status="in_force",
        valid_from=dt.date(2025, 1, 1), timezone="Europe/Berlin", commitments=[CommitmentData(
            key="updates", type="recurring", title="A status update every two weeks",
            params={"kind": "update", "every": "P14D"})])
    sign_in(page, "olav")
    page.goto(page.base + "/parties/ALFKI/updates/")
    assert page.is_visible("text=Next update due")
    page.click("text=Compose an update")
    page.wait_for_selector("#id_subject")
    page.fill("#id_kept", "- Every delivery was announced an hour ahead.")
    page.click("text=Save and preview")
    page.wait_for_selector("h2:has-text('Preview')")
    preview = page.frame_locator("iframe")
    preview.locator("text=Every delivery was announced an hour ahead.").wait_for()  # the frame loads on its own
    assert preview.locator("text=Dear Anna Trujillo,").is_visible()

    page.click("text=Send…")
    page.wait_for_selector("h1:has-text('Send')")
    page.click("form.form button[type=submit].primary")
    page.wait_for_selector("text=The update was sent to Anna Trujillo.")
    assert page.is_visible("h1 .status-kept")

    update = StatusUpdate.objects.get()
    assert update.status == "sent" and Event.objects.get(pk=update.event_id).kind == "update"
    [message] = mail.outbox
    assert message.to == ["anna@alfki.example"]
    assert "Every delivery was announced an hour ahead." in message.body
