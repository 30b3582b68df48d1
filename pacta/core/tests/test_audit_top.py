"""The top-customers audit: largest customers by revenue, registered?, executed?, gaps, one action per gap."""

import datetime as dt

import pytest
import time_machine

from pacta.core.actions.review import do_open_audit_actions, do_run_top_audit
from pacta.core.audit_top import gap_text, top_audit, top_customers
from pacta.core.models import Action, AuditEntry, AuditReport
from pacta.core.review import Window

from .review_world import agreement, event, party, promise

D = dt.date
AS_OF = dt.datetime(2025, 6, 30, 22, 0, tzinfo=dt.timezone.utc)  # 1 July 00:00 in Amsterdam: 30 June has passed
PERIOD = {"start": D(2025, 1, 1), "end": D(2025, 6, 30)}


@pytest.fixture
def world(users):
    """Revenue from 1 January to 30 June 2025:
    A: 400 + 600 = 1000;  B: 600 − 100 (credit note) = 500 (the rebate payout of 50 is not a sale returned);
    C: 300;  D: 2000, but invoiced on 31 December 2024;  S: a supplier, 5000 (not a customer)."""
    a, b, c, d = party("A"), party("B"), party("C"), party("D")
    s = party("S", supplier=True)
    ag = agreement(a)
    on_time = promise(ag, "on-time", "on_time_delivery", {"lead_days": 5}, owner=users["olav"],
                      registrar=users["mona"], how="on the picking list", title="Ship within five days")
    price = promise(ag, "price", "agreed_price", {"price": "10"}, products=["X"], owner=users["olav"],
                    title="X at 10.00")
    # Order 1: 1 Feb, due 6 Feb, shipped 4 Feb (kept). Order 2: 1 Mar, due 6 Mar, shipped 10 Mar (4 days late).
    event(a, "order", D(2025, 2, 1), ref="1", product="X", quantity=40, unit_price=10)
    event(a, "delivery", D(2025, 2, 4), ref="1")
    event(a, "invoice", D(2025, 2, 4), ref="I1", product="X", quantity=40, unit_price=10)
    event(a, "order", D(2025, 3, 1), ref="2", product="Y", quantity=6, unit_price=100)
    event(a, "delivery", D(2025, 3, 10), ref="2")
    event(a, "invoice", D(2025, 3, 10), ref="I2", product="Y", quantity=6, unit_price=100)
    event(b, "invoice", D(2025, 4, 1), ref="I3", amount=600)
    event(b, "credit_note", D(2025, 4, 15), ref="CN-1", amount=100)
    event(b, "credit_note", D(2025, 1, 20), ref="rebate-2024", amount=50)
    event(c, "invoice", D(2025, 5, 1), ref="I4", amount=300)
    event(d, "invoice", D(2024, 12, 31), ref="I5", amount=2000)
    event(s, "invoice", D(2025, 3, 1), ref="I6", amount=5000)
    return locals()


def test_the_largest_customers_are_ranked_by_revenue_in_the_period(world):
    ranked, totals = top_customers(Window(**PERIOD), 2)
    assert [(p.code, cur, amount) for p, cur, amount, _o in ranked] == [("A", "EUR", 1000), ("B", "EUR", 500)]
    assert totals == {"EUR": 1800}  # A + B + C; D is outside the period, S is no customer


def test_the_report_lists_each_promise_registered_and_executed(world):
    report = top_audit(top=2, as_of=AS_OF, **PERIOD)
    a, b = report["customers"]
    # 1000 of 1800 = 55.6 %, 500 of 1800 = 27.8 %.
    assert (a["party"], a["revenue"], a["share"], b["revenue"], b["share"]) == ("A", "1000.00", "55.6", "500.00", "27.8")
    on_time, price = a["promises"]
    assert (on_time["registered"], on_time["executed"], on_time["deviation_count"]) == (True, False, 1)
    assert on_time["deviations"][0]["key"] == "2" and on_time["deviations"][0]["days_late"] == 4
    assert [g["kind"] for g in on_time["gaps"]] == ["not_kept"]
    assert on_time["gaps"][0]["figures"] == {"count": 1, "broken": 0, "late": 1}
    # The price is kept (40 at 10.00) but nobody registers it and it is not said how it reaches the work.
    assert (price["registered"], price["executed"]) == (False, True)
    assert [g["kind"] for g in price["gaps"]] == ["no_registrar", "no_how"]
    assert b["promises"] == [] and b["gaps"] == [{"kind": "nothing_registered"}]
    # 2 promises, 1 registered, 1 executed; gaps: not kept, no registrar, no how, B's nothing registered.
    assert report["summary"] == {"customers": 2, "with_promises": 1, "promises": 2, "registered": 1,
                                 "executed": 1, "deviations": 1, "gaps": 4}


