"""The dashboard: the portfolio at a glance, every number a link to the list
that shows the same number, filterable, refreshed by htmx, "as of" the clock."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.html import escape

from pacta.core.actions.watch import do_record_absence
from pacta.core.dashboard import Figure
from pacta.core.models import Action, Party
from pacta.front.templatetags.pacta_watch import figure_url
from pacta.front.tests.watch_pages import NOW, TODAY, open_action, portfolio  # noqa: F401

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def figures_in(value):
    """Every Figure of the dashboard's context, wherever it sits in dicts and lists."""
    if isinstance(value, Figure):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from figures_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from figures_in(item)


def assert_every_number_is_its_list(client, response) -> int:
    """Follow each number's link: the list there has exactly that many rows. Returns how many were checked."""
    figures = list(figures_in([response.context["figures"], response.context["standing_in"]]))
    for figure in figures:
        url = figure_url(figure)
        assert f'href="{escape(url)}"' in response.text, f"the number is not a link to {url}"
        listed = client.get(url).context["listing"].paginator.count
        assert listed == figure.count, f"{url}: the list shows {listed}, the dashboard {figure.count}"
    return len(figures)


def test_every_number_on_the_dashboard_is_a_link_to_a_list_of_that_length(portfolio, as_user):
    client = as_user("mona")
    response = client.get(reverse("front:dashboard"))
    # 5 commitment figures, 3 money lines, 4 action figures, 2 owners + unassigned × 2,
    # 2 worst parties × 2, 3 instance figures, 2 mail figures, 3 of her own.
    assert assert_every_number_is_its_list(client, response) == 5 + 3 + 4 + 6 + 4 + 3 + 2 + 3


def test_the_portfolio_figures_are_what_was_stored(portfolio, as_user):
    figures = as_user("mona").get(reverse("front:dashboard")).context["figures"]
    counts = {status: f.count for status, f in figures["commitments"].items()}
    # kept: review; at risk: volume; broken: call-ahead and cert.
    assert counts == {"all": 4, "kept": 1, "at_risk": 1, "broken": 2, "open": 0}
    # open: olav's two, nina's, the unassigned one; overdue: olav's due 7 March; due by 16 March: olav's due 12 March.
    assert {k: f.count for k, f in figures["actions"].items()} == {"open": 4, "overdue": 1, "unassigned": 1,
                                                                   "due_soon": 1}
    # Open instances due by 17 March noon: 10650 (13 March); at risk: the volume's first quarter.
    assert (figures["due_soon"].count, figures["at_risk"].count, figures["overdue"].count) == (1, 1, 0)
    money = {(m["kind"], m["payer"]): str(m["amount"]) for m in figures["money"]}
    assert money == {("penalty", "us"): "52.50", ("shortfall", "them"): "900", ("fee", "them"): "100"}
    assert (figures["mail"]["failed"].count, figures["mail"]["retrying"].count) == (1, 1)


def test_the_dashboard_shows_the_money_at_stake_in_the_readers_language(portfolio, as_user):
    text = as_user("mona").get(reverse("front:dashboard")).text
    assert "€52.50" in text and "€900.00" in text
    assert "shortfall" in text and "they pay" in text


@pytest.mark.parametrize("filters", [
    {"owner": "olav"},
    {"party": "BLAUS"},
    {"type": "deadline"},
    {"owner": "olav", "party": "alfki"},
])
def test_filtered_numbers_are_links_to_lists_filtered_the_same_way(portfolio, as_user, filters):
    client = as_user("mona")
    response = client.get(reverse("front:dashboard"), filters)
    assert assert_every_number_is_its_list(client, response) > 10


def test_the_unassigned_actions_of_an_owner_are_those_on_what_they_answer_for(portfolio, as_user):
    extra = open_action(portfolio.call_ahead, None, dt.date(2025, 3, 14))
    Action.objects.filter(pk=extra.pk).update(owner=None, routing=Action.Routing.UNASSIGNED)
    client = as_user("mona")
    everybody = client.get(reverse("front:dashboard")).context["figures"]["actions"]["unassigned"]
    olavs = client.get(reverse("front:dashboard"), {"owner": "olav"}).context["figures"]["actions"]["unassigned"]
    # One on BLAUS's cert (nina's), one on ALFKI's call-ahead (olav answers for it as ALFKI's point of contact).
    assert (everybody.count, olavs.count) == (2, 1)
    listed = client.get(figure_url(olavs)).context["listing"]
    assert [a.commitment for a in listed.page] == [portfolio.call_ahead]


