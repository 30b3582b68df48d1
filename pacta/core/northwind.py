"""Northwind (Microsoft's sample database) as pacta parties and events.

`import_northwind(directory)` reads the CSV files of `pacta/demo/northwind/`
(see its SOURCE.md) and writes, through the register's and the event
import's `do_*` functions, in one transaction:

- every customer as a customer party (code = `customer_id`, e.g. `ALFKI`) and
  every supplier as a supplier party (code = `S` + `supplier_id`, e.g. `S1`),
  with country (ISO code), language and time zone derived from the country
  (and the region where a country spans several zones), address, phone, and
  the contact person (name, title, phone);
- one `order` event per order line, id `o<order>-<product>`: product =
  Northwind's `product_id` (the ERP key; commitments name products by it),
  quantity, unit price, discount, `list_price` = `products.unit_price`,
  amount = quantity x unit price x (1 - discount), due = `required_date`;
- one `delivery` event per shipped order, id `d<order>`, on `shipped_date`,
  without quantities (it delivers the whole order);
- the invoice of each shipped order (Northwind's "Invoices" view: invoice =
  order), dated on the shipped date: one `invoice` line per order line, id
  `i<order>-<product>`, and one freight line, id `i<order>-freight`, product
  `freight`, amount = `orders.freight`.

Northwind has no currency: its prices are read as US dollars (`USD`), the
currency of its home market (Northwind Traders is in Seattle). Northwind has
no payments either, and none are invented: commitments on payments cannot be
judged on this data.

Every date is a whole day (`date_only`). The import is idempotent: events are
keyed by (`northwind`, id) and a second run finds them all; parties that exist
already are updated only where the source differs, and contacts are added
only when the party has nobody of that name yet.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.lib.dates import date_to_utc_midnight

NORTHWIND_DIR = Path(__file__).resolve().parent.parent / "demo" / "northwind"
SOURCE = "northwind"
CURRENCY = "USD"
FREIGHT = "freight"

# Northwind's country names -> (ISO 3166 code, ISO 639 language, main time zone).
COUNTRIES = {
    "Argentina": ("AR", "es", "America/Argentina/Buenos_Aires"),
    "Australia": ("AU", "en", "Australia/Sydney"),
    "Austria": ("AT", "de", "Europe/Vienna"),
    "Belgium": ("BE", "fr", "Europe/Brussels"),
    "Brazil": ("BR", "pt", "America/Sao_Paulo"),
    "Canada": ("CA", "en", "America/Toronto"),
    "Denmark": ("DK", "da", "Europe/Copenhagen"),
    "Finland": ("FI", "fi", "Europe/Helsinki"),
    "France": ("FR", "fr", "Europe/Paris"),
    "Germany": ("DE", "de", "Europe/Berlin"),
    "Ireland": ("IE", "en", "Europe/Dublin"),
    "Italy": ("IT", "it", "Europe/Rome"),
    "Japan": ("JP", "ja", "Asia/Tokyo"),
    "Mexico": ("MX", "es", "America/Mexico_City"),
    "Netherlands": ("NL", "nl", "Europe/Amsterdam"),
    "Norway": ("NO", "nb", "Europe/Oslo"),
    "Poland": ("PL", "pl", "Europe/Warsaw"),
    "Portugal": ("PT", "pt", "Europe/Lisbon"),
    "Singapore": ("SG", "en", "Asia/Singapore"),
    "Spain": ("ES", "es", "Europe/Madrid"),
    "Sweden": ("SE", "sv", "Europe/Stockholm"),
    "Switzerland": ("CH", "de", "Europe/Zurich"),
    "UK": ("GB", "en", "Europe/London"),
    "USA": ("US", "en", "America/New_York"),
    "Venezuela": ("VE", "es", "America/Caracas"),
}

# Regions whose time zone or language differs from the country's main one.
REGIONS = {
    ("USA", "AK"): ("America/Anchorage", None),
    ("USA", "CA"): ("America/Los_Angeles", None),
    ("USA", "ID"): ("America/Boise", None),
    ("USA", "LA"): ("America/Chicago", None),
    ("USA", "MT"): ("America/Denver", None),
    ("USA", "NM"): ("America/Denver", None),
    ("USA", "OR"): ("America/Los_Angeles", None),
    ("USA", "WA"): ("America/Los_Angeles", None),
    ("USA", "WY"): ("America/Denver", None),
    ("Canada", "BC"): ("America/Vancouver", None),
    ("Canada", "Québec"): ("America/Toronto", "fr"),
    ("Australia", "Victoria"): ("Australia/Melbourne", None),
}


class NorthwindError(ValueError):
    """The directory does not hold a readable Northwind export."""


@dataclass
class NorthwindSummary:
    """What one import did."""

    parties_created: int = 0
    parties_updated: int = 0
    parties_unchanged: int = 0
    contacts_created: int = 0
    events_created: int = 0
    events_unchanged: int = 0

    def __str__(self) -> str:
        return _(
            "Parties: %(created)s created, %(updated)s updated, %(unchanged)s unchanged; contacts: %(contacts)s "
            "created; events: %(events)s created, %(events_unchanged)s unchanged."
        ) % {"created": self.parties_created, "updated": self.parties_updated, "unchanged": self.parties_unchanged,
             "contacts": self.contacts_created, "events": self.events_created,
             "events_unchanged": self.events_unchanged}


# ---------------------------------------------------------------------------
# reading the files


def read_table(directory: Path | str, name: str) -> list[dict[str, str]]:
    """The rows of `<name>.csv` as dicts of strings (empty string = SQL NULL)."""
    path = Path(directory) / f"{name}.csv"
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        raise NorthwindError(_("%(path)s is missing: expected a Northwind export (see pacta/demo/northwind/SOURCE.md).")
                             % {"path": path}) from None


def _locale_of(country: str, region: str) -> tuple[str, str, str]:
    """(ISO country code, language, time zone) of a Northwind address."""
    try:
        iso, language, timezone = COUNTRIES[country]
    except KeyError:
        raise NorthwindError(_("Unknown country %(country)s: add it to pacta.core.northwind.COUNTRIES.")
                             % {"country": country}) from None
    region_tz, region_language = REGIONS.get((country, region), (None, None))
    return iso, region_language or language, region_tz or timezone


def supplier_code(supplier_id: str | int) -> str:
    """The party code of a Northwind supplier: `S` + its id (suppliers have numeric ids)."""
    return f"S{supplier_id}"


@dataclass(frozen=True)
class PartyRow:
    """A party as the source describes it, with its contact person."""

    code: str
    fields: dict
    contact: dict | None


def _party_row(row: dict[str, str], code: str, *, supplier: bool) -> PartyRow:
    country, language, timezone = _locale_of(row["country"], row["region"])
    fields = {
        "name": row["company_name"],
        "is_customer": not supplier,
        "is_supplier": supplier,
        "country": country,
        "language": language,
        "timezone": timezone,
        "address": row["address"],
        "postal_code": row["postal_code"],
        "city": row["city"],
        "phone": row["phone"],
    }
    contact = None
    if row["contact_name"]:
        contact = {"name": row["contact_name"], "title": row["contact_title"], "phone": row["phone"]}
    return PartyRow(code, fields, contact)


def party_rows(directory: Path | str) -> list[PartyRow]:
    """Customers, then suppliers, as parties."""
    customers = [_party_row(r, r["customer_id"], supplier=False) for r in read_table(directory, "customers")]
    suppliers = [_party_row(r, supplier_code(r["supplier_id"]), supplier=True) for r in read_table(directory, "suppliers")]
    return customers + suppliers


def _day(value: str) -> dt.datetime | None:
    return date_to_utc_midnight(dt.date.fromisoformat(value)) if value else None


def event_frame(directory: Path | str) -> pl.DataFrame:
    """Northwind's orders as pacta events (columns of EVENT_SCHEMA), in a stable order."""
    orders = {r["order_id"]: r for r in read_table(directory, "orders")}
    list_prices = {r["product_id"]: Decimal(r["unit_price"]) for r in read_table(directory, "products")}
    lines_by_order: dict[str, list[dict[str, str]]] = {}
    for line in read_table(directory, "order_details"):
        lines_by_order.setdefault(line["order_id"], []).append(line)

    rows: list[dict] = []

    def add(kind: str, id_: str, order: dict[str, str], at: dt.datetime, **facts) -> None:
        rows.append({
            "source": SOURCE, "id": id_, "kind": kind, "party": order["customer_id"], "at": at,
            "date_only": True, "ref": order["order_id"], "currency": CURRENCY,
            "due_date_only": facts.get("due") is not None, "force_majeure": False, **facts,
        })

    for order_id, order in orders.items():
        ordered, shipped = _day(order["order_date"]), _day(order["shipped_date"])
        lines = lines_by_order.get(order_id, [])
        for line in lines:
            facts = _line_facts(line, list_prices)
            add("order", f"o{order_id}-{line['product_id']}", order, ordered, due=_day(order["required_date"]), **facts)
        if shipped is None:
            continue
        add("delivery", f"d{order_id}", order, shipped)
        for line in lines:
            add("invoice", f"i{order_id}-{line['product_id']}", order, shipped, **_line_facts(line, list_prices))
        add("invoice", f"i{order_id}-{FREIGHT}", order, shipped, product=FREIGHT, amount=Decimal(order["freight"]))
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def _line_facts(line: dict[str, str], list_prices: dict[str, Decimal]) -> dict:
    quantity, unit_price, discount = Decimal(line["quantity"]), Decimal(line["unit_price"]), Decimal(line["discount"])
    return {
        "product": line["product_id"],
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": discount,
        "list_price": list_prices[line["product_id"]],
        "amount": quantity * unit_price * (1 - discount),
    }


