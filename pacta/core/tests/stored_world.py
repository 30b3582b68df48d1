"""A stored world for the database-mode tests, and a small commitment type of
our own so that these tests exercise loading, storing and routing without
depending on the real types' semantics.

`OrderTest` ("test_orders"): one instance per `order` ref of the party, due
`due_days` after the order's date (a whole day); kept when a `delivery` with
the same ref is known, overdue after the due day, else open. An overdue order
carries `penalty` (paid by us, due). It records the specs it was given.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pacta.core.commitments.base import (
    REGISTRY,
    CommitmentType,
    InstanceResult,
    InstanceStatus,
    MoneyItem,
    MoneyKind,
    MoneyState,
    Params,
    make_result,
)
from pacta.core.models import Agreement, AgreementVersion, Commitment, CommitmentTerms, Party
from pacta.lib.dates import end_of_day, local_date


class OrderTestParams(Params):
    due_days: int = 7
    penalty: Decimal | None = None


class OrderTest(CommitmentType):
    name = "test_orders"
    label = "Test orders"
    help = "Orders are delivered within due_days (a test type)."
    Params = OrderTestParams
    reads = {"customer": ("order", "delivery"), "supplier": ("purchase_order", "receipt")}

    def __init__(self):
        self.seen = []

    def evaluate(self, spec, events, as_of):
        return self.evaluate_many([spec], events, as_of)[0]

    def evaluate_many(self, specs, events, as_of):
        # Set-based like the real types: one pass over the events, then plain Python per commitment.
        by_party = defaultdict(list)
        for row in events.select("party", "kind", "ref", "at", "date_only").iter_rows(named=True):
            by_party[row["party"]].append(row)
        return [self._judge(spec, by_party[spec.party], as_of) for spec in specs]

    def _judge(self, spec, rows, as_of):
        self.seen.append(spec)
        params = spec.terms.params
        today = local_date(as_of, False, spec.timezone)
        delivered = {r["ref"]: r["at"] for r in rows if r["kind"] == "delivery"}
        orders = {}
        for r in rows:
            if r["kind"] == "order":
                orders.setdefault(r["ref"], r)
        instances = []
        for ref, r in orders.items():
            due = local_date(r["at"], r["date_only"], spec.timezone) + dt.timedelta(days=params.due_days)
            if ref in delivered:
                inst = InstanceResult(ref, InstanceStatus.KEPT, due=due, done=delivered[ref], days_late=0,
                                      explanation=f"{ref} delivered")
            elif today > due:
                money = [MoneyItem(MoneyKind.PENALTY, params.penalty, spec.currency, "us", MoneyState.DUE)] \
                    if params.penalty else []
                inst = InstanceResult(ref, InstanceStatus.OVERDUE, due=due, days_late=(today - due).days,
                                      money=money, explanation=f"{ref} not delivered")
            else:
                inst = InstanceResult(ref, InstanceStatus.OPEN, due=due, explanation=f"{ref} due")
            instances.append(inst)
        open_dues = [i.due for i in instances if i.status == InstanceStatus.OPEN]
        next_check = end_of_day(min(open_dues), spec.timezone) if open_dues else None
        return make_result(spec, instances, f"{len(instances)} orders", next_check_at=next_check)


@pytest.fixture
def order_type():
    """The test type, registered for the duration of a test."""
    ctype = OrderTest()
    REGISTRY[ctype.name] = ctype
    yield ctype
    del REGISTRY[ctype.name]


def make_party(code: str = "ALFKI", **fields) -> Party:
    return Party.objects.create(code=code, name=fields.pop("name", code), **fields)


def make_agreement(party: Party, commitments: dict[str, tuple[str, dict]] | None = None, *,
                   reference: str | None = None, status: str = Agreement.Status.IN_FORCE, role: str = "customer",
                   valid_from: dt.date = dt.date(2025, 1, 1)) -> Agreement:
    """An agreement with version 1 and commitments {key: (type, params)}."""
    agreement = Agreement.objects.create(
        reference=reference or f"{party.code}-2025", party=party, role=role, currency="EUR",
        timezone="Europe/Amsterdam", valid_from=valid_from, valid_to=dt.date(2025, 12, 31), status=status,
    )
    version = AgreementVersion.objects.create(agreement=agreement, number=1, effective_from=valid_from,
                                              summary="First version.")
    for key, (type_name, params) in (commitments or {}).items():
        add_commitment(agreement, version, key, type_name, params)
    return agreement


def add_commitment(agreement: Agreement, version: AgreementVersion, key: str, type_name: str, params: dict,
                   **terms) -> Commitment:
    commitment = Commitment.objects.create(agreement=agreement, key=key, type=type_name)
    CommitmentTerms.objects.create(commitment=commitment, version=version, title=terms.pop("title", key),
                                   params=params, **terms)
    return commitment


def amend(agreement: Agreement, number: int, effective_from: dt.date) -> AgreementVersion:
    return AgreementVersion.objects.create(agreement=agreement, number=number, effective_from=effective_from,
                                           summary=f"Version {number}.")


def run_command(*args: str) -> tuple[int, str, str]:
    """Run a management command in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code, err = exc.returncode, io.StringIO(str(exc))
    return code, out.getvalue(), err.getvalue()
