"""Coverage: which supplier promises back a customer promise, and the gaps (pacta.core.coverage)."""

import datetime as dt

import pytest

from pacta.core.actions.review import do_link_coverage, do_unlink_coverage
from pacta.core.actions.register import RegisterError
from pacta.core.coverage import coverage, supplier_choices
from pacta.core.models import Agreement, AuditEntry

from .review_world import agreement, event, party, product, promise

D = dt.date


@pytest.fixture
def world(db):
    """C1 buys P1 (from S1: 7 days, 2 days our handling), P2 (from S2, lead time unknown),
    P3 (our own) and freight (not in the catalogue).

    C1's promises: on time within 10 days, 1 % per day late, at most 10 %; at least 30 P1 a quarter;
    P2 at 5.00 if 100 a year. S1 promises: received within 9 days, 0.5 % per day, at most 10 %; at
    least 100 P1 a year. S2 has no agreement in force."""
    c1, s1, s2 = party("C1"), party("S1", supplier=True), party("S2", supplier=True)
    product("P1", s1, supplier_lead_days=7, handling_days=2)
    product("P2", s2)
    product("P3")
    customer = agreement(c1)
    on_time = promise(customer, "on-time", "on_time_delivery",
                      {"lead_days": 10, "penalty": {"percent": "1", "per_days": 1, "cap_percent": "10"}})
    volume = promise(customer, "volume", "volume_commitment",
                     {"period": "quarter", "measure": "quantity", "minimum": "30"}, products=["P1"])
    price = promise(customer, "price", "conditional_price", {"price": "5", "volume": "100"}, products=["P2"])
    supplier = agreement(s1, role="supplier")
    s1_on_time = promise(supplier, "on-time", "on_time_delivery",
                         {"lead_days": 9, "penalty": {"percent": "0.5", "per_days": 1, "cap_percent": "10"}})
    s1_volume = promise(supplier, "volume", "volume_commitment",
                        {"period": "year", "measure": "quantity", "minimum": "100"}, products=["P1"])
    for ref, prod in (("1", "P1"), ("1", "P2"), ("1", "P3"), ("1", "freight")):
        event(c1, "order", D(2025, 3, 3), ref=ref, product=prod, quantity=1, unit_price=10)
    return locals()


def row_of(result, commitment):
    return next(r for r in result.rows if r.commitment.pk == commitment.pk)


def gap_kinds(cover):
    return [g.kind for g in cover.gaps]


def test_the_products_of_a_promise_for_every_product_are_those_the_customer_ordered(world):
    row = row_of(coverage(), world["on_time"])
    assert [c.supplier.code for c in row.covers] == ["S1", "S2"]
    assert row.own_products == ["P3"]
    assert row.unknown_products == ["freight"]


def test_a_supplier_lead_time_plus_our_handling_beyond_the_promise_is_a_gap(world):
    cover = row_of(coverage(), world["on_time"]).cover_of("S1")
    assert cover.suggested == [world["s1_on_time"]]  # S1's on-time promise, suggested from P1's supplier
    gap = next(g for g in cover.gaps if g.kind == "lead_time")
    # The agreement's 9 days beat the catalogue's 7; 9 + 2 handling = 11 > the 10 days promised.
    assert gap.figures["supplier_days"] == 9 and gap.figures["source"] == "agreement"
    assert gap.figures["handling_days"] == 2 and gap.figures["customer_days"] == 10
    assert "11 days" in gap.text


def test_a_smaller_supplier_penalty_is_a_gap(world):
    cover = row_of(coverage(), world["on_time"]).cover_of("S1")
    gap = next(g for g in cover.gaps if g.kind == "penalty")
    # We pay 1 % a day, S1 pays 0.5 % a day: half the rate, same cap.
    assert gap.figures["ours"]["percent"] == "1" and gap.figures["theirs"]["percent"] == "0.5"
    assert "0.5 % per day late" in gap.text


