"""Every list exports as CSV and XLSX, from the API and from the web pages, with the web lists' columns."""

import csv
import io

import openpyxl
import pytest
import time_machine

from pacta.conftest import PASSWORD
from pacta.core.actions.watch import do_open_action
from pacta.core.models import Deviation
from pacta.core.tests.watch_world import at

NOW = at("2025-02-10T12:00:00+01:00")


@pytest.fixture
def filled(world, api_client, tokens):
    with time_machine.travel(NOW, tick=False):
        api_client(tokens["events"]).post("/events", {"source": "erp", "events": [
            {"id": "INV-1", "kind": "invoice", "party": "ALFKI", "at": "2025-01-15", "quantity": "40",
             "amount": "100.50", "currency": "EUR"}]})
        Deviation.objects.create(commitment=world.volume, instance_key="2025-Q1", old_status="open",
                                 new_status="at_risk", at=NOW)
        do_open_action(world.volume, acting_user=world.mona, instance_key="2025-Q1")
    return world


def rows_of_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


@pytest.mark.parametrize("name, first_header, value", [
    ("commitments", "Agreement", "volume"), ("deviations", "As of", "2025-Q1"), ("actions", "Id", "2025-Q1"),
    ("events", "Id", "INV-1"), ("instances", "Party", None),
])
def test_the_api_exports_each_list_as_csv(api_client, tokens, filled, name, first_header, value):
    response = api_client(tokens["read"]).get(f"/{name}/export")
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of_csv(response.content)
    assert rows[0][0] == first_header
    if value:
        assert any(value in row for row in rows[1:])


def test_the_api_exports_as_xlsx_with_the_same_rows(api_client, tokens, filled):
    response = api_client(tokens["read"]).get("/events/export", query={"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["Id", "Kind", "Party", "At"]
    assert rows[1][0] == "INV-1" and float(rows[1][10]) == 100.5


def test_the_event_export_can_be_imported_again(api_client, tokens, filled):
    from pacta.core.imports import read_events

    exported = api_client(tokens["read"]).get("/events/export").content
    frame = read_events(exported, filename="events.csv")
    assert frame["id"].to_list() == ["INV-1"] and str(frame["amount"][0]) == "100.500000"


def test_exports_take_the_list_s_filters(api_client, tokens, filled):
    response = api_client(tokens["read"]).get("/commitments/export", query={"type": "volume_commitment"})
    assert [row[4] for row in rows_of_csv(response.content)[1:]] == ["volume"]


@pytest.mark.parametrize("url", ["/events/", "/commitments/", "/deviations/", "/actions/?status=all"])
def test_the_web_lists_export_csv_and_xlsx(client, filled, url):
    client.login(username="vera", password=PASSWORD)
    joiner = "&" if "?" in url else "?"
    as_csv = client.get(url + joiner + "format=csv")
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    assert len(rows_of_csv(as_csv.content)) >= 2
    as_xlsx = client.get(url + joiner + "format=xlsx")
    assert openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active.max_row >= 2
