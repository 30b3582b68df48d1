"""The product catalogue: which products we buy in, from which supplier, how long they take.

Coverage (pacta.core.coverage) needs to know, for a product a customer buys
from us, who supplies it and the supplier's usual lead time. Two sources:

- `import_northwind_products(directory)`: Northwind's `products.csv` (the
  demo's folder `pacta/demo/northwind/` by default). Code = `product_id` (as
  in the events' product column), name, list price (`unit_price`, US
  dollars), discontinued, and the supplier party `S<supplier_id>` that
  `pacta.core.northwind.import_northwind` creates: run that first. Northwind
  has no lead times: they stay empty (or as a person set them).
- `import_vendor_lead_times(directory)`: AdventureWorks' purchasing tables
  (`pacta/demo/adventureworks/`, see its SOURCE.md): every product of
  `product_vendor.csv` becomes a product (code = its `ProductNumber`, e.g.
  `AR-5381`) with its vendor's `AverageLeadTime` as the supplier's lead time,
  and that vendor a supplier party (code = its `AccountNumber`, e.g.
  `WESTJUN0001`). A product sold by several vendors takes the one we
  would order from: an active vendor before an inactive one, a preferred one
  before the others, then the shortest lead time, then the lowest id. A list
  price of 0 (parts that are not sold) is no list price.

Both are idempotent: a second run changes nothing; a product is updated only
where the source differs, and our own handling days are never touched. The
writes go through `pacta.core.actions.review.do_save_products` (audited).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.northwind import CURRENCY as NORTHWIND_CURRENCY
from pacta.core.northwind import NORTHWIND_DIR, read_table, supplier_code

ADVENTUREWORKS_DIR = Path(__file__).resolve().parent.parent / "demo" / "adventureworks"
ADVENTUREWORKS_CURRENCY = "USD"  # AdventureWorks Cycles sells in US dollars


class CatalogError(ValueError):
    """A catalogue file is missing or unreadable."""


@dataclass(frozen=True)
class ProductRow:
    """A product as a source describes it; `supplier` is a party code (or empty)."""

    code: str
    name: str
    supplier: str = ""
    supplier_lead_days: int | None = None
    list_price: Decimal | None = None
    currency: str = ""
    discontinued: bool = False


@dataclass
class CatalogSummary:
    """What one catalogue import did."""

    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    suppliers_created: int = 0
    # Supplier codes the source names that are no party (the product is saved without a supplier).
    suppliers_missing: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = _("Products: %(created)s created, %(updated)s updated, %(unchanged)s unchanged; "
                 "supplier parties created: %(suppliers)s.") % {
            "created": self.products_created, "updated": self.products_updated,
            "unchanged": self.products_unchanged, "suppliers": self.suppliers_created}
        if self.suppliers_missing:
            text += " " + _("No party for the suppliers %(codes)s: import them first.") % {
                "codes": ", ".join(sorted(set(self.suppliers_missing)))}
        return text


def _read_csv(directory: Path, name: str) -> list[dict[str, str]]:
    path = directory / name
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        raise CatalogError(_("%(path)s is missing.") % {"path": path}) from None


# ---------------------------------------------------------------------------
# Northwind


def northwind_product_rows(directory: Path | str | None = None) -> list[ProductRow]:
    """Northwind's products with their supplier party's code."""
    directory = Path(directory) if directory is not None else NORTHWIND_DIR
    return [
        ProductRow(
            code=row["product_id"], name=row["product_name"],
            supplier=supplier_code(row["supplier_id"]) if row["supplier_id"] else "",
            list_price=Decimal(row["unit_price"]) if row["unit_price"] else None,
            currency=NORTHWIND_CURRENCY, discontinued=row["discontinued"] == "1",
        )
        for row in read_table(directory, "products")
    ]


def import_northwind_products(directory: Path | str | None = None, *, acting_user=None) -> CatalogSummary:
    """Import Northwind's products (run after `import_northwind`, which creates the supplier parties)."""
    from pacta.core.actions.review import do_save_products

    return do_save_products(northwind_product_rows(directory), acting_user=acting_user)


# ---------------------------------------------------------------------------
# AdventureWorks


@dataclass(frozen=True)
class Vendor:
    code: str
    name: str
    active: bool
    preferred: bool


def _vendors(directory: Path) -> dict[str, Vendor]:
    return {
        row["BusinessEntityID"]: Vendor(code=row["AccountNumber"], name=row["Name"], active=row["ActiveFlag"] == "1",
                                        preferred=row["PreferredVendorStatus"] == "1")
        for row in _read_csv(directory, "vendor.csv")
    }


def _chosen_offers(offers: list[dict[str, str]], vendors: dict[str, Vendor]) -> dict[str, dict[str, str]]:
    """Per product id, the vendor offer we would order from (see the module docstring)."""
    def rank(offer: dict[str, str]) -> tuple:
        vendor = vendors[offer["BusinessEntityID"]]
        return (not vendor.active, not vendor.preferred, int(offer["AverageLeadTime"]),
                int(offer["BusinessEntityID"]))

    chosen: dict[str, dict[str, str]] = {}
    for offer in offers:
        current = chosen.get(offer["ProductID"])
        if current is None or rank(offer) < rank(current):
            chosen[offer["ProductID"]] = offer
    return chosen


def _list_price(text: str) -> Decimal | None:
    price = Decimal(text) if text else Decimal(0)
    return price if price > 0 else None


def vendor_rows(directory: Path | str | None = None) -> tuple[list[Vendor], list[ProductRow]]:
    """AdventureWorks' vendors that supply a product, and those products with their chosen vendor's lead time."""
    directory = Path(directory) if directory is not None else ADVENTUREWORKS_DIR
    vendors = _vendors(directory)
    products = {row["ProductID"]: row for row in _read_csv(directory, "product.csv")}
    offers = _read_csv(directory, "product_vendor.csv")
    unknown = sorted({o["BusinessEntityID"] for o in offers} - set(vendors))
    if unknown:
        raise CatalogError(_("product_vendor.csv names vendors that vendor.csv lacks: %(ids)s")
                           % {"ids": ", ".join(unknown)})
    rows = []
    for product_id, offer in sorted(_chosen_offers(offers, vendors).items(), key=lambda item: int(item[0])):
        product = products.get(product_id)
        if product is None:
            raise CatalogError(_("product_vendor.csv names product %(id)s that product.csv lacks.") % {"id": product_id})
        rows.append(ProductRow(
            code=product["ProductNumber"], name=product["Name"], supplier=vendors[offer["BusinessEntityID"]].code,
            supplier_lead_days=int(offer["AverageLeadTime"]), list_price=_list_price(product["ListPrice"]),
            currency=ADVENTUREWORKS_CURRENCY,
            discontinued=bool(product["DiscontinuedDate"] or product["SellEndDate"]),
        ))
    supplying = {row.supplier for row in rows}
    return [v for v in vendors.values() if v.code in supplying], rows


@transaction.atomic
def import_vendor_lead_times(directory: Path | str | None = None, *, acting_user=None) -> CatalogSummary:
    """Import AdventureWorks' vendors (as supplier parties) and their products with average lead times."""
    from pacta.core.actions.review import do_save_products, do_save_suppliers

    vendors, rows = vendor_rows(directory)
    created = do_save_suppliers([(v.code, v.name) for v in vendors], acting_user=acting_user)
    summary = do_save_products(rows, acting_user=acting_user)
    summary.suppliers_created = created
    return summary
