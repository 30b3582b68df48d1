"""The product catalogue: Northwind's products with their supplier, AdventureWorks' vendor lead times."""

from decimal import Decimal

import pytest

from pacta.core.catalog import CatalogError, import_northwind_products, import_vendor_lead_times
from pacta.core.models import AuditEntry, Party, Product

from .review_world import party

NORTHWIND_PRODUCTS = """product_id,product_name,supplier_id,category_id,quantity_per_unit,unit_price,units_in_stock,units_on_order,reorder_level,discontinued
1,Chai,8,1,10 boxes x 30 bags,18.00,39,0,10,1
34,Sasquatch Ale,16,1,24 - 12 oz bottles,14.00,111,0,15,0
99,Orphan,42,1,1 box,3.50,0,0,0,0
"""


@pytest.fixture
def northwind_dir(tmp_path, db):
    (tmp_path / "products.csv").write_text(NORTHWIND_PRODUCTS, encoding="utf-8")
    party("S8", supplier=True)
    party("S16", supplier=True)
    return tmp_path


def test_northwind_products_come_with_their_supplier_party_and_list_price(northwind_dir):
    summary = import_northwind_products(northwind_dir)
    chai, ale = Product.objects.get(code="1"), Product.objects.get(code="34")
    assert (chai.name, chai.supplier.code, chai.list_price, chai.currency, chai.discontinued) == (
        "Chai", "S8", Decimal("18.00"), "USD", True)
    assert (ale.supplier.code, ale.discontinued, ale.supplier_lead_days) == ("S16", False, None)
    # Supplier 42 is no party: the product is kept without a supplier, and the summary says so.
    assert Product.objects.get(code="99").supplier is None
    assert (summary.products_created, summary.suppliers_missing) == (3, ["S42"])
    assert "S42" in str(summary)


def test_a_second_import_changes_nothing_and_keeps_our_handling_days(northwind_dir):
    import_northwind_products(northwind_dir)
    Product.objects.filter(code="34").update(handling_days=2)
    summary = import_northwind_products(northwind_dir)
    assert (summary.products_created, summary.products_updated, summary.products_unchanged) == (0, 0, 3)
    assert Product.objects.get(code="34").handling_days == 2
    assert AuditEntry.objects.filter(action="create_product").count() == 3


def test_a_changed_source_updates_only_what_changed(northwind_dir):
    import_northwind_products(northwind_dir)
    (northwind_dir / "products.csv").write_text(NORTHWIND_PRODUCTS.replace("14.00", "15.00"), encoding="utf-8")
    summary = import_northwind_products(northwind_dir)
    assert (summary.products_updated, summary.products_unchanged) == (1, 2)
    assert Product.objects.get(code="34").list_price == Decimal("15.00")
    entry = AuditEntry.objects.get(action="change_product")
    assert entry.changes == {"list_price": ["14.0000", "15.00"]}


def test_vendors_become_supplier_parties_and_products_take_the_vendor_we_would_order_from(db):
    summary = import_vendor_lead_times()
    # product_vendor.csv offers 265 products from 86 vendors; 61 of those vendors are the one we would
    # order from for at least one product (counted with a separate script over the CSV files), and
    # only they become parties.
    assert (summary.suppliers_created, summary.products_created) == (61, 265)
    assert Party.objects.filter(is_supplier=True, is_customer=False).count() == 61
    # HL Crankarm (319): West Junction (active, preferred, 19 days) before Vision Cycles (active, 19 days)
    # and Proseware (inactive, 17 days).
    crankarm = Product.objects.select_related("supplier").get(code="CA-7457")
    assert (crankarm.supplier.code, crankarm.supplier.name, crankarm.supplier_lead_days) == (
        "WESTJUN0001", "West Junction Cycles", 19)
    # LL Crankarm (317): Vision Cycles, active though not preferred, beats the inactive Proseware's 17 days.
    assert Product.objects.get(code="CA-5965").supplier.code == "VISIONC0001"
    # A part that is not sold (list price 0) has no list price; the helmet HL-U509-R (707) sells at 34.99
    # and its only vendor (1520) needs 30 days.
    assert Product.objects.get(code="AR-5381").list_price is None
    helmet = Product.objects.get(code="HL-U509-R")
    assert (helmet.list_price, helmet.supplier_lead_days, helmet.currency) == (Decimal("34.99"), 30, "USD")


def test_an_existing_party_gets_the_supplier_role_and_keeps_its_name(db):
    party("WESTJUN0001", name="West Junction (our customer)")
    import_vendor_lead_times()
    westjun = Party.objects.get(code="WESTJUN0001")
    assert (westjun.name, westjun.is_customer, westjun.is_supplier) == ("West Junction (our customer)", True, True)


def test_a_missing_file_is_named(tmp_path, db):
    with pytest.raises(CatalogError, match="vendor.csv"):
        import_vendor_lead_times(tmp_path)
