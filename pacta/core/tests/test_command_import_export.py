"""`pacta import` and `pacta export`: files in and out of the register, round trips that change nothing."""

from pathlib import Path

import pytest
import time_machine

from pacta.core.models import Agreement, ColumnMapping, Event

from .stored_world import make_party, run_command as run

pytestmark = pytest.mark.django_db
EVENTS = """\
id,kind,party,at,ref,product,quantity,unit_price,discount,list_price,amount,currency,due,force_majeure
E1,order,ALFKI,2025-03-01,10248,P11,12,14.00,0.05,15.5,,EUR,2025-03-10,
E2,delivery,ALFKI,2025-03-07T10:15:30.250+01:00,10248,,,,,,,,,true
E3,invoice,ALFKI,2025-03-08,INV-1,P11,12,14,,,159.60,EUR,2025-04-07,
"""


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test here runs at a fixed moment (imports and evaluations stamp the time)."""
    with time_machine.travel("2025-03-08T12:00:00+01:00", tick=False):
        yield


@pytest.fixture
def events_file(tmp_path) -> Path:
    make_party("ALFKI")
    path = tmp_path / "events.csv"
    path.write_text(EVENTS)
    return path


def test_it_imports_an_event_file(events_file):
    code, out, _err = run("import", "events", str(events_file), "--source", "erp")
    assert code == 0
    assert out.splitlines() == [f"{events_file}: 3 rows: 3 new, 0 unchanged."]
    assert set(Event.objects.values_list("source", "external_id")) == {("erp", "E1"), ("erp", "E2"), ("erp", "E3")}


def test_it_imports_another_layout_through_a_saved_mapping(tmp_path):
    make_party("ALFKI")
    ColumnMapping.objects.create(name="shop", mapping={"id": "Nr", "kind": "Art", "party": "Kunde", "at": "Datum"},
                                 options={"date_format": "%d.%m.%Y"})
    path = tmp_path / "shop.csv"
    path.write_text("Nr;Art;Kunde;Datum\nS1;order;ALFKI;01.03.2025\n")
    assert run("import", "events", str(path), "--mapping", "shop")[0] == 0
    assert Event.objects.get(external_id="S1").at.date().isoformat() == "2025-03-01"


def test_an_unknown_mapping_is_named_with_the_saved_ones(events_file):
    ColumnMapping.objects.create(name="shop", mapping={})
    code, _out, err = run("import", "events", str(events_file), "--mapping", "erp")
    assert code == 2 and err == "No column mapping erp; the saved ones are: shop."


def test_bad_rows_are_listed_and_nothing_is_imported(events_file):
    events_file.write_text(EVENTS + "E4,order,NOBODY,2025-03-01,1,,,,,,,,,\nE5,order,ALFKI,someday,2,,,,,,,,,\n")
    code, out, err = run("import", "events", str(events_file))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{events_file}:5: party: Unknown party NOBODY.",
        f"{events_file}:6: at: Not a date (2025-03-01) or a timestamp with offset (2025-03-01T09:30:00+01:00): someday.",
        "Nothing was imported.",
    ]
    assert Event.objects.count() == 0


def test_exported_events_import_again_unchanged(events_file, tmp_path):
    run("import", "events", str(events_file))
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"export.{fmt}"
        assert run("export", "events", "--format", fmt, "--out", str(out))[0] == 0
        code, printed, _err = run("import", "events", str(out))
        assert (code, printed.splitlines()) == (0, [f"{out}: 3 rows: 0 new, 3 unchanged."]), fmt


def test_events_export_in_the_canonical_columns(events_file):
    run("import", "events", str(events_file))
    code, out, _err = run("export", "events", "--party", "ALFKI")
    assert code == 0
    assert out.splitlines() == [
        "id,kind,party,at,ref,product,quantity,unit_price,discount,list_price,amount,currency,due,force_majeure",
        # 12 x 14.00 x (1 - 0.05) = 159.6
        "E1,order,ALFKI,2025-03-01,10248,P11,12,14,0.05,15.5,159.6,EUR,2025-03-10,",
        "E2,delivery,ALFKI,2025-03-07T09:15:30.250+00:00,10248,,,,,,,,,true",
        "E3,invoice,ALFKI,2025-03-08,INV-1,P11,12,14,,,159.6,EUR,2025-04-07,",
    ]


def test_an_xlsx_export_needs_a_file(events_file):
    assert run("export", "events", "--format", "xlsx")[0] == 1


AGREEMENTS = """\
agreements:
  - id: ALFKI-2025
    party: ALFKI
    party_name: Alfreds Futterkiste
    role: customer
    currency: EUR
    timezone: Europe/Amsterdam
    valid_from: 2025-01-01
    commitments:
      - id: pay
        type: payment_term
        title: Invoices are paid within 30 days
        days: 30
"""


def test_it_imports_and_exports_agreement_files(tmp_path):
    path = tmp_path / "agreements.yaml"
    path.write_text(AGREEMENTS)
    code, out, _err = run("import", "agreements", str(path))
    assert code == 0 and out.startswith("Agreements: 1 created")
    assert Agreement.objects.get().party.name == "Alfreds Futterkiste"
    exported = tmp_path / "exported.yaml"
    assert run("export", "agreements", "--out", str(exported))[0] == 0
    code, out, _err = run("import", "agreements", str(exported))
    assert code == 0 and out.startswith("Agreements: 0 created, 0 updated, 1 unchanged")


def test_a_bad_agreement_file_is_listed_and_nothing_is_imported(tmp_path):
    path = tmp_path / "agreements.yaml"
    path.write_text(AGREEMENTS.replace("days: 30", "days: -1"))
    code, _out, err = run("import", "agreements", str(path))
    assert code == 2
    assert err.splitlines() == [f"{path}:13: days: Must be at least 0.", "Nothing was imported."]
    assert not Agreement.objects.exists()


def test_it_passes_a_northwind_directory_on(monkeypatch, tmp_path):
    calls = []

    def fake_import(directory, *, progress=None):
        calls.append((directory, progress))
        return "parties: 91 created"

    monkeypatch.setattr("pacta.core.northwind.import_northwind", fake_import)
    code, out, _err = run("import", "northwind", str(tmp_path))
    assert (code, out.strip(), calls) == (0, "parties: 91 created", [(str(tmp_path), None)])
