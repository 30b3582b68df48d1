"""Northwind as parties and events: the figures of SOURCE.md, idempotent, all or nothing."""

import shutil
import time
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
import pytest
from django.db.models import Sum

from pacta.core.models import Contact, Event, Party
from pacta.core.northwind import NORTHWIND_DIR, NorthwindError, event_frame, import_northwind, party_rows


@pytest.fixture(scope="module")
def frame():
    return event_frame(NORTHWIND_DIR)


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------
# the mapping, without a database


def test_there_is_one_order_event_per_order_line_of_830_orders(frame):
    orders = frame.filter(pl.col("kind") == "order")
    assert len(orders) == 2155  # SOURCE.md: 2155 order lines
    assert orders["ref"].n_unique() == 830


def test_each_of_the_809_shipped_orders_has_one_delivery_without_quantity(frame):
    deliveries = frame.filter(pl.col("kind") == "delivery")
    assert len(deliveries) == 809  # 830 orders - 21 not shipped
    assert deliveries["ref"].n_unique() == 809
    assert deliveries["quantity"].null_count() == 809


def test_37_of_the_809_shipped_orders_were_shipped_after_the_required_date(frame):
    due = frame.filter(pl.col("kind") == "order").group_by("ref").agg(pl.col("due").max())
    shipped = frame.filter(pl.col("kind") == "delivery").select("ref", "at").join(due, on="ref")
    assert len(shipped) == 809
    assert shipped.filter(pl.col("at") > pl.col("due")).height == 37


def test_the_total_merchandise_is_1_265_793_04(frame):
    orders = frame.filter(pl.col("kind") == "order")
    assert cents(orders["amount"].sum()) == Decimal("1265793.04")


def test_the_invoices_hold_the_shipped_merchandise_and_the_freight(frame):
    invoices = frame.filter(pl.col("kind") == "invoice")
    freight = invoices.filter(pl.col("product") == "freight")
    assert len(freight) == 809
    # SOURCE.md: freight of all 830 orders is 64,942.69; the unshipped ones' is not invoiced yet
    unshipped_refs = set(frame.filter(pl.col("kind") == "order")["ref"]) - set(freight["ref"])
    assert len(unshipped_refs) == 21
    lines = invoices.filter(pl.col("product") != "freight")
    orders = frame.filter(pl.col("kind") == "order")
    unshipped = orders.filter(pl.col("ref").is_in(list(unshipped_refs)))
    assert cents(lines["amount"].sum() + unshipped["amount"].sum()) == Decimal("1265793.04")


def test_an_order_line_carries_price_discount_list_price_and_due_date(frame):
    row = frame.filter(pl.col("id") == "o10250-51").row(0, named=True)
    # order_details: 10250,51,42.40,35,0.15; products: 51 lists at 53.00; required 1996-08-05
    assert (row["party"], row["ref"], row["product"]) == ("HANAR", "10250", "51")
    assert (row["quantity"], row["unit_price"], row["discount"], row["list_price"]) == (
        Decimal("35"), Decimal("42.40"), Decimal("0.15"), Decimal("53.00"))
    assert row["amount"] == Decimal("1261.40")  # 35 x 42.40 x 0.85
    assert row["due"].date().isoformat() == "1996-08-05"
    assert row["date_only"] and row["due_date_only"] and row["currency"] == "USD"


def test_an_invoice_is_dated_on_the_shipped_date_with_a_freight_line(frame):
    freight = frame.filter(pl.col("id") == "i10248-freight").row(0, named=True)
    line = frame.filter(pl.col("id") == "i10248-11").row(0, named=True)
    assert freight["at"].date().isoformat() == line["at"].date().isoformat() == "1996-07-16"
    assert freight["amount"] == Decimal("32.38")
    assert line["amount"] == Decimal("168.00")  # 12 x 14.00