# ---------------------------------------------------------------------------
# writing


def _save_parties(rows: list[PartyRow], summary: NorthwindSummary) -> None:
    from pacta.core.actions.register import do_create_party, do_save_contact, do_update_party
    from pacta.core.models import Party

    existing = {p.code: p for p in Party.objects.filter(code__in=[r.code for r in rows]).prefetch_related("contacts")}
    for row in rows:
        party = existing.get(row.code)
        if party is None:
            party = do_create_party(acting_user=None, code=row.code, **row.fields)
            summary.parties_created += 1
            known_contacts: set[str] = set()
        else:
            changed = {k: v for k, v in row.fields.items() if getattr(party, k) != v}
            # A party can be both: the source adds a role, it never takes one away.
            for role in ("is_customer", "is_supplier"):
                if changed.get(role) is False:
                    del changed[role]
            if changed:
                do_update_party(party, acting_user=None, **changed)
                summary.parties_updated += 1
            else:
                summary.parties_unchanged += 1
            known_contacts = {c.name for c in party.contacts.all()}
        if row.contact and row.contact["name"] not in known_contacts:
            do_save_contact(party, acting_user=None, **row.contact)
            summary.contacts_created += 1


@transaction.atomic
def import_northwind(directory: Path | str | None = None, *, progress=None) -> NorthwindSummary:
    """Import Northwind's customers, suppliers, orders, deliveries and invoices.

    All or nothing; running it again changes nothing. `progress` is passed on
    to the event import. Raises NorthwindError when a file is missing.
    """
    from pacta.core.actions.events import do_import_events

    directory = Path(directory) if directory is not None else NORTHWIND_DIR
    summary = NorthwindSummary()
    rows = party_rows(directory)
    frame = event_frame(directory)
    _save_parties(rows, summary)
    batch = do_import_events(frame, source=SOURCE, filename=str(directory), acting_user=None, progress=progress)
    summary.events_created = batch.created
    summary.events_unchanged = batch.unchanged
    return summary
