"""Deviation → action → resolved, in a real browser (Debian's chromium through Playwright).

The watcher finds an order that was not delivered on time; its owner sees the
action on the dashboard, opens it, resolves it with a note, and the action is
gone from the open list and from the dashboard's count.
"""

import datetime as dt
from decimal import Decimal

import pytest

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party
from pacta.core.models import Action, Event
from pacta.core.watch import run_pass
from pacta.front.tests.test_browser import CHROMIUM, browser, page, sign_in  # noqa: F401  (chromium's launch)
from pacta.lib import clock

AS_OF = "2025-03-10T12:00:00+01:00"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def overdue_order(users, settings):
    """ALFKI promised delivery within 5 days; order 10643 of 1 March was not delivered by 10 March.
    The watcher's pass as of then opens an action for olav, who executes the promise."""
    settings.PACTA_CLOCK = AS_OF  # the pages judge as of the same moment as the watcher
    olav = users["olav"]
    party = do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste", country="DE",
                            spoc=olav)
    do_create_agreement(
        acting_user=users["mona"], party=party, reference="ALFKI-2025", valid_from=dt.date(2025, 1, 1),
        currency="EUR", timezone="Europe/Berlin", status="in_force", commitments=[CommitmentData(
            key="on-time", type="on_time_delivery", title="Deliver within five days", params={"lead_days": 5},
            owner=olav)])
    Event.objects.create(source="erp", external_id="10643-1", kind="order", party=party, ref="10643",
                         at=dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC), product="P1", quantity=Decimal(10),
                         amount=Decimal("420.00"), currency="EUR")
    run_pass(now=clock.now(), digests=False)
    return Action.objects.get()


def count_of(page, section: str, label: str) -> str:
    """The number on a dashboard card, found by its section's heading and its words."""
    return page.inner_text(f"section:has(h2:has-text('{section}')) a.count-card:has-text('{label}') .n")


def test_an_overdue_order_becomes_an_action_that_its_owner_resolves(page, overdue_order):
    action = overdue_order
    assert (action.instance_key, action.status) == ("10643", "open")
    sign_in(page, "olav")

    # The dashboard, as of 10 March, counts the action: the portfolio's and olav's own.
    assert "As of" in page.inner_text(".as-of")
    assert count_of(page, "Actions", "overdue") == "0"  # due 11 March: one day to chase it
    assert count_of(page, "Actions", "open") == "1"
    assert count_of(page, "Your work", "open actions") == "1"

    # The number leads to the list, the list to the action.
    page.click("section:has(h2:has-text('Your work')) a.count-card:has-text('open actions')")
    page.wait_for_selector("h1:has-text('Actions')")
    page.click(f"#results a[href='{action.get_absolute_url()}']")
    page.wait_for_selector("h1 .status-open")
    assert "10643" in page.inner_text(".page-head .sub")
    evidence = page.inner_text("#evidence")
    assert "overdue" in evidence and "4 days late" in evidence
    assert page.is_visible(f"a[href='{action.commitment.get_absolute_url()}']")

    # Resolved with a note, by keyboard from the resolution box.
    page.click(".actions >> text=Resolve")
    page.wait_for_selector("h1:has-text('Resolve:')")
    assert page.is_hidden("#waiver-fields")  # the waiver opens only when asked for
    page.check("#id_status_0")
    page.fill("#id_resolution", "Delivered on 11 March; Maria accepts the delay without a penalty.")
    page.focus("#id_resolution")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the waiver checkbox to the button
    page.keyboard.press("Enter")
    page.wait_for_selector("h1 .status-kept:has-text('done')")
    assert "Maria accepts the delay" in page.inner_text("#resolution")

    # Gone from the open list, and the dashboard's count went down.
    page.click("nav >> text=Actions")
    page.wait_for_selector("text=No open actions.")
    page.click("nav >> text=Dashboard")
    page.wait_for_selector("h1:has-text('Dashboard')")
    assert count_of(page, "Actions", "open") == "0"
    assert count_of(page, "Your work", "open actions") == "0"
    action.refresh_from_db()
    assert (action.status, action.closed_by.username) == ("done", "olav")
