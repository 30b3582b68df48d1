"""The dashboard's numbers equal the lists behind them."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party
from pacta.core.actions.watch import do_open_action, do_record_absence, do_resolve_action
from pacta.core.dashboard import dashboard_figures, money_at_stake
from pacta.core.models import Action, Commitment, OutboundMail
from pacta.core.tests.watch_world import at, penalty, store_verdict, world  # noqa: F401

NOW = at("2025-03-10T12:00:00+01:00")
TODAY = dt.date(2025, 3, 10)


@pytest.fixture
def portfolio(world):
    """Two parties, four commitments, five actions, two mails with problems.

    ALFKI (olav): call-ahead broken (penalty 52.50 we owe; 10.00 already paid), volume at risk
    (shortfall 900 projected, they owe). BLAUS (nina): cert broken (fee 100 they owe), review kept.
    """
    blaus = do_create_party(acting_user=world.mona, code="BLAUS", name="Blauer See", spoc=world.nina)
    deadline = {"kind": "attestation", "due": "2025-03-01"}
    agreement = do_create_agreement(
        acting_user=world.mona, party=blaus, reference="BLAUS-2025", valid_from=dt.date(2025, 1, 1),
        status="in_force", commitments=[
            CommitmentData(key="cert", type="deadline", title="Insurance certificate", params=deadline,
                           owner=world.nina),
            CommitmentData(key="review", type="deadline", title="Price review", params=deadline, owner=world.nina),
        ])
    cert, review = agreement.commitments.get(key="cert"), agreement.commitments.get(key="review")
    store_verdict(world.call_ahead, "broken", {
        "10643": {"status": "broken", "money": [penalty("52.50"), penalty("10.00", state="paid")]},
        "10650": {"status": "open", "due": at("2025-03-13T10:00:00+01:00")},  # due in 3 days
        "10700": {"status": "open", "due": at("2025-03-20T10:00:00+01:00")},  # in 10 days
    }, evaluated_at=NOW)
    store_verdict(world.volume, "at_risk", {"2025-Q1": {
        "status": "open", "health": "at_risk", "due": at("2025-03-31T23:59:59+02:00"),
        "money": [penalty("900", "projected", "shortfall", "them")]}}, evaluated_at=NOW)
    store_verdict(cert, "broken", {"cert": {"status": "broken", "money": [penalty("100", "due", "fee", "them")]}},
                  evaluated_at=NOW)
    store_verdict(review, "kept", {"review": {"status": "kept"}}, evaluated_at=NOW)

    def action(commitment, owner, due, key=""):
        return do_open_action(commitment, acting_user=world.mona, owner=owner, instance_key=key,
                              title=f"{commitment.key} {key}", due_on=due)

    with time_machine.travel(NOW, tick=False):
        actions = {
            "olav_overdue": action(world.call_ahead, world.olav, dt.date(2025, 3, 7), "10643"),
            "olav_soon": action(world.volume, world.olav, dt.date(2025, 3, 12), "2025-Q1"),
            "nina": action(cert, world.nina, dt.date(2025, 3, 20), "cert"),
            "unassigned": action(cert, None, dt.date(2025, 3, 25)),
            "done": action(review, world.nina, dt.date(2025, 3, 1)),
        }
        Action.objects.filter(pk=actions["unassigned"].pk).update(owner=None, routing="unassigned")
        d = actions["done"]
        do_resolve_action(d, acting_user=world.nina, expected_revision=d.revision, resolution="Done.")
    failed = OutboundMail.objects.create(kind="alert", recipient=world.olav, to="olav@", subject="s", body_text="t",
                                         status="failed", last_error="malformed e-mail address")
    retrying = OutboundMail.objects.create(kind="alert", recipient=world.nina, to="nina@example.com", subject="s",
                                           body_text="t", status="queued", attempts=2, next_attempt_at=NOW)
    OutboundMail.objects.create(kind="alert", recipient=world.nina, to="nina@example.com", subject="s",
                                body_text="t", status="queued", attempts=0, next_attempt_at=NOW)  # fine
    return {"blaus": blaus, "cert": cert, "review": review, "actions": actions, "failed": failed,
            "retrying": retrying}


def listed(figure):
    """The list behind a figure, after checking that the number is its length."""
    items = set(figure.queryset)
    assert figure.count == len(items) == figure.queryset.count()
    return items


def test_the_commitment_counts_are_the_lists_by_status(world, portfolio):
    figures = dashboard_figures(now=NOW)["commitments"]
    assert listed(figures["all"]) == {world.call_ahead, world.volume, portfolio["cert"], portfolio["review"]}
    assert listed(figures["broken"]) == {world.call_ahead, portfolio["cert"]}
    assert listed(figures["at_risk"]) == {world.volume}
    assert listed(figures["kept"]) == {portfolio["review"]}
    assert listed(figures["open"]) == set()
    assert figures["broken"].params == {"status": "broken"}


def test_money_at_stake_adds_up_the_unpaid_money_by_kind(world, portfolio):
    lines = dashboard_figures(now=NOW)["money"]
    # Paid money (10.00) is not at stake. Largest first within the currency.
    assert [(m["kind"], m["payer"], m["amount"], m["currency"]) for m in lines] == [
        ("shortfall", "them", Decimal("900"), "EUR"),
        ("fee", "them", Decimal("100"), "EUR"),
        ("penalty", "us", Decimal("52.50"), "EUR"),
    ]
    assert listed(lines[2]["figure"]) == {world.call_ahead}
    assert lines[2]["figure"].params == {"money": "penalty", "currency": "EUR", "payer": "us"}


def test_money_at_stake_reads_each_unpaid_item_as_stored(world, portfolio):
    """The database takes the money lists apart; what counts is as before: unpaid items with an
    amount, a number as well as a text, exactly; paid, zero, malformed and non-item entries add nothing."""
    Commitment.objects.filter(pk=world.call_ahead.pk).update(money=[
        penalty("0.10"), penalty("0.20", state="accrued"), {**penalty("x"), "amount": 0.3}, penalty("7", state="paid"),
        penalty("0"), penalty("not a number"), {"kind": "penalty", "state": "due"}, "penalty", ["due", "1"],
    ])
    Commitment.objects.filter(pk=world.volume.pk).update(money={"kind": "penalty", "amount": "5", "state": "due"})
    lines = money_at_stake(Commitment.objects.filter(pk__in=[world.call_ahead.pk, world.volume.pk]))
    assert [(m["kind"], m["payer"], m["amount"], m["commitments"]) for m in lines] == [
        ("penalty", "us", Decimal("0.6"), {world.call_ahead.pk})]


def test_figures_are_reused_only_when_asked_and_only_as_of_the_clock(world, portfolio):
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        counted = dashboard_figures(reuse=60)
        store_verdict(portfolio["review"], "broken", {"review": {"status": "broken"}}, evaluated_at=NOW)
        assert dashboard_figures(reuse=60)["commitments"]["broken"].count == counted["commitments"]["broken"].count == 2
        assert dashboard_figures()["commitments"]["broken"].count == 3  # not reused
        assert dashboard_figures(now=NOW, reuse=60)["commitments"]["broken"].count == 3  # a given moment: counted
        # the list behind a reused number is today's list
        assert dashboard_figures(reuse=60)["commitments"]["broken"].queryset.count() == 3
    cache.clear()


def test_the_action_figures_are_the_lists_of_open_overdue_and_unassigned_actions(world, portfolio):
    a = portfolio["actions"]
    figures = dashboard_figures(now=NOW)["actions"]
    assert listed(figures["open"]) == {a["olav_overdue"], a["olav_soon"], a["nina"], a["unassigned"]}
    assert listed(figures["overdue"]) == {a["olav_overdue"]}  # due 7 March
    assert listed(figures["unassigned"]) == {a["unassigned"]}
    assert listed(figures["due_soon"]) == {a["olav_soon"]}  # 12 March; 20 and 25 March are later than 7 days


def test_actions_by_owner_put_the_most_overdue_first(world, portfolio):
    rows = dashboard_figures(now=NOW)["actions_by_owner"]
    assert [(r["owner"], r["open"].count, r["overdue"].count) for r in rows] == [
        (world.olav, 2, 1), (world.nina, 1, 0), (None, 1, 0)]
    for row in rows:
        listed(row["open"])
        listed(row["overdue"])
    assert rows[2]["open"].params == {"owner": "none", "status": "open"}


def test_the_worst_parties_come_first(world, portfolio):
    rows = dashboard_figures(now=NOW)["worst_parties"]
    # ALFKI: 1 broken and 1 at risk; BLAUS: 1 broken.
    assert [(r["party"].code, r["broken"].count, r["at_risk"].count) for r in rows] == [("ALFKI", 1, 1), ("BLAUS", 1, 0)]
    assert listed(rows[1]["broken"]) == {portfolio["cert"]}
    assert rows[1]["broken"].params == {"party": "BLAUS", "status": "broken"}


def test_due_soon_at_risk_and_overdue_are_instance_lists(world, portfolio):
    figures = dashboard_figures(now=NOW)
    assert {i.key for i in listed(figures["due_soon"])} == {"10650"}
    assert {i.key for i in listed(figures["at_risk"])} == {"2025-Q1"}
    assert listed(figures["overdue"]) == set()


def test_filters_narrow_every_figure(world, portfolio):
    by_olav = dashboard_figures(owner=world.olav, now=NOW)
    assert listed(by_olav["commitments"]["all"]) == {world.call_ahead, world.volume}
    assert by_olav["actions"]["open"].count == 2
    assert listed(by_olav["actions"]["unassigned"]) == set()  # it is on nina's commitment
    assert [m["kind"] for m in by_olav["money"]] == ["shortfall", "penalty"]
    by_party = dashboard_figures(party=portfolio["blaus"], now=NOW)
    assert listed(by_party["commitments"]["all"]) == {portfolio["cert"], portfolio["review"]}
    assert listed(by_party["actions"]["open"]) == {portfolio["actions"]["nina"], portfolio["actions"]["unassigned"]}
    assert by_party["scope"] == {"party": "BLAUS"}
    by_type = dashboard_figures(type="deadline", now=NOW)
    assert listed(by_type["commitments"]["broken"]) == {portfolio["cert"]}
    assert by_type["commitments"]["broken"].params == {"type": "deadline", "status": "broken"}


def test_mail_problems_are_counted_for_managers_and_each_persons_own(world, portfolio):
    for_all = dashboard_figures(now=NOW)["mail"]
    assert listed(for_all["failed"]) == {portfolio["failed"]}
    assert listed(for_all["retrying"]) == {portfolio["retrying"]}
    for_nina = dashboard_figures(user=world.nina, now=NOW)["mail"]
    assert listed(for_nina["failed"]) == set()
    assert listed(for_nina["retrying"]) == {portfolio["retrying"]}
    assert listed(dashboard_figures(user=world.mona, now=NOW)["mail"]["failed"]) == {portfolio["failed"]}


def test_mine_lists_my_actions_and_those_i_stand_in_for(world, portfolio):
    a = portfolio["actions"]
    mine = dashboard_figures(user=world.olav, now=NOW)["mine"]
    assert listed(mine["open"]) == {a["olav_overdue"], a["olav_soon"]}
    assert listed(mine["overdue"]) == {a["olav_overdue"]}
    assert listed(dashboard_figures(user=world.nina, now=NOW)["mine"]["deputised"]) == set()
    do_record_absence(acting_user=world.olav, user=world.olav, start=TODAY, end=TODAY)
    # Nina is ALFKI's deputy: while olav is away she sees his open actions.
    assert listed(dashboard_figures(user=world.nina, now=NOW)["mine"]["deputised"]) == {a["olav_overdue"], a["olav_soon"]}