def test_countries_become_iso_codes_with_language_and_time_zone():
    parties = {p.code: p.fields for p in party_rows(NORTHWIND_DIR)}
    assert (parties["ALFKI"]["country"], parties["ALFKI"]["language"], parties["ALFKI"]["timezone"]) == (
        "DE", "de", "Europe/Berlin")
    assert parties["AROUT"]["country"] == "GB"  # UK
    assert parties["SANTG"]["country"] == "NO" and parties["SANTG"]["language"] == "nb"
    assert (parties["WHITC"]["country"], parties["WHITC"]["timezone"]) == ("US", "America/Los_Angeles")
    assert parties["MEREP"]["language"] == "fr"  # Québec
    assert parties["S1"]["is_supplier"] and not parties["S1"]["is_customer"]
    assert len(parties) == 91 + 29


# ---------------------------------------------------------------------------
# into the register


@pytest.mark.django_db
def test_the_import_stores_parties_contacts_and_events_with_the_source_figures():
    summary = import_northwind()
    assert (summary.parties_created, summary.contacts_created) == (120, 120)
    # 2155 order lines + 809 deliveries + 2082 invoice lines (the 73 lines of
    # the 21 unshipped orders are not invoiced yet) + 809 freight lines
    assert summary.events_created == 2155 + 809 + 2082 + 809
    assert Party.objects.filter(is_customer=True).count() == 91
    assert Party.objects.filter(is_supplier=True, code__startswith="S").count() == 29
    assert Contact.objects.get(party__code="ALFKI").name == "Maria Anders"
    events = Event.objects.filter(source="northwind")
    assert events.filter(kind="order").values("ref").distinct().count() == 830
    assert events.filter(kind="delivery").count() == 809
    merchandise = events.filter(kind="order").aggregate(total=Sum("amount"))["total"]
    assert cents(merchandise) == Decimal("1265793.04")


@pytest.mark.django_db
def test_exactly_37_stored_orders_were_shipped_late():
    import_northwind()
    due = {}
    for ref, when in Event.objects.filter(source="northwind", kind="order").values_list("ref", "due"):
        due[ref] = max(due.get(ref, when), when)
    shipped = dict(Event.objects.filter(source="northwind", kind="delivery").values_list("ref", "at"))
    assert len(shipped) == 809
    assert sum(1 for ref, at in shipped.items() if at > due[ref]) == 37


@pytest.mark.django_db
def test_importing_twice_changes_nothing():
    import_northwind()
    count = Event.objects.count()
    summary = import_northwind()
    assert summary.events_created == 0
    assert summary.events_unchanged == count
    assert (summary.parties_created, summary.parties_updated, summary.contacts_created) == (0, 0, 0)
    assert summary.parties_unchanged == 120
    assert Event.objects.count() == count
    assert Party.objects.count() == 120


@pytest.mark.django_db
def test_a_changed_source_updates_the_party_and_keeps_our_point_of_contact(users, tmp_path):
    import_northwind()
    party = Party.objects.get(code="ALFKI")
    party.spoc = users["olav"]
    party.save()
    directory = tmp_path / "northwind"
    shutil.copytree(NORTHWIND_DIR, directory)
    customers = directory / "customers.csv"
    customers.write_text(customers.read_text(encoding="utf-8").replace("030-0074321", "030-1111111"), encoding="utf-8")
    summary = import_northwind(directory)
    assert (summary.parties_updated, summary.events_created) == (1, 0)
    party.refresh_from_db()
    assert (party.phone, party.spoc) == ("030-1111111", users["olav"])


@pytest.mark.django_db
def test_nothing_is_stored_when_a_file_is_missing(tmp_path):
    directory = tmp_path / "northwind"
    shutil.copytree(NORTHWIND_DIR, directory)
    (directory / "order_details.csv").unlink()
    with pytest.raises(NorthwindError):
        import_northwind(directory)
    assert not Party.objects.exists()


@pytest.mark.django_db
def test_nothing_is_stored_when_the_events_are_refused(tmp_path):
    directory = tmp_path / "northwind"
    shutil.copytree(NORTHWIND_DIR, directory)
    orders = directory / "orders.csv"
    # an order of a customer that is not in customers.csv
    orders.write_text(orders.read_text(encoding="utf-8").replace("10248,VINET", "10248,NOONE"), encoding="utf-8")
    from pacta.core.imports import ImportErrors

    with pytest.raises(ImportErrors) as exc:
        import_northwind(directory)
    assert "NOONE" in str(exc.value)
    assert not Party.objects.exists()
    assert not Event.objects.exists()