def test_a_member_sees_their_own_work_and_only_their_own_mail(portfolio, as_user):
    client = as_user("olav")
    response = client.get(reverse("front:dashboard"))
    mine = response.context["figures"]["mine"]
    assert (mine["open"].count, mine["overdue"].count, mine["deputised"].count) == (2, 1, 0)
    mail = response.context["figures"]["mail"]
    assert (mail["failed"].count, mail["retrying"].count) == (1, 0)  # nina's retry is hers
    assert "Your e-mail that did not go out" in response.text
    assert_every_number_is_its_list(client, response)


def test_the_deputy_sees_the_open_actions_of_the_absent_owner(portfolio, as_user):
    Party.objects.filter(code="ALFKI").update(deputy=portfolio.nina)
    do_record_absence(acting_user=portfolio.olav, user=portfolio.olav, start=TODAY, end=TODAY + dt.timedelta(days=4))
    client = as_user("nina")
    response = client.get(reverse("front:dashboard"))
    # Both of olav's open actions are on ALFKI's commitments, whose deputy nina is.
    assert response.context["figures"]["mine"]["deputised"].count == 2
    [row] = response.context["standing_in"]
    assert (row["owner"], row["figure"].count) == (portfolio.olav, 2)
    assert "Standing in for Olav Owner while away" in response.text
    assert_every_number_is_its_list(client, response)


def test_the_figures_refresh_every_minute_with_the_same_filters(portfolio, as_user):
    client = as_user("mona")
    page = client.get(reverse("front:dashboard"), {"party": "BLAUS"})
    assert 'hx-trigger="every 60s"' in page.text
    assert 'hx-get="/?party=BLAUS"' in page.text
    partial = client.get(reverse("front:dashboard"), {"party": "BLAUS"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="results")
    assert "<main" not in partial.text
    assert 'hx-trigger="every 60s"' in partial.text  # the poll goes on
    assert partial.context["figures"]["commitments"]["broken"].count == 1  # BLAUS's cert only


def test_a_count_changes_on_the_next_refresh(portfolio, as_user):
    client = as_user("mona")

    def open_count():
        return client.get(reverse("front:dashboard"), HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="results").context["figures"]["actions"]["open"].count

    before = open_count()
    open_action(portfolio.review, portfolio.nina, dt.date(2025, 3, 20))
    assert (before, open_count()) == (4, 5)


def test_the_portfolio_figures_are_reused_for_a_while_and_say_when_they_were_counted(portfolio, as_user,
                                                                                    settings):
    settings.PACTA_DASHBOARD_CACHE = 60
    cache.clear()
    client = as_user("nina")
    first = client.get(reverse("front:dashboard")).context["figures"]
    open_action(portfolio.review, portfolio.nina, dt.date(2025, 3, 20))
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        page = client.get(reverse("front:dashboard"))
    again = page.context["figures"]
    # The portfolio's figures are those counted 30 seconds ago, and the page says so; her own are counted now.
    assert (first["actions"]["open"].count, again["actions"]["open"].count) == (4, 4)
    assert again["counted_at"] == first["counted_at"] == NOW
    assert f"Counted at {date_format(localtime(NOW), 'TIME_FORMAT')};" in page.text
    assert (first["mine"]["open"].count, again["mine"]["open"].count) == (1, 2)
    # Other filters are counted for themselves; without reuse everything is counted now.
    assert client.get(reverse("front:dashboard"), {"party": "BLAUS"}).context["figures"]["actions"]["open"].count == 3
    settings.PACTA_DASHBOARD_CACHE = 0
    assert client.get(reverse("front:dashboard")).context["figures"]["actions"]["open"].count == 5
    cache.clear()


def test_the_as_of_moment_is_shown_when_the_clock_is_set(portfolio, as_user, settings):
    client = as_user("mona")
    assert "this installation's clock is set" not in client.get(reverse("front:dashboard")).text
    settings.PACTA_CLOCK = "2025-03-21T09:00:00+01:00"
    response = client.get(reverse("front:dashboard"))
    assert "this installation's clock is set" in response.text
    assert 'datetime="2025-03-21T09:00:00+01:00"' in response.text
    # As of 21 March, olav's actions due 7 and 12 March and nina's due 20 March are overdue.
    assert response.context["figures"]["actions"]["overdue"].count == 3
    assert_every_number_is_its_list(client, response)


def test_an_unknown_party_code_is_said_next_to_the_filter(portfolio, as_user):
    response = as_user("mona").get(reverse("front:dashboard"), {"party": "NOPE"})
    assert "No party has this code." in response.text
    assert response.context["figures"]["commitments"]["all"].count == 4  # the filter is ignored, not applied wrongly
