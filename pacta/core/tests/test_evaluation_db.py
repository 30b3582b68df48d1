"""Database mode: specs from the register, events from the log, verdicts stored as the cache."""

import datetime as dt
import time
from decimal import Decimal

import polars as pl
import pytest
import time_machine

from pacta.core.actions.events import do_import_events
from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.evaluation import evaluate_and_store, events_frame, specs_from_db, touched_commitments
from pacta.core.imports import read_events
from pacta.core.models import Agreement, Commitment, CommitmentTerms, Instance, Pause, Waiver

from .stored_world import add_commitment, amend, make_agreement, make_party, order_type  # noqa: F401

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db
EVENTS = (
    "id,kind,party,at,ref,quantity,unit_price\n"
    "E1,order,ALFKI,2025-03-03,10248,2,3.50\n"
    "E2,order,ALFKI,2025-03-03T10:00:00+01:00,10249,,\n"
    "E3,delivery,ALFKI,2025-03-05,10248,,\n"
)


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test here runs at a fixed moment (imports and evaluations stamp the time)."""
    with time_machine.travel("2025-03-08T12:00:00+01:00", tick=False):
        yield


def store_events(text: str = EVENTS) -> None:
    with time_machine.travel("2025-03-03T08:00:00+01:00", tick=False):
        do_import_events(read_events(text.encode(), filename="events.csv", with_lines=True))


@pytest.fixture
def alfki():
    return make_party("ALFKI", country="NL")


def test_specs_carry_every_version_the_waivers_and_the_pauses(alfki, order_type):
    agreement = make_agreement(alfki, {"otd": ("test_orders", {"due_days": 3})})
    commitment = Commitment.objects.get()
    v2 = amend(agreement, 2, dt.date(2025, 7, 1))
    CommitmentTerms.objects.create(commitment=commitment, version=v2, title="Faster", params={"due_days": 2},
                                   products=["P1", 7])
    Waiver.objects.create(commitment=commitment, instance_key="10248", reason="Strike", granted_by="Mr. A",
                          at=dt.datetime(2025, 3, 6, tzinfo=UTC))
    start = dt.datetime(2025, 4, 1, tzinfo=UTC)
    Pause.objects.create(agreement=agreement, start=start, end=None, reason="Customer on hold")
    [spec] = specs_from_db([commitment])
    assert (spec.agreement, spec.party, spec.role, spec.currency, spec.timezone, spec.country) == (
        "ALFKI-2025", "ALFKI", "customer", "EUR", "Europe/Amsterdam", "NL")
    assert (spec.agreement_from, spec.agreement_to, spec.commitment, spec.type) == (
        dt.date(2025, 1, 1), dt.date(2025, 12, 31), "otd", "test_orders")
    assert [(s.version, s.effective_from, s.title, s.params.due_days, s.products) for s in spec.segments] == [
        (1, dt.date(2025, 1, 1), "otd", 3, ()), (2, dt.date(2025, 7, 1), "Faster", 2, ("P1", "7"))]
    assert spec.waivers == frozenset({"10248"})
    assert spec.pauses == ((start, None),)


def test_a_commitment_added_by_an_amendment_applies_from_its_version(alfki, order_type):
    agreement = make_agreement(alfki)
    v2 = amend(agreement, 2, dt.date(2025, 7, 1))
    [spec] = specs_from_db([add_commitment(agreement, v2, "late", "test_orders", {})])
    assert [(s.version, s.valid_from) for s in spec.segments] == [(2, dt.date(2025, 7, 1))]


def test_a_removed_commitment_ends_with_a_removed_segment(alfki, order_type):
    agreement = make_agreement(alfki, {"otd": ("test_orders", {})})
    commitment = Commitment.objects.get()
    commitment.removed_in = amend(agreement, 2, dt.date(2025, 9, 1))
    commitment.save()
    [spec] = specs_from_db([commitment])
    assert [(s.version, s.effective_from, s.removed) for s in spec.segments] == [
        (1, dt.date(2025, 1, 1), False), (2, dt.date(2025, 9, 1), True)]


def test_stored_terms_that_no_longer_validate_are_reported_not_evaluated(alfki, order_type):
    make_agreement(alfki, {"otd": ("test_orders", {"due_days": "soon"}), "gone": ("retired_type", {})})
    errors = []
    assert specs_from_db(Commitment.objects.order_by("key"), errors=errors) == []
    assert errors == ["ALFKI-2025/gone: type: retired_type", "ALFKI-2025/otd: due_days: Enter a whole number."]


def test_events_frame_reads_the_log_in_the_event_schema(alfki):
    store_events()
    frame = events_frame(["ALFKI"], None).sort("id")
    assert frame.schema == pl.Schema(EVENT_SCHEMA)
    e1, e2, e3 = frame.iter_rows(named=True)
    assert (e1["at"], e1["date_only"], e1["amount"]) == (dt.datetime(2025, 3, 3, tzinfo=UTC), True, Decimal("7"))
    assert (e2["at"], e2["date_only"], e2["quantity"]) == (dt.datetime(2025, 3, 3, 9, tzinfo=UTC), False, None)
    assert (e3["kind"], e3["product"], e3["currency"]) == ("delivery", None, None)  # empty text reads as null


def test_events_frame_keeps_the_given_parties_up_to_a_day_after_as_of(alfki):
    make_party("BONAP")
    store_events(EVENTS + "E4,order,BONAP,2025-03-03,1,,\nE5,order,ALFKI,2025-03-05T00:00:01Z,2,,\n")
    assert sorted(events_frame(["BONAP"], None)["id"]) == ["E4"]
    # A day after 4 March 00:00 UTC: the date-only delivery of 5 March (00:00 UTC) stays, E5 does not.
    as_of = dt.datetime(2025, 3, 4, tzinfo=UTC)
    assert sorted(events_frame(["ALFKI"], as_of)["id"]) == ["E1", "E2", "E3"]
    assert events_frame([], None).is_empty()


@time_machine.travel("2025-03-20T12:00:00+01:00", tick=False)
def test_it_stores_the_verdicts_and_replaces_the_instances(alfki, order_type):
    make_agreement(alfki, {"otd": ("test_orders", {"due_days": 3, "penalty": "25.005"})})
    store_events()
    as_of = dt.datetime(2025, 3, 10, tzinfo=UTC)
    summary = evaluate_and_store(as_of=as_of)
    assert (summary.evaluated, summary.instances, summary.statuses, summary.skipped_drafts) == (1, 2, {"broken": 1}, 0)
    c = Commitment.objects.get()
    assert (c.status, c.explanation, c.as_of, c.evaluated_at) == (
        "broken", "2 orders", as_of, dt.datetime(2025, 3, 20, 11, tzinfo=UTC))
    assert c.counts == {"open": 0, "kept": 1, "kept_late": 0, "overdue": 1, "broken": 0, "waived": 0, "lapsed": 0}
    # 25.005 rounds half-up to 25.01
    assert c.money == [{"kind": "penalty", "amount": "25.01", "currency": "EUR", "payer": "us", "state": "due"}]
    kept, overdue = Instance.objects.order_by("key")
    # Due 6 March (3 + 3 days), a whole day: stored as its last moment in Amsterdam (23:59:59.999999 CET).
    due = dt.datetime(2025, 3, 6, 22, 59, 59, 999999, tzinfo=UTC)
    assert (kept.key, kept.status, kept.due, kept.done, kept.days_late) == (
        "10248", "kept", due, dt.datetime(2025, 3, 5, tzinfo=UTC), 0)
    assert (overdue.key, overdue.status, overdue.days_late, overdue.health) == ("10249", "overdue", 4, "")
    assert overdue.money == c.money and overdue.explanation == "10249 not delivered"
    # As of 4 March both orders are still open: the instance rows are replaced, not added to.
    evaluate_and_store(as_of=dt.datetime(2025, 3, 4, tzinfo=UTC))
    assert list(Instance.objects.order_by("key").values_list("key", "status")) == [("10248", "open"), ("10249", "open")]
    c.refresh_from_db()
    assert (c.status, c.money, c.next_check_at) == ("open", [], due)


@time_machine.travel("2025-03-20T12:00:00+01:00", tick=False)
def test_only_the_instances_that_changed_are_rewritten(alfki, order_type):
    make_agreement(alfki, {"otd": ("test_orders", {"due_days": 3, "penalty": "10"})})
    store_events()
    evaluate_and_store(as_of=dt.datetime(2025, 3, 5, 12, tzinfo=UTC))
    first = dict(Instance.objects.values_list("key", "id"))
    evaluate_and_store(as_of=dt.datetime(2025, 3, 5, 13, tzinfo=UTC))
    assert dict(Instance.objects.values_list("key", "id")) == first
    # On 10 March order 10249 (due 6 March) is overdue: only its row is replaced.
    evaluate_and_store(as_of=dt.datetime(2025, 3, 10, tzinfo=UTC))
    now = dict(Instance.objects.values_list("key", "id"))
    assert now["10248"] == first["10248"] and now["10249"] != first["10249"]
    assert Instance.objects.get(key="10249").status == "overdue"


def test_drafts_are_skipped_and_counted(alfki, order_type):
    make_agreement(alfki, {"otd": ("test_orders", {})}, status=Agreement.Status.DRAFT)
    make_agreement(alfki, {"otd": ("test_orders", {})}, reference="ALFKI-OLD", status=Agreement.Status.ENDED)
    summary = evaluate_and_store(as_of=dt.datetime(2025, 3, 4, tzinfo=UTC))
    assert (summary.evaluated, summary.skipped_drafts) == (1, 1)
    draft = Commitment.objects.get(agreement__reference="ALFKI-2025")
    assert draft.evaluated_at is None and draft.status == "open"


def test_it_evaluates_only_the_given_commitments(alfki, order_type):
    make_agreement(alfki, {"a": ("test_orders", {}), "b": ("test_orders", {})})
    summary = evaluate_and_store(commitments=Commitment.objects.filter(key="b"), as_of=dt.datetime(2025, 3, 4, tzinfo=UTC))
    assert [r.commitment for r in summary.results] == ["b"]
    assert Commitment.objects.get(key="a").evaluated_at is None


def test_touched_commitments_belong_to_the_parties_and_read_the_kinds(alfki, order_type):
    bonap = make_party("BONAP")
    make_agreement(alfki, {"otd": ("test_orders", {}), "pay": ("payment_term", {"days": 30})})
    make_agreement(alfki, {"po": ("test_orders", {})}, reference="ALFKI-SUPPLY", role="supplier")
    make_agreement(bonap, {"otd": ("test_orders", {})})

    def touched(parties, kinds):
        return sorted(str(c) for c in touched_commitments([p.pk for p in parties], kinds))

    assert touched([alfki], ["delivery"]) == ["ALFKI-2025/otd"]
    assert touched([alfki], ["receipt"]) == ["ALFKI-SUPPLY/po"]
    assert touched([alfki, bonap], ["payment", "order"]) == ["ALFKI-2025/otd", "ALFKI-2025/pay", "BONAP-2025/otd"]
    assert touched([alfki], ["meeting"]) == []