def test_a_deviation_due_before_the_period_is_not_counted(world):
    report = top_audit(top=1, as_of=AS_OF, start=D(2025, 3, 7), end=D(2025, 6, 30))
    # From 7 March A's revenue is the 600 of order 2 alone, still the largest; order 2 was due on 6 March.
    on_time = report["customers"][0]["promises"][0]
    assert (report["customers"][0]["revenue"], on_time["deviation_count"], on_time["executed"]) == ("600.00", 0, True)


def test_a_draft_is_reported_as_not_in_force(world):
    draft = agreement(world["c"], status="draft")
    promise(draft, "on-time", "on_time_delivery", {"lead_days": 5})
    report = top_audit(top=3, as_of=AS_OF, **PERIOD)
    c = report["customers"][2]
    assert c["party"] == "C"
    assert [g["kind"] for g in c["promises"][0]["gaps"]] == ["no_registrar", "no_executor", "no_how", "draft"]
    assert c["promises"][0]["executed"] is None


def test_the_gaps_read_as_sentences(world):
    assert "1 deviation in the period (0 broken or overdue, 1 kept late)" in gap_text(
        {"kind": "not_kept", "figures": {"count": 1, "broken": 0, "late": 1}})
    assert "register" in gap_text({"kind": "nothing_registered"})


@time_machine.travel(dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.timezone.utc), tick=False)
def test_running_it_keeps_the_report_and_opens_one_action_per_gap_once(world, users):
    report = do_run_top_audit(acting_user=users["mona"], top=2, period_start=PERIOD["start"],
                              period_end=PERIOD["end"], as_of=AS_OF, open_actions=True)
    assert (report.top, report.period_start, report.period_end, report.as_of) == (2, D(2025, 1, 1), D(2025, 6, 30), AS_OF)
    actions = Action.objects.order_by("commitment__key", "instance_key")
    assert [(a.commitment.key, a.instance_key) for a in actions] == [
        ("on-time", "audit:not_kept"), ("price", "audit:no_how"), ("price", "audit:no_registrar")]
    on_time = actions[0]
    # Routed to the executor, due in a week (the watcher's default for a gap that is no deviation).
    assert (on_time.owner, on_time.due_on, on_time.opened_by) == (users["olav"], D(2025, 7, 8), users["mona"])
    assert "Ship within five days" in on_time.title
    assert all(entry["opened"] for entry in AuditReport.objects.get().result["actions"])
    assert AuditEntry.objects.filter(action="run_top_audit").count() == 1

    again = do_run_top_audit(acting_user=users["mona"], top=2, period_start=PERIOD["start"],
                             period_end=PERIOD["end"], as_of=AS_OF, open_actions=True)
    assert Action.objects.count() == 3  # nothing opened twice
    followed = again.result["actions"]
    assert [e["opened"] for e in followed] == [False, False, False]
    assert {e["action"] for e in followed} == {a.pk for a in actions}


@time_machine.travel(dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.timezone.utc), tick=False)
def test_a_closed_action_lets_the_next_audit_open_a_new_one(world, users):
    report = do_run_top_audit(acting_user=users["mona"], top=1, as_of=AS_OF, **{
        "period_start": PERIOD["start"], "period_end": PERIOD["end"]})
    assert Action.objects.count() == 0  # not asked to open actions
    opened = do_open_audit_actions(report, acting_user=users["mona"])
    assert len(opened) == 3
    Action.objects.filter(instance_key="audit:no_how").update(status=Action.Status.DONE)
    assert [a.instance_key for a in do_open_audit_actions(report, acting_user=users["mona"])] == ["audit:no_how"]


@time_machine.travel(dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.timezone.utc), tick=False)
def test_the_command_prints_the_report_stores_it_and_writes_the_pdf(world, users, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    pdf = tmp_path / "audit.pdf"
    call_command("audit", "--top", "2", "--from", "2025-01-01", "--to", "2025-06-30",
                 "--as-of", "2025-06-30T22:00:00+00:00", "--pdf", str(pdf), "--open-actions", "--user", "mona",
                 stdout=out, no_color=True)
    text = out.getvalue()
    assert " 1. A Ltd (A)  1000.00 EUR (55.6 %)" in text
    assert "A-2025/price  X at 10.00  nobody registers it, not in the work process" in text
    assert "Actions: 3 opened, 0 open already." in text
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert Action.objects.filter(opened_by=users["mona"]).count() == 3
    assert AuditReport.objects.get().created_by == users["mona"]


def test_the_command_refuses_a_wrong_date(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--from"):
        call_command("audit", "--from", "2025-13-01")
