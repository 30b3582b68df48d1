"""The demo: Northwind's data, example agreements, users, an evaluation.

`load_demo()` fills an empty database with Northwind's customers, suppliers,
orders, deliveries and invoices (`pacta.core.northwind`), the example
agreements of `pacta/demo/agreements.yaml` (written for the demo; the parties
and facts are Northwind's), and demo users: the manager `demo` and Northwind's
employees as members (`nancy`, `andrew`, ...), who own and deputise the
agreements. A database that already holds the demo is reused as it is; a
database holding anything else is refused, so that the demo never mixes its
examples (or its known logins) into real data.

Everything is judged as of `DEMO_AS_OF`: the end of 1998-05-06, Northwind's
last day, at the moment the day ends in the demo's easternmost time zone, so
that it is still 1998-05-06 for every agreement.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.northwind import NORTHWIND_DIR, read_table
from pacta.lib.dates import UTC, end_of_day

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
AGREEMENTS_FILE = DEMO_DIR / "agreements.yaml"
SUPPLIER_AGREEMENTS_FILE = DEMO_DIR / "supplier_agreements.yaml"
DEMO_USERNAME = "demo"
LAST_DAY = dt.date(1998, 5, 6)
# Europe/Berlin (and the other CEST zones of the demo) ends 1998-05-06 first.
DEMO_AS_OF = end_of_day(LAST_DAY, "Europe/Berlin").astimezone(UTC)
EMAIL_DOMAIN = "northwind.example"


class DemoError(Exception):
    """The database holds data that is not the demo's."""


@dataclass
class DemoResult:
    """What `load_demo` did and the login to print."""

    loaded: bool
    username: str
    password: str
    members: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)


def _is_empty() -> bool:
    from pacta.core.models import Agreement, Event, Party

    return not (Party.objects.exists() or Agreement.objects.exists() or Event.objects.exists())


def _is_demo() -> bool:
    """The database holds the demo: Northwind's events and the demo's agreements
    (and whatever was added while trying it out)."""
    from pacta.core.imports import parse_agreements
    from pacta.core.models import Agreement, Event

    references = {d.id for d in parse_agreements(AGREEMENTS_FILE.read_text(encoding="utf-8"), AGREEMENTS_FILE.name)}
    stored = set(Agreement.objects.filter(reference__in=references).values_list("reference", flat=True))
    return stored == references and Event.objects.filter(source="northwind").exists()


def _ensure_users(password: str) -> list[str]:
    """The manager `demo` and Northwind's employees as members, all with `password`."""
    from pacta.accounts.models import Role

    User = get_user_model()
    people = [(DEMO_USERNAME, "Demo", "Manager", Role.MANAGER)] + [
        (row["first_name"].lower(), row["first_name"], row["last_name"], Role.MEMBER)
        for row in read_table(NORTHWIND_DIR, "employees")
    ]
    hashed = make_password(password)  # hashed once: the demo users share the printed password
    for username, first, last, role in people:
        user, _created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "role": role, "email": f"{username}@{EMAIL_DOMAIN}"},
        )
        user.password = hashed
        user.save(update_fields=["password"])
    return [username for username, *_rest in people[1:]]


def _points_of_contact() -> None:
    """Each demo party's point of contact and deputy are its agreement's owner and deputy."""
    from pacta.core.actions.register import do_update_party
    from pacta.core.models import Agreement

    for agreement in Agreement.objects.select_related("party"):
        party = agreement.party
        if (party.spoc_id, party.deputy_id) != (agreement.owner_id, agreement.deputy_id):
            do_update_party(party, acting_user=None, spoc=agreement.owner, deputy=agreement.deputy)


@transaction.atomic
def _load(password: str, progress) -> tuple[list[str], list[str]]:
    from pacta.core.agreement_files import import_agreements_file
    from pacta.core.catalog import import_northwind_products
    from pacta.core.northwind import import_northwind

    members = _ensure_users(password)  # first: the agreements name them
    northwind = import_northwind(NORTHWIND_DIR, progress=progress)
    products = import_northwind_products(NORTHWIND_DIR)  # products and their suppliers, for coverage
    agreements = import_agreements_file(AGREEMENTS_FILE)
    suppliers = import_agreements_file(SUPPLIER_AGREEMENTS_FILE)
    _points_of_contact()
    return members, [str(northwind), str(products), str(agreements), str(suppliers)]


def load_demo(*, password: str | None = None, progress=None) -> DemoResult:
    """Load the demo into an empty database, or reuse the demo a database
    holds; give the demo users `password` (default: a new random one).
    Raises DemoError on a database with other data."""
    password = password or secrets.token_urlsafe(9)
    if _is_empty():
        members, summaries = _load(password, progress)
        return DemoResult(loaded=True, username=DEMO_USERNAME, password=password, members=members,
                          summaries=summaries)
    if _is_demo():
        members = _ensure_users(password)
        return DemoResult(loaded=False, username=DEMO_USERNAME, password=password, members=members)
    raise DemoError(_(
        "This database holds data that is not pacta's demo; the demo only loads into an empty database. "
        "Point DATABASE_URL or PACTA_VAR_DIR at another one."))


def evaluate_demo(*, progress=None):
    """Evaluate every commitment as of `DEMO_AS_OF`, store the verdicts and turn the
    recent deviations into actions, as one watcher pass would (the alerts stay
    queued: the demo sends no mail); return the evaluation's summary."""
    from pacta.core.evaluation import evaluate_and_store
    from pacta.core.watch import process_deviations

    summary = evaluate_and_store(as_of=DEMO_AS_OF, progress=progress)
    while process_deviations(DEMO_AS_OF):
        pass
    return summary
