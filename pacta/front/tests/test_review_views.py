"""The review pages: coverage matrix and links, the top-customers audit (HTML, PDF, actions), profitability."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from pacta.core.models import Action, AuditReport, CoverageLink
from pacta.core.tests.review_world import agreement, event, party, product, promise

D = dt.date
NOW = dt.datetime(2025, 7, 1, 8, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def review(users, settings):
    """C1 (point of contact olav) buys P1 from S1 (7 days + 2 of our handling). We promised C1 delivery
    within 10 days, 1 % per day late; S1 promises 9 days, no penalty. From 1 July 2024 to 30 June 2025
    C1 was invoiced 40 x 10.00 = 400.00 and C2 100.00."""
    settings.PACTA_HOURLY_RATE = "40"
    settings.PACTA_MARGIN_PERCENT = "25"
    settings.PACTA_COST_SHARE_LIMIT = "10"
    c1 = party("C1", name="Customer One", spoc=users["olav"])
    c2 = party("C2", name="Customer Two")
    s1 = party("S1", supplier=True, name="Supplier One")
    product("P1", s1, supplier_lead_days=7, handling_days=2)
    on_time = promise(agreement(c1), "on-time", "on_time_delivery",
                      {"lead_days": 10, "penalty": {"percent": "1", "per_days": 1}}, title="Ship within ten days",
                      owner=users["olav"], cost_hours=Decimal("0.5"))
    s1_on_time = promise(agreement(s1, role="supplier"), "on-time", "on_time_delivery", {"lead_days": 9},
                         title="Received within nine days")
    event(c1, "order", D(2025, 3, 1), ref="1", product="P1", quantity=40, unit_price=10)
    event(c1, "delivery", D(2025, 3, 4), ref="1")
    event(c1, "invoice", D(2025, 3, 4), ref="I1", product="P1", quantity=40, unit_price=10)
    event(c2, "invoice", D(2025, 4, 1), ref="I2", amount=100)
    return locals()


def test_the_matrix_shows_each_promise_against_each_supplier_with_its_gaps_in_words(review, as_user):
    page = as_user("vera").get(reverse("review:coverage"))
    assert page.status_code == 200
    (row, cells), = page.context["matrix"]
    assert row.commitment == review["on_time"] and [s.code for s in page.context["suppliers"]] == ["S1"]
    text = page.text
    # 9 days + 2 days of handling = 11 > 10; no penalty from S1 against our 1 % a day.
    assert "lead time too long" in text and "penalty not passed on" in text
    assert "Supplier One needs 9 days, plus 2 days of our own handling: 11 days" in text
    assert 'class="status status-broken">gap</span>' in text  # colour and word together


def test_the_matrix_exports_csv_and_json(review, as_user):
    client = as_user("vera")
    rows = list(csv.reader(io.StringIO(client.get(reverse("review:coverage") + "?format=csv").text)))
    assert rows[0][:3] == ["Party", "Agreement", "Id"]
    assert rows[1][:7] == ["C1", "C1-2025", "on-time", "on_time_delivery", "Ship within ten days", "S1", "gap"]
    doc = client.get(reverse("review:coverage") + "?format=json").json()
    assert [g["kind"] for g in doc["rows"][0]["covers"][0]["gaps"]] == ["lead_time", "penalty"]


def test_the_filters_narrow_the_matrix(review, as_user):
    page = as_user("vera").get(reverse("review:coverage"), {"customer": "C2"})
    assert page.context["matrix"] == []
    assert "No customer promise matches these filters." in page.text


def test_the_owner_links_a_supplier_promise_and_removes_it_again(review, as_user):
    client = as_user("olav")
    url = reverse("review:coverage_link", args=["C1-2025", "on-time"])
    form = client.get(url)
    assert "Supplier One — S1-2025/on-time: Received within nine days (suggested)" in form.text
    response = client.post(url, {"supplier_commitment": review["s1_on_time"].pk, "note": "Signed in March"})
    assert response.status_code == 302
    link = CoverageLink.objects.get()
    assert (link.supplier_commitment, link.note, link.created_by) == (review["s1_on_time"], "Signed in March",
                                                                      review["users"]["olav"])
    matrix = client.get(reverse("review:coverage")).text
    assert "Linked:" in matrix and "Signed in March" in matrix
    unlink = reverse("review:coverage_unlink", args=[link.pk])
    assert client.get(unlink).status_code == 200  # asks first
    assert client.post(unlink).status_code == 302
    assert not CoverageLink.objects.exists()


def test_an_outsider_may_not_link(review, as_user):
    url = reverse("review:coverage_link", args=["C1-2025", "on-time"])
    assert as_user("nina").post(url, {"supplier_commitment": review["s1_on_time"].pk}).status_code == 403
    assert not CoverageLink.objects.exists()


def test_the_guided_audit_runs_and_shows_its_report(review, as_user):
    client = as_user("mona")
    assert "Run the audit" in client.get(reverse("review:audit")).text
    response = client.post(reverse("review:audit"), {"top": "2", "start": "", "end": ""})
    report = AuditReport.objects.get()
    assert response["Location"] == reverse("review:audit_report", args=[report.pk])
    # The twelve months up to 1 July 2025 (Amsterdam's 30 June has ended at 22:00 UTC: as of 08:00 UTC it is 1 July).
    assert (report.period_start, report.period_end, report.top) == (D(2024, 7, 2), D(2025, 7, 1), 2)
    page = client.get(response["Location"])
    customers = page.context["customers"]
    # C1: 400.00 of 500.00 = 80.0 %; C2: 100.00 = 20.0 %, nothing registered.
    assert [(c["party"], c["revenue"], c["share"]) for c in customers] == [("C1", "400.00", "80.0"),
                                                                            ("C2", "100.00", "20.0")]
    assert "Nobody is named to register this promise" in page.text
    assert "No special agreement of this customer is registered" in page.text
    assert not Action.objects.exists()


def test_the_report_downloads_as_pdf_and_opens_actions_for_its_gaps(review, as_user):
    client = as_user("mona")
    client.post(reverse("review:audit"), {"top": "1"})
    report = AuditReport.objects.get()
    pdf = client.get(reverse("review:audit_pdf", args=[report.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert client.post(reverse("review:audit_actions", args=[report.pk])).status_code == 302
    # C1's promise names no registrar and no way into the work process: two actions.
    assert sorted(Action.objects.values_list("instance_key", flat=True)) == ["audit:no_how", "audit:no_registrar"]
    client.post(reverse("review:audit_actions", args=[report.pk]))
    assert Action.objects.count() == 2


def test_a_viewer_reads_reports_but_does_not_run_the_audit(review, as_user):
    client = as_user("vera")
    assert client.post(reverse("review:audit"), {"top": "3"}).status_code == 403
    assert "running the audit needs a role" in client.get(reverse("review:audit")).text


def test_a_wrong_number_of_customers_is_shown_next_to_its_field(review, as_user):
    page = as_user("mona").post(reverse("review:audit"), {"top": "0"})
    assert page.status_code == 200 and page.context["form"].errors["top"]
    assert not AuditReport.objects.exists()


def test_profitability_shows_cost_revenue_margin_and_the_flag(review, as_user):
    page = as_user("vera").get(reverse("review:profitability"))
    row, = page.context["rows"]
    # 1 delivery x 0.5 h x 40.00 = 20.00; revenue 400.00, margin 25 % = 100.00; limit 10 % = 10.00 < 20.00.
    assert (row.cost, row.revenue, row.margin, row.flagged) == (Decimal("20.00"), Decimal("400.00"),
                                                                 Decimal("100.00"), True)
    assert "costs too much" in page.text


def test_profitability_sorts_and_exports(review, as_user, users):
    c2_promise = promise(agreement(review["c2"]), "updates", "recurring", {"kind": "update", "every": "P30D"},
                         cost_hours=Decimal("1"))
    client = as_user("vera")
    by_cost = client.get(reverse("review:profitability"), {"sort": "-cost"}).context["rows"]
    # The period is 2 July 2024 – 1 July 2025; C2's agreement starts on 1 January 2025: 182 days // 30 days
    # = 6 times due x 1 h x 40.00 = 240.00, before C1's 20.00.
    assert [r.commitment for r in by_cost] == [c2_promise, review["on_time"]]
    ascending = client.get(reverse("review:profitability"), {"sort": "cost"}).context["rows"]
    assert [r.commitment for r in ascending] == [review["on_time"], c2_promise]
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("review:profitability"),
                                                       {"format": "csv", "sort": "cost"}).text)))
    assert [(r["Id"], r["Cost of keeping"], r["Flagged"]) for r in rows] == [("on-time", "20.00", "1"),
                                                                            ("updates", "240.00", "1")]
