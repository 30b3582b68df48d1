"""`pacta demo --no-serve`: Northwind and the example agreements, loaded once, evaluated, with a login."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from pacta.core.actions.register import do_create_party
from pacta.core.demo import DEMO_AS_OF
from pacta.core.models import (
    Agreement,
    AgreementVersion,
    Commitment,
    Contact,
    Event,
    GlossaryTerm,
    NegotiationNote,
    Party,
)

pytestmark = pytest.mark.django_db

# Northwind's ten largest customers by merchandise value (order lines after discount).
TOP_TEN = {"QUICK", "ERNSH", "SAVEA", "RATTC", "HUNGO", "HANAR", "KOENE", "FOLKO", "MEREP", "WHITC"}


def run_demo(*extra) -> str:
    out = io.StringIO()
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        call_command("demo", "--no-serve", *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def printed_login(output: str) -> tuple[str, str]:
    match = re.search(r"Log in at http://127\.0\.0\.1:8000 as (\S+) with the password (\S+)", output)
    assert match, output
    return match.group(1), match.group(2)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Party, Contact, Event, Agreement, AgreementVersion, Commitment, GlossaryTerm, NegotiationNote)}


def test_the_demo_loads_northwind_and_ten_agreements_and_prints_a_working_login():
    output = run_demo()
    assert Party.objects.count() == 91 + 29
    assert Event.objects.filter(source="northwind").count() == 5855
    assert Agreement.objects.filter(role="customer").count() == 10
    assert Agreement.objects.filter(role="supplier").count() == 2  # the coverage examples
    username, password = printed_login(output)
    assert username == "demo"
    user = authenticate(username="demo", password=password)
    assert user is not None and user.is_manager
    assert authenticate(username="nancy", password=password) is not None  # the members share it
    assert "examples written for the demo" in output


def test_a_second_run_reuses_the_data_and_doubles_nothing():
    run_demo()
    first = counts()
    output = run_demo()
    assert "reusing it" in output
    assert counts() == first
    # the password is new on every run, and it works
    username, password = printed_login(output)
    assert authenticate(username=username, password=password) is not None


def test_the_demo_refuses_a_database_holding_other_data():
    do_create_party(acting_user=None, code="ACME", name="Acme Corporation")
    with pytest.raises(CommandError, match="not pacta's demo"):
        run_demo()
    assert not Agreement.objects.exists()


def test_the_agreements_are_with_northwinds_ten_largest_customers():
    run_demo()
    revenue = (Event.objects.filter(source="northwind", kind="order").values("party__code")
               .annotate(total=Sum("amount")).order_by("-total"))
    largest = {row["party__code"] for row in revenue[:10]}
    assert largest == TOP_TEN
    assert set(Agreement.objects.filter(role="customer").values_list("party__code", flat=True)) == TOP_TEN
    # QUICK-Stop leads with 110,277.30 of merchandise
    assert revenue[0]["party__code"] == "QUICK"
    assert revenue[0]["total"].quantize(Decimal("0.01")) == Decimal("110277.30")


def test_the_demo_shows_amendments_glossaries_notes_owners_and_points_of_contact():
    run_demo()
    amended = {a.reference for a in Agreement.objects.all() if a.versions.count() == 2}
    assert amended == {"QUICK-1996", "HUNGO-1996", "FOLKO-1996", "WHITC-1996"}
    assert GlossaryTerm.objects.values("agreement").distinct().count() == 10
    assert NegotiationNote.objects.count() >= 2
    quick = Agreement.objects.select_related("party", "owner", "deputy").get(reference="QUICK-1996")
    assert (quick.owner.username, quick.deputy.username) == ("andrew", "janet")
    assert (quick.party.spoc, quick.party.deputy) == (quick.owner, quick.deputy)
    types = set(Commitment.objects.values_list("type", flat=True))
    assert {"on_time_delivery", "volume_rebate", "agreed_price", "conditional_price", "notice_before_delivery",
            "recurring", "delivery_window"} <= types
    updates = Commitment.objects.get(agreement=quick, key="status-updates").current_terms()
    assert updates.params == {"kind": "update", "every": "P14D", "warn_before": "P3D"}


def test_every_commitment_is_evaluated_as_of_the_end_of_northwinds_data():
    run_demo()
    assert DEMO_AS_OF == dt.datetime(1998, 5, 6, 21, 59, 59, 999999, tzinfo=dt.UTC)  # 23:59:59.999999 CEST
    assert set(Commitment.objects.values_list("as_of", flat=True)) == {DEMO_AS_OF}
    # QUICK-Stop: 28 orders from 1996-08-05 on, two of them shipped after the required date
    on_time = Commitment.objects.get(agreement__reference="QUICK-1996", key="on-time")
    assert on_time.counts["kept"] + on_time.counts["kept_late"] == 28
    assert on_time.counts["kept_late"] == 2
    assert on_time.status == "broken"
