"""A first-release database, made with the historical models, and how to check it survives the migrations.

The first release's schema is the initial migrations (`FIRST_RELEASE`). The data
is written with the models *as they were* then (`executor.loader.project_state(…)
.apps.get_model`), never with pacta.core.models: those are the latest and would
not fit the old tables.

- `seed_first_release(apps)` fills every table of the first release: people of
  each role (in a group, with a permission), parties with contacts, a point of contact and a
  deputy, agreements with versions, glossary, notes, pauses, commitments of
  several types with their terms and parameters, waivers, instances, import
  batches, a column mapping, events and audit entries.
- `seed_watch_and_act(apps)` adds what the watcher's migrations
  (`WATCH_AND_ACT`) brought: actions, deviations, mail, absences, a calendar
  token (actions did not exist in the first release).
- `snapshot(apps)` reads every row of pacta's tables; `differences(snapshot,
  apps)` says which rows or values a migration lost or changed, and
  `new_column_surprises(snapshot, apps)` which columns added since the snapshot
  hold something other than their default.
- `load_dump(path, apps)` loads a JSON dump (Django's format) with the
  historical models, as `loaddata` would with today's.

`pacta/core/tests/data/make_first_release.py` writes `data/first_release.json`
from `seed_first_release` at the first release's state.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.core.serializers.json import Deserializer as JsonDeserializer
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython

UTC = dt.timezone.utc
OURS = ("accounts", "core")
FIRST_RELEASE = [("accounts", "0001_initial"), ("core", "0001_initial")]
WATCH_AND_ACT = [("accounts", "0002_alert_preferences"), ("core", "0002_watch_and_act")]
PASSWORD = "first release: correct horse battery staple"
# Moments written by auto_now / auto_now_add are set to this, so that a dump is the same every time.
FROZEN = dt.datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

# Columns that a later migration fills from other data instead of giving them their default:
# "app.model.column" -> a function of the migrated row (a dict) that returns the expected value.
FILLED_BY_MIGRATION: dict = {}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# ---------------------------------------------------------------------------
# Migrating


def executor() -> MigrationExecutor:
    """A fresh executor: its loader reads which migrations are applied now."""
    return MigrationExecutor(connection)


def latest_nodes() -> list[tuple[str, str]]:
    return executor().loader.graph.leaf_nodes()


def migrate(targets, *, empty: bool = False):
    """Migrate the test database to `targets`; return the historical apps of that state.

    `empty`: pacta's tables hold no rows, so a data migration that cannot be undone
    (RunPython without reverse code) has nothing to undo and is passed over on the way back.
    """
    runner = executor()
    passed_over = []
    if empty:
        for migration, backwards in runner.migration_plan(targets):
            for operation in migration.operations if backwards else ():
                if isinstance(operation, RunPython) and not operation.reversible:
                    operation.reverse_code = RunPython.noop
                    passed_over.append(operation)
    try:
        runner.migrate(targets)
    finally:
        for operation in passed_over:
            operation.reverse_code = None
    return executor().loader.project_state(targets).apps


def is_reversible(migration) -> bool:
    return all(op.reversible for op in migration.operations)


def reversal_targets(floor=FIRST_RELEASE) -> tuple[list[tuple[str, str]], list[str]]:
    """How far back from the applied state migrations can be undone towards `floor`:
    the targets, and the irreversible migrations ("app.name") that stop the way."""
    plan = executor().migration_plan(floor)  # backwards, the last applied first
    irreversible = [m for m, backwards in plan if backwards and not is_reversible(m)]
    targets = dict(floor)
    stopped: set[str] = set()
    for migration in irreversible:
        if migration.app_label not in stopped:  # the latest irreversible one of its app
            targets[migration.app_label] = migration.name
            stopped.add(migration.app_label)
    return sorted(targets.items()), [f"{m.app_label}.{m.name}" for m in irreversible]


# ---------------------------------------------------------------------------
# Seeding with the historical models


def seed_first_release(apps, *, hash_password=None) -> None:
    """Fill every table of the first release's schema (see the module docstring).

    `hash_password(username)` gives a person's stored password (default: `PASSWORD`
    hashed by the configured hasher with a fixed salt)."""
    User = apps.get_model("accounts", "User")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Party = apps.get_model("core", "Party")
    Contact = apps.get_model("core", "Contact")
    Agreement = apps.get_model("core", "Agreement")
    AgreementVersion = apps.get_model("core", "AgreementVersion")
    GlossaryTerm = apps.get_model("core", "GlossaryTerm")
    NegotiationNote = apps.get_model("core", "NegotiationNote")
    Commitment = apps.get_model("core", "Commitment")
    CommitmentTerms = apps.get_model("core", "CommitmentTerms")
    Instance = apps.get_model("core", "Instance")
    Waiver = apps.get_model("core", "Waiver")
    Pause = apps.get_model("core", "Pause")
    ImportBatch = apps.get_model("core", "ImportBatch")
    ColumnMapping = apps.get_model("core", "ColumnMapping")
    Event = apps.get_model("core", "Event")
    AuditEntry = apps.get_model("core", "AuditEntry")

    def person(username, role, **extra):
        return User.objects.create(
            username=username, role=role, email=f"{username}@example.com",
            password=(hash_password or _hash_password)(username),
            date_joined=at("2025-01-02T09:00:00+01:00"), **extra)

    person("admin", "admin", is_superuser=True, is_staff=True, first_name="Ada", last_name="Admin",
           last_login=at("2025-02-28T17:45:12+01:00"))
    mona = person("mona", "manager", first_name="Mona", last_name="Manager", language="nl",
                  timezone="Europe/Amsterdam")
    olav = person("olav", "member", first_name="Olav", last_name="Øwner", language="nb", timezone="Europe/Oslo")
    nina = person("nina", "member", first_name="Nina", last_name="Outsider", language="de")
    vera = person("vera", "viewer", first_name="Vera", last_name="Viewer")
    person("gone", "member", is_active=False)
    sales = Group.objects.create(name="Sales desk")
    mona.groups.add(sales)
    olav.groups.add(sales)
    # Permissions exist once `migrate` has run its post_migrate step (not in the dump's bare database).
    view_party = Permission.objects.filter(codename="view_party", content_type__app_label="core").first()
    if view_party is not None:
        vera.user_permissions.add(view_party)

    alfki = Party.objects.create(
        code="ALFKI", name="Alfreds Futterkiste", is_customer=True, country="DE", language="de",
        timezone="Europe/Berlin", address="Obere Str. 57", postal_code="12209", city="Berlin",
        phone="030-0074321", notes="Prefers a call to an e-mail.", spoc=olav, deputy=nina, revision=4)
    exotic = Party.objects.create(
        code="S1", name="Exotic Liquids", is_customer=False, is_supplier=True, country="GB", language="en",
        timezone="Europe/London", spoc=mona)
    both = Party.objects.create(code="BOTH", name="Zweiseitig GmbH", is_customer=True, is_supplier=True, country="AT")
    Contact.objects.create(party=alfki, name="Maria Anders", title="Sales Representative",
                           email="maria@alfki.example", phone="030-0074321")
    Contact.objects.create(party=alfki, name="Hans Schüler", title="Warehouse", email="",
                           phone="030-0076545", receives_updates=False)
    Contact.objects.create(party=exotic, name="Charlotte Cooper", title="Purchasing Manager",
                           email="charlotte@exotic.example")

    frame = Agreement.objects.create(
        reference="ALFKI-2025", party=alfki, title="Frame agreement 2025", role="customer", currency="EUR",
        timezone="Europe/Berlin", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31),
        status="in_force", description="Two years.\nRenewed yearly — unless cancelled.", owner=olav, deputy=nina,
        revision=3)
    supply = Agreement.objects.create(
        reference="S1-2025", party=exotic, role="supplier", currency="GBP", timezone="Europe/London",
        country="GB", valid_from=dt.date(2025, 2, 1), status="draft")
    ended = Agreement.objects.create(
        reference="BOTH-2024", party=both, role="customer", currency="CHF", timezone="Europe/Vienna",
        valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31), status="ended", owner=mona)

    v1 = AgreementVersion.objects.create(
        agreement=frame, number=1, effective_from=dt.date(2025, 1, 1), summary="Signed frame agreement",
        reason="New customer", agreed_by="Maria Anders", agreed_how="signed", created_by=mona,
        snapshot={"reference": "ALFKI-2025", "commitments": [{"id": "on-time", "params": {"grace_days": 2}}]})
    v2 = AgreementVersion.objects.create(
        agreement=frame, number=2, effective_from=dt.date(2025, 3, 1), summary="Grace shortened to one day",
        reason="Their warehouse moved", agreed_by="Maria Anders", agreed_how="email", created_by=olav,
        snapshot={"reference": "ALFKI-2025", "commitments": [{"id": "on-time", "params": {"grace_days": 1}}]})
    s1 = AgreementVersion.objects.create(agreement=supply, number=1, effective_from=dt.date(2025, 2, 1),
                                         summary="Draft", agreed_how="meeting")
    e1 = AgreementVersion.objects.create(agreement=ended, number=1, effective_from=dt.date(2024, 1, 1),
                                         summary="Signed", agreed_how="phone", agreed_by="Herr Zwei")

    GlossaryTerm.objects.create(agreement=frame, term="delivered", definition="At the customer's dock, unloaded.")
    GlossaryTerm.objects.create(agreement=frame, term="business day", definition="Monday to Friday, not a "
                                "public holiday in Berlin.")
    NegotiationNote.objects.create(agreement=frame, date=dt.date(2024, 12, 12), participants="Maria, Olav",
                                   text="They asked for 2 % rebate; we offered 2 % above 50,000.", author=olav)
    NegotiationNote.objects.create(agreement=frame, date=dt.date(2025, 2, 20), participants="Maria",
                                   text="Grace days: one is enough for them.", author=None)
    Pause.objects.create(agreement=frame, start=at("2025-02-10T00:00:00+01:00"), end=at("2025-02-14T23:59:59+01:00"),
                         reason="Their warehouse closed for the move", recorded_by=mona)
    Pause.objects.create(agreement=ended, start=at("2024-12-20T00:00:00+01:00"), reason="Open-ended stop")

    def commitment(agreement, key, type, terms, **fields):
        made = Commitment.objects.create(agreement=agreement, key=key, type=type, **fields)
        for version, title, params, extra in terms:
            CommitmentTerms.objects.create(commitment=made, version=version, title=title, params=params, **extra)
        return made

    on_time = commitment(
        frame, "on-time", "on_time_delivery", [
            (v1, "Every order delivered by its due date",
             {"grace_days": 2, "penalty": {"percent": "0.5", "per_days": 7, "cap_percent": "5"}}, {}),
            (v2, "Every order delivered by its due date, one day's grace",
             {"grace_days": 1, "penalty": {"percent": "0.5", "per_days": 7, "cap_percent": "5"}},
             {"valid_from": dt.date(2025, 3, 1)}),
        ],
        direction="we_owe", how="on the route sheet", cost_amount=Decimal("12.50"), cost_hours=Decimal("1.25"),
        status="at_risk", counts={"kept": 1, "overdue": 1, "open": 1},
        money=[{"kind": "penalty", "amount": "3.60", "currency": "EUR", "payer": "us", "state": "due"}],
        explanation="Order 10692 is 3 days late.", evaluated_at=at("2025-03-01T06:00:00+00:00"),
        as_of=at("2025-03-01T06:00:00+00:00"), next_check_at=at("2025-03-02T06:00:00+00:00"), revision=2,
        owner=olav, registrar=mona)
    commitment(
        frame, "rebate", "volume_rebate", [
            (v1, "2.5 % rebate above 50,000 a year",
             {"period": "year", "tiers": [{"from": "0", "rate": "0"}, {"from": "50000", "rate": "2.5"}]},
             {"products": ["1", "2", "Chai"], "valid_from": dt.date(2025, 1, 1), "valid_to": dt.date(2025, 12, 31)}),
        ],
        direction="we_owe", owner=nina, registrar=mona, status="open")
    commitment(
        frame, "call-ahead", "notice_before_delivery", [
            (v1, "Call one hour before each delivery", {"min_before": "PT1H", "max_before": "PT24H"}, {}),
        ],
        direction="we_owe", how="checklist in the order screen", removed_in=v2, status="kept")
    commitment(
        frame, "volume", "volume_commitment", [
            (v1, "At least 10,000 units a quarter",
             {"period": "quarter", "minimum": "10000", "shortfall_fee": "0.50"}, {}),
        ],
        direction="they_owe", status="open")
    commitment(
        supply, "payment", "payment_term", [(s1, "Invoices paid within 30 days", {"days": 30}, {})],
        direction="we_owe", cost_hours=Decimal("0.10"))
    commitment(
        ended, "window", "delivery_window", [
            (e1, "Deliveries on weekday mornings",
             {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from": "07:00", "to": "12:30"}, {}),
        ],
        status="broken")

    Instance.objects.create(commitment=on_time, key="10643", status="kept", health="",
                            due=at("2025-02-03T23:59:59+01:00"), done=at("2025-02-03T10:15:00+01:00"), days_late=0,
                            explanation="Delivered on the due date.")
    Instance.objects.create(commitment=on_time, key="10692", status="overdue", due=at("2025-02-25T23:59:59+01:00"),
                            days_late=3, explanation="3 days late.",
                            money=[{"kind": "penalty", "amount": "3.60", "currency": "EUR", "payer": "us",
                                    "state": "due"}])
    Instance.objects.create(commitment=on_time, key="10702", status="open", health="at_risk",
                            due=at("2025-03-03T23:59:59+01:00"), explanation="Not delivered yet.")
    Waiver.objects.create(commitment=on_time, instance_key="10692", reason="Snow on the A7",
                          granted_by="Maria Anders", at=at("2025-02-27T11:00:00+01:00"), recorded_by=olav)

    batch = ImportBatch.objects.create(kind="events", source="erp", filename="orders-2025-02.csv", rows=7,
                                       created=6, unchanged=1, user=olav)
    ImportBatch.objects.create(kind="agreements", filename="agreements.yaml", rows=3, created=3)
    ColumnMapping.objects.create(name="SAP export",
                                 mapping={"external_id": "VBELN", "at": "ERDAT", "party": "KUNNR"},
                                 options={"delimiter": ";", "decimal": ",", "date_format": "%d.%m.%Y"})

    def event(external_id, kind, moment, party=alfki, **fields):
        return Event.objects.create(source=fields.pop("source", "erp"), external_id=external_id, kind=kind,
                                    party=party, at=at(moment), batch=fields.pop("batch", batch), **fields)

    event("O-10692", "order", "2025-02-18T09:30:00+01:00", ref="10692", product="Chai",
          quantity=Decimal("1000.5"), unit_price=Decimal("14.400000"), discount=Decimal("0.05"),
          list_price=Decimal("18.00"), amount=Decimal("13686.48"), currency="EUR",
          due=at("2025-02-25T00:00:00+00:00"), due_date_only=True)
    event("D-10643", "delivery", "2025-02-03T10:15:00+01:00", ref="10643", product="Chai", quantity=Decimal("12"))
    event("I-10643", "invoice", "2025-02-04T00:00:00+00:00", date_only=True, ref="10643",
          amount=Decimal("172.80"), currency="EUR", due=at("2025-03-06T00:00:00+00:00"), due_date_only=True)
    event("P-10643", "payment", "2025-02-20T00:00:00+00:00", date_only=True, ref="10643",
          amount=Decimal("172.80"), currency="EUR")
    event("C-1", "credit_note", "2025-02-21T00:00:00+00:00", date_only=True, ref="10643",
          amount=Decimal("-3.60"), currency="EUR")
    event("N-10702", "notice", "2025-03-03T08:00:00+01:00", ref="10702", source="pacta", batch=None)
    event("D-10692", "delivery", "2025-02-28T14:00:00+01:00", ref="10692", force_majeure=True)
    event("PO-77", "purchase_order", "2025-02-05T12:00:00+00:00", party=exotic, ref="77", product="Chang",
          quantity=Decimal("0.000001"), unit_price=Decimal("12345678.123456"), currency="GBP")
    event("T-5", "ticket_opened", "2025-02-11T16:20:00+01:00", party=both, ref="T-5", batch=None)

    AuditEntry.objects.create(action="create_party", object_type="party", object_id=str(alfki.pk),
                              object_repr="Alfreds Futterkiste (ALFKI)", changes={"code": "ALFKI"}, user=mona,
                              party=alfki)
    AuditEntry.objects.create(action="create_agreement", object_type="agreement", object_id=str(frame.pk),
                              object_repr="ALFKI-2025", changes={"status": "in_force", "currency": "EUR"},
                              user=mona, agreement=frame, party=alfki)
    AuditEntry.objects.create(action="amend_agreement", object_type="agreement", object_id=str(frame.pk),
                              object_repr="ALFKI-2025", agreement=frame, party=alfki, user=olav,
                              changes={"on-time": {"grace_days": [2, 1]}, "version": 2})
    AuditEntry.objects.create(action="import_events", object_type="importbatch", object_id=str(batch.pk),
                              object_repr="orders-2025-02.csv", changes={"rows": 7}, user=None)


def _hash_password(username: str) -> str:
    return make_password(PASSWORD, salt=f"firstrelease{username}".ljust(22, "0"))


def seed_watch_and_act(apps) -> None:
    """What the watcher's migrations added: actions, deviations, mail, absences, a calendar token,
    and one person's alert preference changed."""
    User = apps.get_model("accounts", "User")
    Commitment = apps.get_model("core", "Commitment")
    Waiver = apps.get_model("core", "Waiver")
    Action = apps.get_model("core", "Action")
    Deviation = apps.get_model("core", "Deviation")
    OutboundMail = apps.get_model("core", "OutboundMail")
    Absence = apps.get_model("core", "Absence")
    CalendarToken = apps.get_model("core", "CalendarToken")

    mona, olav, nina = (User.objects.get(username=name) for name in ("mona", "olav", "nina"))
    User.objects.filter(pk=olav.pk).update(alert_recovered=True, weekly_digest=False)
    on_time = Commitment.objects.get(agreement__reference="ALFKI-2025", key="on-time")
    waiver = Waiver.objects.get(commitment=on_time, instance_key="10692")

    late = Action.objects.create(
        commitment=on_time, instance_key="10692", title="Order 10692 is late", description="Call Maria.",
        owner=nina, routing="party_deputy", meant_for=olav, status="open", due_on=dt.date(2025, 3, 3),
        opened_at=at("2025-02-26T07:00:00+01:00"))
    Action.objects.create(
        commitment=on_time, instance_key="10643", title="Confirm 10643", status="done",
        due_on=dt.date(2025, 2, 5), opened_at=at("2025-02-03T07:00:00+01:00"), opened_by=mona,
        closed_at=at("2025-02-04T15:30:00+01:00"), closed_by=olav, resolution="Delivered; waiver recorded.",
        waiver=waiver, owner=olav, routing="chosen", revision=3)
    alert = OutboundMail.objects.create(
        kind="alert", key="", recipient=nina, to="nina@example.com", language="de",
        subject="Auftrag 10692 ist überfällig", body_text="Auftrag 10692 …", body_html="<p>Auftrag 10692 …</p>",
        status="sent", attempts=2, sent_at=at("2025-02-26T07:05:00+01:00"), last_error="")
    OutboundMail.objects.create(
        kind="digest", key=f"digest:{mona.pk}:2025-W09", recipient=mona, to="mona@example.com", language="nl",
        subject="Weekoverzicht", body_text="…", status="failed", attempts=10,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed")
    Deviation.objects.create(
        commitment=on_time, instance_key="10692", old_status="open", new_status="overdue", reason="Not delivered",
        evidence={"due": "2025-02-25"}, money=[{"kind": "penalty", "amount": "3.60"}],
        at=at("2025-02-26T06:00:00+00:00"), processed_at=at("2025-02-26T06:01:00+00:00"),
        outcome="opened_action", action=late, alert=alert)
    Deviation.objects.create(commitment=on_time, old_status="open", new_status="at_risk",
                             at=at("2025-02-26T06:00:00+00:00"))
    Absence.objects.create(user=olav, start=dt.date(2025, 2, 24), end=dt.date(2025, 3, 7), note="Skiing",
                           recorded_by=mona)
    CalendarToken.objects.create(user=olav, token_hash="ab" * 32, hint="x7Qz",
                                 last_used_at=at("2025-02-27T05:00:00+00:00"))


def freeze_timestamps(apps) -> None:
    """Set every auto_now / auto_now_add moment of pacta's rows to `FROZEN` (a dump is then reproducible)."""
    for model in our_models(apps):
        fields = [f.attname for f in model._meta.concrete_fields
                  if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        if fields:
            model._base_manager.update(**dict.fromkeys(fields, FROZEN))


# ---------------------------------------------------------------------------
# Reading back and comparing


def our_models(apps) -> list:
    """pacta's models of a state, with the tables of many-to-many fields."""
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.app_label in OURS]


def snapshot(apps) -> dict[str, dict]:
    """Every row of pacta's tables: {"core.party": {pk: {column: value}}}."""
    return {m._meta.label_lower: {row["id"]: row for row in m._base_manager.values()}
            for m in our_models(apps)}


def differences(before: dict[str, dict], apps, *, dropped_ok: bool = False) -> list[str]:
    """What became of the rows of `before` in the state `apps`: lost tables, rows and values, one line each.

    `dropped_ok`: tables and columns that the state no longer has are not counted (after migrating back)."""
    now = {m._meta.label_lower: m for m in our_models(apps)}
    found = []
    for label, rows in before.items():
        model = now.get(label)
        if model is None:
            if rows and not dropped_ok:
                found.append(f"{label}: the table is gone with its {len(rows)} rows")
            continue
        after = {row["id"]: row for row in model._base_manager.values()}
        for pk in sorted(set(rows) - set(after)):
            found.append(f"{label} {pk}: the row is gone")
        for pk in sorted(set(after) - set(rows)):
            found.append(f"{label} {pk}: a row appeared")
        for pk, row in rows.items():
            if pk not in after:
                continue
            for column, value in row.items():
                if column not in after[pk]:
                    if not dropped_ok:
                        found.append(f"{label} {pk}: the column {column} is gone (it held {value!r})")
                elif after[pk][column] != value:
                    found.append(f"{label} {pk}.{column}: {value!r} became {after[pk][column]!r}")
    return found


def new_column_surprises(before: dict[str, dict], apps) -> list[str]:
    """Columns added to the tables of `before` whose value in the old rows is not the column's default
    (or what `FILLED_BY_MIGRATION` says)."""
    found = []
    for model in our_models(apps):
        label = model._meta.label_lower
        rows = before.get(label)
        if not rows:
            continue
        old_columns = set(next(iter(rows.values())))
        added = [f for f in model._meta.concrete_fields if f.attname not in old_columns]
        if not added:
            continue
        for row in model._base_manager.filter(pk__in=list(rows)).values():
            for field in added:
                rule = FILLED_BY_MIGRATION.get(f"{label}.{field.attname}")
                expected = rule(row) if rule else field.get_default()
                if row[field.attname] != expected:
                    found.append(f"{label} {row['id']}.{field.attname}: the new column holds "
                                 f"{row[field.attname]!r}, not {expected!r}")
    return found


# ---------------------------------------------------------------------------
# A dump of a first-release database


DUMP_ORDER = [
    "auth.group", "accounts.user", "core.party", "core.contact", "core.importbatch", "core.columnmapping",
    "core.agreement", "core.agreementversion", "core.glossaryterm", "core.negotiationnote", "core.pause",
    "core.commitment", "core.commitmentterms", "core.instance", "core.waiver", "core.event", "core.auditentry",
]


class HistoricalDeserializer(JsonDeserializer):
    """Django's JSON deserializer reading into the models of a migration state instead of today's."""

    def __init__(self, stream_or_string, *, apps, **options):
        self.historical_apps = apps
        super().__init__(stream_or_string, **options)

    def _get_model_from_node(self, model_identifier):
        return self.historical_apps.get_model(model_identifier)


def load_dump(path: Path, apps) -> int:
    """Load a JSON dump into the database with the models of `apps`, as loaddata does; return the objects."""
    loaded = set()
    count = 0
    with transaction.atomic():
        for obj in HistoricalDeserializer(path.read_text(encoding="utf-8"), apps=apps):
            obj.save()
            loaded.add(type(obj.object))
            count += 1
        with connection.cursor() as cursor:  # PostgreSQL: the sequences go past the loaded ids
            for sql in connection.ops.sequence_reset_sql(no_style(), list(loaded)):
                cursor.execute(sql)
    return count