def test_an_equal_or_higher_supplier_penalty_is_no_gap(world):
    terms = world["s1_on_time"].current_terms()
    terms.params = {"lead_days": 9, "penalty": {"percent": "7", "per_days": 7, "cap_percent": "10"}}
    terms.save()
    # 7 % per 7 days = 1 % a day, cap 10 % = ours: passed on in full.
    assert "penalty" not in gap_kinds(row_of(coverage(), world["on_time"]).cover_of("S1"))
    terms.params = {"lead_days": 9, "penalty": {"percent": "2", "per_days": 1, "cap_percent": "5"}}
    terms.save()
    # A higher rate but a lower cap (5 % < 10 %) is still a smaller penalty.
    assert "penalty" in gap_kinds(row_of(coverage(), world["on_time"]).cover_of("S1"))


def test_a_supplier_without_any_agreement_is_a_gap_and_its_unknown_lead_time_is_not_repeated(world):
    cover = row_of(coverage(), world["on_time"]).cover_of("S2")
    assert gap_kinds(cover) == ["no_agreement"]
    assert cover.gaps[0].figures == {"products": ["P2"]}


def test_the_customers_volume_beyond_the_suppliers_is_a_gap(world):
    cover = row_of(coverage(), world["volume"]).cover_of("S1")
    assert cover.suggested == [world["s1_volume"]]
    gap = cover.gaps[0]
    # 30 a quarter x 4 = 120 a year > S1's 100 a year.
    assert (gap.kind, gap.figures) == ("volume", {"customer_per_year": "120", "supplier_per_year": "100"})


def test_a_volume_within_the_suppliers_is_covered(world):
    terms = world["volume"].current_terms()
    terms.params = {"period": "quarter", "measure": "quantity", "minimum": "25"}
    terms.save()
    row = row_of(coverage(), world["volume"])
    # 25 x 4 = 100 a year = S1's 100: covered.
    assert (row.state, row.cover_of("S1").gaps) == ("covered", [])


def test_a_volume_in_money_is_not_compared(world):
    terms = world["volume"].current_terms()
    terms.params = {"period": "quarter", "measure": "amount", "minimum": "3000"}
    terms.save()
    row = row_of(coverage(), world["volume"])
    assert gap_kinds(row.cover_of("S1")) == ["volume_not_compared"]
    assert row.state == "unchecked"


def test_without_lead_days_the_shortest_order_to_due_time_is_what_was_promised(world):
    c2 = party("C2")
    on_time = promise(agreement(c2), "on-time", "on_time_delivery", {"grace_days": 1})
    event(c2, "order", D(2025, 3, 1), ref="A", product="P1", quantity=1, unit_price=1, due=D(2025, 3, 15))
    event(c2, "order", D(2025, 4, 1), ref="B", product="P1", quantity=1, unit_price=1, due=D(2025, 4, 8))
    gap = next(g for g in row_of(coverage(), on_time).cover_of("S1").gaps if g.kind == "lead_time")
    # Order B: 1 to 8 April = 7 days, + 1 day of grace = 8 < 9 + 2 = 11.
    assert (gap.figures["customer_days"], gap.figures["order"]) == (8, "B")


def test_working_days_count_as_whole_weeks_of_calendar_days(world):
    terms = world["on_time"].current_terms()
    terms.params = {"lead_days": 7, "business_days": True}
    terms.save()
    # 7 working days = 7 + 2 x 1 = 9 calendar days < 11: still a gap; 10 working days = 14 would not be.
    gap = next(g for g in row_of(coverage(), world["on_time"]).cover_of("S1").gaps if g.kind == "lead_time")
    assert gap.figures["customer_days"] == 9
    terms.params = {"lead_days": 10, "business_days": True}
    terms.save()
    assert "lead_time" not in gap_kinds(row_of(coverage(), world["on_time"]).cover_of("S1"))


