"""Importing events into the log: all or nothing, idempotent by (source, id), audited, re-evaluating."""

import datetime as dt
import time
from decimal import Decimal

import polars as pl
import pytest
import time_machine

from pacta.core.actions.events import do_import_events
from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.evaluation import events_frame
from pacta.core.imports import ImportErrors, read_events
from pacta.core.models import AuditEntry, Commitment, Event, ImportBatch, Instance

from .stored_world import make_agreement, make_party, order_type  # noqa: F401  (fixture)

UTC = dt.timezone.utc
FILE = (
    "id,kind,party,at,ref,product,quantity,unit_price,discount,currency,due,force_majeure\n"
    "E1,order,ALFKI,2025-03-01,10248,P11,12,14.00,0.05,EUR,2025-03-10,\n"
    "E2,order,ALFKI,2025-03-01,10248,P42,10,9.80,,EUR,2025-03-10,\n"
    "E3,delivery,ALFKI,2025-03-07T10:15:00+01:00,10248,,,,,,,true\n"
)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test here runs at a fixed moment (imports and evaluations stamp the time)."""
    with time_machine.travel("2025-03-08T12:00:00+01:00", tick=False):
        yield


def frame(text: str = FILE, filename: str = "events.csv") -> pl.DataFrame:
    return read_events(text.encode(), filename=filename, with_lines=True)


@pytest.fixture
def alfki():
    return make_party("ALFKI")


@time_machine.travel("2025-03-08T12:00:00+01:00", tick=False)
def test_it_stores_the_events_with_a_batch_and_an_audit_entry(alfki, users):
    batch = do_import_events(frame(), source="erp", filename="events.csv", acting_user=users["mona"])
    assert (batch.kind, batch.source, batch.filename, batch.rows, batch.created, batch.unchanged) == (
        "events", "erp", "events.csv", 3, 3, 0)
    assert batch.user == users["mona"]
    e1 = Event.objects.get(source="erp", external_id="E1")
    assert (e1.kind, e1.party, e1.ref, e1.product, e1.currency) == ("order", alfki, "10248", "P11", "EUR")
    # 12 x 14.00 x (1 - 0.05) = 159.60
    assert (e1.quantity, e1.unit_price, e1.discount, e1.amount) == (
        Decimal("12"), Decimal("14"), Decimal("0.05"), Decimal("159.6"))
    assert e1.at == dt.datetime(2025, 3, 1, tzinfo=UTC) and e1.date_only
    assert e1.due == dt.datetime(2025, 3, 10, tzinfo=UTC) and e1.due_date_only
    assert e1.batch == batch and e1.created_at == dt.datetime(2025, 3, 8, 11, tzinfo=UTC)
    e3 = Event.objects.get(external_id="E3")
    assert e3.at == dt.datetime(2025, 3, 7, 9, 15, tzinfo=UTC) and not e3.date_only and e3.force_majeure
    assert e3.ref == "10248" and e3.product == "" and e3.amount is None
    entry = AuditEntry.objects.get(action="import_events")
    assert entry.user == users["mona"] and entry.object_id == str(batch.pk)
    assert entry.changes == {"source": "erp", "file": "events.csv", "rows": 3, "created": 3, "unchanged": 0}


def test_the_log_reads_back_as_the_frame_that_was_imported(alfki):
    imported = frame()
    do_import_events(imported)
    assert events_frame(["ALFKI"], None).sort("id").equals(imported.drop("line").sort("id"))


def test_importing_the_same_file_twice_changes_nothing(alfki):
    do_import_events(frame())
    again = do_import_events(frame())
    assert (again.rows, again.created, again.unchanged) == (3, 0, 3)
    assert again.evaluation is None
    assert Event.objects.count() == 3 and ImportBatch.objects.count() == 2


def test_large_amounts_with_six_decimals_import_again_unchanged(alfki):
    text = "id,kind,party,at,amount,currency\nE1,invoice,ALFKI,2025-03-01,98765432109.123456,EUR\n"
    do_import_events(frame(text))
    assert do_import_events(frame(text)).unchanged == 1
    changed = text.replace("98765432109.123456", "98765432109.133456")  # a cent more
    with pytest.raises(ImportErrors, match="other content \\(amount\\)"):
        do_import_events(frame(changed))


def test_new_rows_among_known_ones_are_added(alfki):
    do_import_events(frame())
    more = frame(FILE + "E4,invoice,ALFKI,2025-03-08,INV1,,,,,,,\n")
    batch = do_import_events(more)
    assert (batch.created, batch.unchanged) == (1, 3)
    assert Event.objects.get(external_id="E4").batch == batch


def test_the_same_id_in_another_source_is_another_event(alfki):
    do_import_events(frame(), source="erp")
    assert do_import_events(frame(), source="shop").created == 3


def test_an_id_stored_with_other_content_is_an_error_and_nothing_is_stored(alfki):
    do_import_events(frame())
    changed = FILE.replace("E2,order,ALFKI,2025-03-01,10248,P42,10,9.80", "E2,order,ALFKI,2025-03-02,10248,P42,10,9.90")
    with pytest.raises(ImportErrors) as exc:
        do_import_events(frame(changed + "E5,order,ALFKI,2025-03-09,10300,,,,,,,\n"), filename="events.csv")
    assert str(exc.value) == (
        "events.csv:3: id: The id E2 was imported before with other content (at, unit_price, amount). "
        "Events are never changed: record a correction as a new event with its own id.")
    assert not Event.objects.filter(external_id="E5").exists()
    assert ImportBatch.objects.count() == 1


def test_unknown_parties_are_errors_at_their_lines(alfki):
    text = FILE + "E4,order,NOBODY,2025-03-01,1,,,,,,,\nE5,order,NEMO,2025-03-01,2,,,,,,,\n"
    with pytest.raises(ImportErrors) as exc:
        do_import_events(frame(text), filename="events.csv")
    assert str(exc.value).splitlines() == [
        "events.csv:5: party: Unknown party NOBODY: add the customer or supplier to the register first.",
        "events.csv:6: party: Unknown party NEMO: add the customer or supplier to the register first.",
    ]
    assert Event.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_a_frame_from_elsewhere_is_checked_too(alfki):
    rows = frame().drop("line")
    bad = pl.concat([rows, rows.head(1).with_columns(pl.lit("shipment").alias("kind"))])
    with pytest.raises(ImportErrors) as exc:
        do_import_events(bad, source="api")
    # Without a line column, row n of the frame is reported as line n + 1 (as under a header).
    assert str(exc.value).splitlines() == [
        ":2: id: The id E1 appears more than once in this import.",
        ":5: id: The id E1 appears more than once in this import.",
        ":5: kind: Unknown kind shipment.",
    ]


def test_it_reports_progress(alfki):
    calls = []
    do_import_events(frame(), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 3)]


@time_machine.travel("2025-03-08T12:00:00+01:00", tick=False)
def test_it_reevaluates_only_the_commitments_the_new_events_touch(order_type):
    alfki, bonap = make_party("ALFKI"), make_party("BONAP")
    make_agreement(alfki, {"otd": ("test_orders", {"due_days": 3})})
    make_agreement(bonap, {"otd": ("test_orders", {"due_days": 3})})
    make_agreement(alfki, {"supply": ("test_orders", {})}, reference="ALFKI-SUPPLY", role="supplier")
    batch = do_import_events(frame())
    assert batch.evaluation.evaluated == 1
    [spec] = order_type.seen
    assert (spec.agreement, spec.commitment) == ("ALFKI-2025", "otd")
    touched = Commitment.objects.get(agreement__reference="ALFKI-2025")
    # Order 10248 of 1 March is due 4 March and was delivered on 7 March: the test type calls it kept.
    assert (touched.status, touched.evaluated_at) == ("kept", dt.datetime(2025, 3, 8, 11, tzinfo=UTC))
    assert list(Instance.objects.values_list("commitment__agreement__reference", "key", "status")) == [
        ("ALFKI-2025", "10248", "kept")]
    assert Commitment.objects.get(agreement__reference="BONAP-2025").evaluated_at is None
