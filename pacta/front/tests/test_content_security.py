"""Every page keeps to the Content-Security-Policy (pacta.lib.csp): the header is
sent, and no page holds what the policy would block — an inline `<script>`
without `src`, a `style=` attribute, a `<style>` block or an `on…=` handler.

The pages are found by crawling: from the dashboard, every link of the site is
followed, as a manager (who sees every page) in a world with one of everything.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
import time_machine
from django.urls import reverse

from pacta.core.models import Instance
from pacta.front.tests.test_engagement_views import NOW, cadence, everything, submitted  # noqa: F401
from pacta.lib.csp import POLICY

# Not pages of ours, or not pages at all.
SKIP = re.compile(r"^/(static/|media/|admin/|logout/|api/)|\.ics$|/pdf/$|/export/")
LIMIT = 400


class Findings(HTMLParser):
    """Collect the links of a page and what the policy would block in it."""

    def __init__(self):
        super().__init__()
        self.links, self.blocked = [], []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "a" and names.get("href"):
            self.links.append(names["href"])
        if tag == "script" and not names.get("src"):
            self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("<style> block")
        for name, _value in attrs:
            if name == "style" or (name.startswith("on") and len(name) > 2):
                self.blocked.append(f"{name}= on <{tag}>")
        if (names.get("href") or "").lower().startswith("javascript:"):
            self.blocked.append("javascript: link")


def findings(html: str) -> Findings:
    parser = Findings()
    parser.feed(html)
    return parser


def internal(href: str) -> str | None:
    url, _fragment = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
        return None
    return url


def crawl(client, start: str) -> dict[str, list[str]]:
    """{url: what the policy would block there} for every page reachable from `start`."""
    seen, queue, report = {start}, [start], {}
    while queue and len(seen) < LIMIT:
        url = queue.pop(0)
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        assert response["Content-Security-Policy"] == POLICY, url
        page = findings(response.content.decode())
        report[url] = page.blocked
        for href in page.links:
            target = internal(href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return report


def test_the_parser_finds_what_the_policy_blocks():
    html = ('<script>alert(1)</script><script src="/static/x.js"></script><p style="color:red">'
            '<a href="javascript:void(0)" onclick="x()">x</a><style>p{}</style>')
    assert findings(html).blocked == ["inline <script>", "style= on <p>", "onclick= on <a>", "javascript: link",
                                      "<style> block"]


@pytest.fixture
def one_of_everything(everything, cadence):
    Instance.objects.create(commitment=cadence.commitment, key="10248", status="broken", explanation="No call.")
    return everything


def test_every_page_a_manager_reaches_keeps_to_the_policy(one_of_everything, as_user):
    with time_machine.travel(NOW, tick=False):
        report = crawl(as_user("mona"), reverse("front:dashboard"))
    # The world's pages are all reached: parties, agreements, commitments, intakes, updates, reviews.
    ids = one_of_everything
    expected = [reverse("front:party", args=["ALFKI"]), reverse("front:agreement", args=["ALFKI-2025"]),
                reverse("front:commitment", args=["ALFKI-2025", "call-ahead"]),
                reverse("engagement:intake", args=[ids["intake"]]), reverse("engagement:update", args=["ALFKI", ids["update"]]),
                reverse("review:coverage"), reverse("front:actions"), reverse("accounts:profile")]
    assert [url for url in expected if url not in report] == [], sorted(report)
    assert {url: blocked for url, blocked in report.items() if blocked} == {}


def test_the_sign_in_page_keeps_to_the_policy(client, db):
    response = client.get(reverse("login"))
    assert response["Content-Security-Policy"] == POLICY
    assert findings(response.content.decode()).blocked == []


def test_answers_that_are_not_html_carry_no_policy(one_of_everything, as_user):
    with time_machine.travel(NOW, tick=False):
        response = as_user("mona").get(reverse("front:parties") + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "Content-Security-Policy" not in response