def test_an_explicit_link_replaces_the_suggestion_and_is_audited(world, users):
    s2_draft = agreement(world["s2"], role="supplier", status=Agreement.Status.IN_FORCE)
    s2_volume = promise(s2_draft, "volume", "volume_commitment",
                        {"period": "year", "measure": "quantity", "minimum": "200"}, products=["P2"])
    link = do_link_coverage(world["price"], s2_volume, acting_user=users["mona"], note="Agreed by phone")
    cover = row_of(coverage(), world["price"]).cover_of("S2")
    # The customer's 100 P2 a year fit in S2's 200.
    assert (cover.linked, cover.suggested, cover.gaps) == ([s2_volume], [], [])
    entry = AuditEntry.objects.get(action="link_coverage")
    assert (entry.user, entry.agreement, entry.object_id) == (users["mona"], world["customer"], str(link.pk))
    do_unlink_coverage(link, acting_user=users["mona"])
    cover = row_of(coverage(), world["price"]).cover_of("S2")
    assert cover.linked == [] and cover.suggested == [s2_volume]  # suggested again: S2 supplies P2
    assert AuditEntry.objects.filter(action="unlink_coverage").count() == 1


def test_a_link_must_join_a_customer_promise_to_a_supplier_promise_once(world, users):
    with pytest.raises(RegisterError) as refused:
        do_link_coverage(world["s1_on_time"], world["on_time"], acting_user=users["mona"])
    assert set(refused.value.errors) == {"customer_commitment", "supplier_commitment"}
    do_link_coverage(world["on_time"], world["s1_on_time"], acting_user=users["mona"])
    with pytest.raises(RegisterError):
        do_link_coverage(world["on_time"], world["s1_on_time"], acting_user=users["mona"])


def test_a_draft_supplier_agreement_is_not_suggested_but_offered(world):
    draft = agreement(world["s2"], role="supplier", status=Agreement.Status.DRAFT)
    offered = promise(draft, "volume", "volume_commitment", {"period": "year", "minimum": "500"}, products=["P2"])
    assert gap_kinds(row_of(coverage(), world["price"]).cover_of("S2")) == ["no_agreement"]
    choices = supplier_choices(world["price"])
    assert (offered, False) in choices


def test_the_choices_put_the_suggested_supplier_promises_first(world):
    choices = supplier_choices(world["volume"])
    assert choices[0] == (world["s1_volume"], True)
    assert (world["s1_on_time"], False) in choices


def test_filters_keep_gaps_or_one_supplier(world):
    result = coverage(suppliers=["S2"])
    assert {r.commitment.key for r in result.rows} == {"on-time", "price"}
    assert all(c.supplier.code == "S2" for r in result.rows for c in r.covers)
    assert {r.commitment.key for r in coverage(only_gaps=True).rows} == {"on-time", "volume", "price"}
    assert result.to_json()["suppliers"] == [{"code": "S2", "name": "S2 Ltd"}]


def test_the_command_prints_a_line_per_promise_and_supplier_with_its_gaps(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("coverage", "--supplier", "S1", stdout=out, no_color=True)
    text = out.getvalue()
    assert "C1-2025/on-time  S1 Ltd (S1)  gap  S1-2025/on-time (suggested)" in text
    assert "    lead time too long: S1 Ltd needs 9 days, plus 2 days of our own handling: 11 days" in text
    # Two promises with S1: on-time and volume, both with a gap.
    assert "2 customer promises: 2 with a gap" in text
    out = StringIO()
    call_command("coverage", "--format", "csv", "--gaps-only", stdout=out)
    lines = out.getvalue().splitlines()
    # Header, then on-time with S1 and S2, volume with S1, price with S2.
    assert len(lines) == 5 and lines[0].startswith("party,agreement,commitment")
    out = StringIO()
    call_command("coverage", "--format", "json", "--customer", "C1", stdout=out)
    import json

    assert json.loads(out.getvalue())["counts"]["gap"] == 3
