"""The web interface in a real browser (Debian's chromium through Playwright).

One person's afternoon: sign in, record a customer, its agreement and two
commitments of different types through the forms, put the agreement in
force, amend a commitment, read the diff. The agreement page is kept as
docs/screenshot-agreement.png for the README.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from pacta.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the test database
# calls Django makes from here are safe (the live server has its own thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = settings.PROJECT_DIR / "docs" / "screenshot-agreement.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, users):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


def sign_in(page, username="mona"):
    page.goto(page.base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("h1:has-text('Dashboard')")


def fill(page, values: dict) -> None:
    """Type into inputs and choose in selects, by CSS selector."""
    for selector, value in values.items():
        if page.eval_on_selector(selector, "el => el.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def save(page):
    page.click("form.form button[type=submit].primary")


def test_a_manager_records_an_agreement_puts_it_in_force_and_amends_it(page):
    sign_in(page)

    # A customer.
    page.click("nav >> text=Parties")
    page.click("text=New party")
    fill(page, {
        "#id_code": "ALFKI",
        "#id_name": "Alfreds Futterkiste",
        "#id_country": "de",
        "#id_timezone": "Europe/Berlin",
        "#id_city": "Berlin",
    })
    save(page)
    page.wait_for_selector("h1:has-text('Alfreds Futterkiste')")

    # Its agreement, a draft.
    page.click("text=New agreement")
    fill(page, {
        "#id_reference": "ALFKI-2025",
        "#id_title": "Delivery terms 2025",
        "#id_valid_from": "2025-01-01",
        "#id_valid_to": "2025-12-31",
    })
    save(page)
    page.wait_for_selector("h1:has-text('ALFKI-2025')")
    assert page.is_visible("h1 .status-draft")

    # A notice before delivery.
    page.click("text=Add commitment")
    page.click(".types >> text=Notice before delivery")
    fill(page, {
        "#id_key": "call-ahead",
        "#id_title": "Call one hour before each delivery",
        "#id_p-min_before": "PT1H",
        "#id_p-max_before": "PT24H",
    })
    save(page)
    page.wait_for_selector("h1:has-text('Call one hour before each delivery')")

    # On-time delivery with a penalty: the fieldset opens when it applies;
    # a wrong value comes back next to its input with everything typed kept.
    page.click(".crumbs >> text=ALFKI-2025")
    page.click("text=Add commitment")
    page.click(".types >> text=On-time delivery")
    assert page.is_hidden("#id_p-penalty__percent")
    page.check("#id_p-penalty__use")
    fill(page, {
        "#id_key": "on-time",
        "#id_title": "Deliver within five days",
        "#id_p-lead_days": "5",
        "#id_p-penalty__percent": "1",
        "#id_p-penalty__per_days": "0",
    })
    save(page)
    page.wait_for_selector("#id_p-penalty__per_days[aria-invalid=true]")
    assert "Must be at least 1." in page.inner_text("#id_p-penalty__per_days_error")
    assert page.input_value("#id_p-lead_days") == "5"
    page.fill("#id_p-penalty__per_days", "7")
    save(page)
    page.wait_for_selector("h1:has-text('Deliver within five days')")

    # In force, after confirmation.
    page.click(".crumbs >> text=ALFKI-2025")
    page.click(".actions >> text=Put in force")
    page.wait_for_selector("h1:has-text('Put in force ALFKI-2025?')")
    page.click("button:has-text('Put in force')")
    page.wait_for_selector("h1 .status-in_force")

    # An amendment of the call-ahead terms.
    page.click("#commitments >> text=call-ahead")
    page.click("text=Change terms")
    fill(page, {
        "#id_title": "Call two hours before each delivery",
        "#id_p-min_before": "PT2H",
        "#id_a-effective_from": "2025-07-01",
        "#id_a-summary": "Two hours instead of one",
        "#id_a-reason": "The dock staff need more time",
        "#id_a-agreed_by": "Maria Anders",
        "#id_a-agreed_how": "signed",
    })
    save(page)
    page.wait_for_selector("h1:has-text('Call two hours before each delivery')")
    assert "Version 2" in page.inner_text("#terms")

    # The diff between the two versions, loaded into the agreement page.
    page.click(".crumbs >> text=ALFKI-2025")
    page.select_option("#diff-from", "1")
    page.select_option("#diff-to", "2")
    page.click("button:has-text('Show differences')")
    page.wait_for_selector("#diff .diff")
    assert page.inner_text("#diff .line.del:has-text('min_before')").endswith("min_before: PT1H")
    assert page.inner_text("#diff .line.add:has-text('min_before')").endswith("min_before: PT2H")
    assert "Two hours instead of one" in page.inner_text("#versions")

    # The README's picture is refreshed on request (PACTA_SCREENSHOTS=1), so a test
    # run leaves the working tree as it was.
    shot = page.screenshot(full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("PACTA_SCREENSHOTS"):
        SCREENSHOT.write_bytes(shot)


def test_the_keyboard_reaches_the_skip_link_first_then_the_search_box(page):
    sign_in(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    for _ in range(16):  # brand, the main navigation, then the search box
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    else:
        pytest.fail("the search box is not reachable by keyboard")
    page.keyboard.type("alfki")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Search')")
    assert page.url.endswith("/search/?q=alfki")


def test_switching_to_dutch_shows_the_page_in_dutch(page):
    sign_in(page)
    page.select_option("#language", "nl")
    page.wait_for_selector("html[lang=nl]")
    nav = page.inner_text("header nav")
    # The Dutch words of the catalogue (docs/translations/nl.md), none of the English ones.
    assert "Overeenkomsten" in nav and "Relaties" in nav, nav
    assert not re.search(r"\b(Parties|Agreements|Commitments)\b", nav), nav
    assert "Sign out" not in page.inner_text("header .user")
