"""Upgrade without loss: a first-release database, with data in it, migrates to the latest schema.

The test database is migrated back to the first release's state (the initial
migrations), filled with the models as they were then (migration_world.py),
migrated forward to whatever is latest (`graph.leaf_nodes()`, so a new
migration is covered the day it is added), and every row is compared with what
was written: no table, row or value lost, and the columns added since hold their
defaults. The same with a committed dump of a first-release database
(data/first_release.json). Then back again as far as the migrations can be
undone, and forward once more.

These tests change the schema of the test database, so they run in
transactional tests and always migrate it back to the latest afterwards
(`latest_afterwards`): the rest of the suite finds it as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

from pacta.core.tests.migration_world import (
    FIRST_RELEASE,
    OURS,
    PASSWORD,
    WATCH_AND_ACT,
    at,
    differences,
    is_reversible,
    latest_nodes,
    load_dump,
    migrate,
    new_column_surprises,
    reversal_targets,
    seed_first_release,
    seed_watch_and_act,
    snapshot,
)

DUMP = Path(__file__).parent / "data" / "first_release.json"
OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


@pytest.fixture
def latest_afterwards(transactional_db):
    """Whatever the test does to the schema, the database is at the latest migrations afterwards."""
    try:
        yield
    finally:
        migrate(latest_nodes())


def empty_tables(rows: dict[str, dict]) -> list[str]:
    return sorted(label for label, found in rows.items() if not found)


def check_with_todays_models() -> None:
    """The migrated data read through today's models, as pacta reads it."""
    from pacta.accounts.models import User
    from pacta.core.models import Action, Agreement, AuditEntry, Event, Instance, Party

    olav = User.objects.get(username="olav")
    assert (olav.role, olav.language, olav.timezone) == ("member", "nb", "Europe/Oslo")
    assert check_password(PASSWORD, olav.password)
    assert dict(User.objects.values_list("username", "role")) == {
        "admin": "admin", "mona": "manager", "olav": "member", "nina": "member", "vera": "viewer", "gone": "member"}
    assert User.objects.get(username="admin").is_superuser
    assert list(olav.groups.values_list("name", flat=True)) == ["Sales desk"]
    # Set after the watcher's migration; the others kept the defaults that migration gave them.
    assert (olav.alert_recovered, olav.weekly_digest) == (True, False)
    vera = User.objects.get(username="vera")
    assert (vera.alert_at_risk, vera.alert_recovered, vera.weekly_digest) == (True, False, True)
    assert list(vera.user_permissions.values_list("codename", flat=True)) == ["view_party"]

    alfki = Party.objects.get(code="ALFKI")
    assert (alfki.spoc.username, alfki.deputy.username, alfki.revision) == ("olav", "nina", 4)
    assert [(c.name, c.receives_updates) for c in alfki.contacts.all()] == [
        ("Hans Schüler", False), ("Maria Anders", True)]
    assert Party.objects.get(code="BOTH").roles_display == "customer, supplier"

    frame = Agreement.objects.get(reference="ALFKI-2025")
    assert (frame.status, frame.currency, frame.owner.username, frame.valid_to) == (
        "in_force", "EUR", "olav", dt.date(2025, 12, 31))
    assert [(v.number, v.agreed_how) for v in frame.versions.all()] == [(1, "signed"), (2, "email")]
    assert frame.versions.get(number=2).snapshot["commitments"][0]["params"] == {"grace_days": 1}
    assert sorted(frame.glossary.values_list("term", flat=True)) == ["business day", "delivered"]
    assert frame.notes.count() == 2 and frame.pauses.get().end == at("2025-02-14T23:59:59+01:00")
    assert sorted(frame.commitments.values_list("key", "type")) == [
        ("call-ahead", "notice_before_delivery"), ("on-time", "on_time_delivery"), ("rebate", "volume_rebate"),
        ("volume", "volume_commitment")]
    on_time = frame.commitments.get(key="on-time")
    assert on_time.current_terms().params == {
        "grace_days": 1, "penalty": {"percent": "0.5", "per_days": 7, "cap_percent": "5"}}
    assert (on_time.cost_amount, on_time.cost_hours, on_time.owner.username) == (
        Decimal("12.50"), Decimal("1.25"), "olav")
    assert frame.commitments.get(key="call-ahead").removed_in.number == 2
    assert frame.commitments.get(key="rebate").current_terms().products == ["1", "2", "Chai"]
    assert list(Instance.objects.filter(commitment=on_time).values_list("key", "status", "days_late")) == [
        ("10643", "kept", 0), ("10692", "overdue", 3), ("10702", "open", None)]
    assert on_time.waivers.get().granted_by == "Maria Anders"

    order = Event.objects.get(source="erp", external_id="O-10692")
    assert (order.kind, order.party.code, order.quantity, order.unit_price, order.amount, order.due_date_only) == (
        "order", "ALFKI", Decimal("1000.5"), Decimal("14.4"), Decimal("13686.48"), True)
    assert order.at == at("2025-02-18T09:30:00+01:00") and order.batch.filename == "orders-2025-02.csv"
    assert Event.objects.get(external_id="D-10692").force_majeure
    assert Event.objects.count() == 9

    late = Action.objects.get(instance_key="10692")
    assert (late.owner.username, late.meant_for.username, late.routing, late.status) == (
        "nina", "olav", "party_deputy", "open")
    assert late.deviations.get().alert.subject == "Auftrag 10692 ist überfällig"
    assert AuditEntry.objects.get(action="amend_agreement").changes == {
        "on-time": {"grace_days": [2, 1]}, "version": 2}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_first_release_database_migrates_to_the_latest_and_back_without_losing_anything(latest_afterwards):
    first = migrate(FIRST_RELEASE, empty=True)
    seed_first_release(first)
    rows_1 = snapshot(first)
    assert empty_tables(rows_1) == [], "the seed fills every table of the first release"

    watch = migrate(WATCH_AND_ACT)
    assert differences(rows_1, watch) == []
    assert new_column_surprises(rows_1, watch) == []
    User = watch.get_model("accounts", "User")
    assert set(User.objects.values_list("alert_at_risk", "alert_broken", "alert_overdue", "alert_recovered",
                                        "remind_overdue_actions", "weekly_digest")) == {
        (True, True, True, False, True, True)}
    seed_watch_and_act(watch)
    rows_2 = snapshot(watch)
    assert empty_tables({label: rows for label, rows in rows_2.items() if label not in rows_1}) == [], \
        "the seed fills every table the watcher's migrations added"

    latest = migrate(latest_nodes())
    assert differences(rows_2, latest) == []
    assert new_column_surprises(rows_2, latest) == []
    check_with_todays_models()

    # Back as far as the migrations can be undone (all the way to the first release unless one is
    # irreversible: see test_irreversible_migrations_are_named_in_the_upgrade_notes) …
    targets, _irreversible = reversal_targets()
    back = migrate(targets)
    assert differences(rows_2, back, dropped_ok=True) == []
    # … and forward again.
    again = migrate(latest_nodes())
    assert differences(rows_1, again) == []
    if targets == sorted(FIRST_RELEASE):
        assert new_column_surprises(rows_1, again) == []

    # People sign in with their first-release passwords (this may re-hash them: it comes last) …
    assert authenticate(username="olav", password=PASSWORD).username == "olav"
    assert authenticate(username="gone", password=PASSWORD) is None  # inactive then, inactive now
    # … and the engine judges the upgraded data.
    from pacta.core.evaluation import evaluate_and_store
    from pacta.core.models import Commitment

    summary = evaluate_and_store(as_of=at("2025-03-03T12:00:00+01:00"))
    assert summary.errors == []
    assert summary.evaluated == Commitment.objects.exclude(agreement__status="draft").count() == 5


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_dump_of_a_first_release_database_loads_at_the_first_release_and_migrates_to_the_latest(
        latest_afterwards, settings):
    import json

    first = migrate(FIRST_RELEASE, empty=True)
    dumped = json.loads(DUMP.read_text(encoding="utf-8"))
    assert load_dump(DUMP, first) == len(dumped)
    rows = snapshot(first)
    # Every table but the permissions of people: those rows refer to permissions, which `migrate`
    # makes after the fact with ids of its own (the bare database the dump was made in had none).
    assert empty_tables(rows) == ["accounts.user_user_permissions"]

    latest = migrate(latest_nodes())
    assert differences(rows, latest) == []
    assert new_column_surprises(rows, latest) == []

    # Every object of the dump, field by field, as today's schema holds it.
    mismatches = []
    for obj in dumped:
        model = latest.get_model(obj["model"])
        row = model._base_manager.get(pk=obj["pk"])
        for name, value in obj["fields"].items():
            field = model._meta.get_field(name)
            if field.many_to_many:
                stored = sorted(getattr(row, name).values_list("pk", flat=True))
                expected = sorted(value)
            else:
                stored = getattr(row, field.attname)
                expected = field.to_python(value) if not field.is_relation else value
            if stored != expected:
                mismatches.append(f"{obj['model']} {obj['pk']}.{name}: {expected!r} became {stored!r}")
    assert mismatches == []

    # The people of the first release still sign in with their passwords (hashed by its hasher).
    from pacta.accounts.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]

    hashes = dict(User.objects.values_list("username", "password"))
    assert all(check_password(PASSWORD, hashes[name]) for name in ("admin", "mona", "olav", "nina", "vera"))
    assert not check_password("wrong", hashes["olav"])


@pytest.mark.django_db
def test_the_models_need_no_migration_that_is_not_written():
    try:
        call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    except SystemExit as exit:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations --check found changes without a migration (exit {exit.code}); "
                    "run `pacta makemigrations`")


def test_irreversible_migrations_are_named_in_the_upgrade_notes():
    """Every migration since the first release can be undone, or docs/operations.md's Upgrade section names it."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    released = set().union(*(graph.forwards_plan(node) for node in FIRST_RELEASE))
    later = [graph.nodes[node] for node in graph.nodes if node[0] in OURS and node not in released]
    assert later, "there are migrations after the first release"
    text = OPERATIONS.read_text(encoding="utf-8")
    upgrade = re.search(r"^## Upgrade\n(.*?)(?=^## )", text, re.S | re.M).group(1)
    unnamed = [f"{m.app_label}.{m.name}" for m in later
               if not is_reversible(m) and f"{m.app_label}.{m.name}" not in upgrade]
    assert unnamed == [], "irreversible migrations that docs/operations.md (Upgrade) does not name"
