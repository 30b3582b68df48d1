"""Reading event files: canonical CSV and XLSX, column mappings, every problem located."""

import datetime as dt
import io
import time
import warnings
from decimal import Decimal

import openpyxl
import polars as pl
import pytest

from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.imports import ImportErrors, ImportIssue, read_events

UTC = dt.timezone.utc
HEADER = "id,kind,party,at,ref,product,quantity,unit_price,discount,list_price,amount,currency,due,force_majeure\n"


def read(text: str, **kw) -> pl.DataFrame:
    return read_events(text.encode(), filename=kw.pop("filename", "events.csv"), **kw)


def problems(text: str, **kw) -> list[str]:
    with pytest.raises(ImportErrors) as exc:
        read(text, **kw)
    return str(exc.value).splitlines()


def test_it_reads_the_canonical_columns_into_the_event_schema():
    frame = read(HEADER + "E1,order,ALFKI,2025-03-01,10248,P11,12,14.00,,15.50,,EUR,2025-03-10,\n")
    assert frame.schema == pl.Schema(EVENT_SCHEMA)
    row = frame.row(0, named=True)
    assert row["source"] == "import"
    assert (row["id"], row["kind"], row["party"], row["ref"], row["product"]) == ("E1", "order", "ALFKI", "10248", "P11")
    assert row["quantity"] == Decimal("12") and row["list_price"] == Decimal("15.5")
    assert row["due"] == dt.datetime(2025, 3, 10, tzinfo=UTC) and row["due_date_only"] is True
    assert row["force_majeure"] is False


def test_it_fills_the_amount_from_quantity_price_and_discount():
    frame = read(HEADER + "E1,invoice,ALFKI,2025-03-01,,P1,3,19.99,0.15,,,EUR,,\n"
                 "E2,invoice,ALFKI,2025-03-01,,P1,2,5,,,,EUR,,\n")
    # 3 x 19.99 x (1 - 0.15) = 59.97 x 0.85 = 50.9745; without a discount 2 x 5 = 10
    assert frame["amount"].to_list() == [Decimal("50.9745"), Decimal("10")]


def test_it_keeps_an_amount_that_is_given():
    frame = read(HEADER + "E1,invoice,ALFKI,2025-03-01,,P1,3,19.99,,,55.00,EUR,,\n")
    assert frame["amount"].to_list() == [Decimal("55")]


def test_it_reads_a_date_as_a_whole_day_at_midnight_utc():
    frame = read("id,kind,party,at\nE1,delivery,ALFKI,2025-03-01\n")
    assert frame.row(0, named=True)["at"] == dt.datetime(2025, 3, 1, tzinfo=UTC)
    assert frame["date_only"].to_list() == [True]


def test_it_converts_timestamps_with_an_offset_to_utc():
    frame = read("id,kind,party,at\n"
                 "E1,delivery,ALFKI,2025-03-01T09:30:00+01:00\n"
                 "E2,delivery,ALFKI,2025-03-01T09:30:00.250Z\n"
                 "E3,delivery,ALFKI,2025-03-01 09:30+02:00\n")
    assert frame["at"].to_list() == [
        dt.datetime(2025, 3, 1, 8, 30, tzinfo=UTC),
        dt.datetime(2025, 3, 1, 9, 30, 0, 250000, tzinfo=UTC),
        dt.datetime(2025, 3, 1, 7, 30, tzinfo=UTC),
    ]
    assert frame["date_only"].to_list() == [False, False, False]


def test_it_refuses_a_timestamp_without_an_offset():
    assert problems("id,kind,party,at\nE1,delivery,ALFKI,2025-03-01T09:30:00\n") == [
        "events.csv:2: at: A timestamp needs an offset such as +01:00 or Z: 2025-03-01T09:30:00."
    ]


def test_a_mapping_may_name_the_time_zone_of_timestamps_without_an_offset():
    frame = read("id,kind,party,at\nE1,delivery,ALFKI,2025-07-01T09:30:00\n",
                 mapping={"mapping": {}, "options": {"timezone": "Europe/Amsterdam"}})
    assert frame["at"].to_list() == [dt.datetime(2025, 7, 1, 7, 30, tzinfo=UTC)]  # CEST is UTC+2


def test_it_reads_force_majeure_as_true_false_yes_no_one_zero_or_empty():
    rows = "".join(f"E{i},delivery,ALFKI,2025-03-01,,,,,,,,,,{v}\n"
                   for i, v in enumerate(["true", "FALSE", "yes", "no", "1", "0", ""]))
    assert read(HEADER + rows)["force_majeure"].to_list() == [True, False, True, False, True, False, False]


def test_it_reports_every_problem_at_once_with_its_file_line():
    text = ("id,kind,party,at,quantity,discount,currency,force_majeure\n"
            "E1,order,ALFKI,2025-03-01,-3,1.5,EURO,maybe\n"
            "\n"  # a blank line still counts as a line
            "E1,shipment,,2025-02-30,abc,,,\n"
            ",order,ALFKI,,1,,,\n")
    assert problems(text) == [
        "events.csv:2: quantity: A quantity cannot be negative: -3.",
        "events.csv:2: discount: A discount is a fraction between 0 and 1, e.g. 0.1 for ten percent: 1.5.",
        "events.csv:2: currency: Not a currency code (three letters such as EUR): EURO.",
        "events.csv:2: force_majeure: Enter true, false, yes, no, 1 or 0: maybe.",
        "events.csv:4: id: The id E1 appears twice in the file (first on line 2).",
        "events.csv:4: kind: Unknown kind shipment; expected one of order, delivery, invoice, payment, credit_note, "
        "notice, update, ticket_opened, ticket_answered, ticket_resolved, purchase_order, receipt, meeting, attestation.",
        "events.csv:4: party: Required: the customer's or supplier's id.",
        "events.csv:4: at: Not a date (2025-03-01) or a timestamp with offset (2025-03-01T09:30:00+01:00): 2025-02-30.",
        "events.csv:4: quantity: Not a number: abc.",
        "events.csv:5: id: Required: the fact's id in its source.",
        "events.csv:5: at: Required: when it happened, e.g. 2025-03-01 or 2025-03-01T09:30:00+01:00.",
    ]


def test_the_error_is_a_list_of_located_issues():
    with pytest.raises(ImportErrors) as exc:
        read("id,kind,party,at\nE1,order,ALFKI,soon\n")
    assert exc.value.issues == [ImportIssue("events.csv", 2, "at", exc.value.issues[0].message)]
    assert "soon" in exc.value.issues[0].message


def test_it_names_an_unknown_column_and_a_missing_required_one():
    assert problems("id,kind,at,colour\nE1,order,2025-03-01,red\n") == [
        "events.csv:1: colour: Unknown column; expected the columns id, kind, party, at, ref, product, quantity, "
        "unit_price, discount, list_price, amount, currency, due, force_majeure (or import with a column mapping).",
        "events.csv:1: party: Required column missing.",
    ]


def test_it_still_checks_the_rows_when_a_column_is_unknown():
    lines = problems("id,kind,party,at,colour\nE1,order,ALFKI,yesterday,red\n")
    assert lines[0].startswith("events.csv:1: colour: Unknown column")
    assert lines[1].startswith("events.csv:2: at: Not a date")


def test_it_refuses_unknown_parties_when_it_knows_the_parties():
    assert problems("id,kind,party,at\nE1,order,ALFKI,2025-03-01\nE2,order,NOBODY,2025-03-01\n",
                    known_parties={"ALFKI"}) == ["events.csv:3: party: Unknown party NOBODY."]


def test_it_hints_at_the_decimal_comma_option():
    assert problems("id,kind,party,at,quantity\nE1,order,ALFKI,2025-03-01,\"1,5\"\n") == [
        "events.csv:2: quantity: Not a number: 1,5 (for a decimal comma, import with a mapping that sets decimal_comma)."
    ]


def test_it_refuses_numbers_the_database_cannot_hold():
    assert problems(HEADER + "E1,order,ALFKI,2025-03-01,,,1e15,,,,,,,\n"
                    "E2,order,ALFKI,2025-03-01,,,1e8,1e7,,,,,,\n") == [
        "events.csv:2: quantity: Too large: 1e15.",
        "events.csv:3: amount: quantity x unit_price is too large for an amount.",  # 10^8 x 10^7 = 10^15
    ]


def test_a_mapping_reads_another_layout():
    text = ("Beleg;Art;Kunde;Datum;Menge;Preis;Rabatt;Notiz\n"
            "B1;order;ALFKI;01.03.2025;1.000;2,50;0,1;egal\n")
    mapping = {
        "mapping": {"id": "Beleg", "kind": "Art", "party": "Kunde", "at": "Datum", "quantity": "Menge",
                    "unit_price": "Preis", "discount": "Rabatt"},
        "options": {"decimal_comma": True, "date_format": "%d.%m.%Y", "defaults": {"currency": "EUR"}},
    }
    row = read(text, mapping=mapping).row(0, named=True)
    assert row["at"] == dt.datetime(2025, 3, 1, tzinfo=UTC) and row["date_only"] is True
    assert row["quantity"] == Decimal("1000") and row["unit_price"] == Decimal("2.5")
    assert row["amount"] == Decimal("2250")  # 1000 x 2.50 x (1 - 0.1)
    assert row["currency"] == "EUR"


def test_a_bare_dict_is_a_mapping_of_canonical_names_to_file_columns():
    frame = read("Number,kind,party,When\nN1,order,ALFKI,2025-03-01\n", mapping={"id": "Number", "at": "When"})
    assert frame["id"].to_list() == ["N1"]


def test_it_says_when_a_mapping_names_a_column_the_file_lacks():
    assert problems("id,kind,party,at\nE1,order,ALFKI,2025-03-01\n", mapping={"ref": "Order no"}) == [
        "events.csv:1: ref: The mapping reads this from the column Order no, which the file does not have."
    ]


def test_it_says_when_a_mapping_names_an_unknown_canonical_column():
    lines = problems("id,kind,party,at\nE1,order,ALFKI,2025-03-01\n", mapping={"colour": "id"})
    assert lines[0].startswith("events.csv:1: colour: The mapping names an unknown column")


def test_it_guesses_a_semicolon_delimiter():
    assert read("id;kind;party;at\nE1;order;ALFKI;2025-03-01\n")["party"].to_list() == ["ALFKI"]


def test_it_counts_lines_inside_quoted_fields_spanning_several_lines():
    text = 'id,kind,party,at,ref\nE1,order,ALFKI,2025-03-01,"two\nlines"\nE2,order,ALFKI,never,x\n'
    assert problems(text) == [
        "events.csv:4: at: Not a date (2025-03-01) or a timestamp with offset (2025-03-01T09:30:00+01:00): never."
    ]


def test_it_reads_an_uploaded_file_object_and_still_counts_its_lines():
    data = b'id,kind,party,at,ref\nE1,order,ALFKI,2025-03-01,"two\nlines"\nE2,order,ALFKI,never,x\n'
    with pytest.raises(ImportErrors) as exc:
        read_events(io.BytesIO(data), filename="upload.csv")
    assert [(i.line, i.field) for i in exc.value.issues] == [(4, "at")]


def test_it_refuses_a_line_with_more_fields_than_the_header():
    assert problems("id,kind,party,at\nE1,order,ALFKI,2025-03-01,surprise\n") == [
        "events.csv:2: 5 fields, but the header has 4 columns."
    ]


def test_it_refuses_a_file_that_is_not_utf8():
    with pytest.raises(ImportErrors) as exc:
        read_events(b"id,kind,party,at\nE1,order,M\xfcller,2025-03-01\n", filename="events.csv")
    assert str(exc.value) == ("events.csv:2: The file is not UTF-8 text; save it as UTF-8 or give the mapping "
                              "option encoding (e.g. cp1252).")


def test_a_mapping_may_name_the_encoding():
    data = "id,kind,party,at\nE1,order,M\xfcller,2025-03-01\n".encode("cp1252")
    frame = read_events(data, filename="events.csv", mapping={"mapping": {}, "options": {"encoding": "cp1252"}})
    assert frame["party"].to_list() == ["M\xfcller"]


def test_it_refuses_an_unsupported_file_type():
    with pytest.raises(ImportErrors) as exc:
        read_events(b"", filename="events.json")
    assert str(exc.value) == "events.json:1: Unsupported file type .json: use .csv or .xlsx."


def test_it_adds_the_file_lines_on_request():
    frame = read("id,kind,party,at\nE1,order,ALFKI,2025-03-01\n\nE2,order,ALFKI,2025-03-02\n", with_lines=True)
    assert frame.columns == [*EVENT_SCHEMA, "line"]
    assert frame["line"].to_list() == [2, 4]


def test_it_fills_the_source_column():
    assert read("id,kind,party,at\nE1,order,ALFKI,2025-03-01\n", event_source="erp")["source"].to_list() == ["erp"]


def workbook(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_it_reads_a_workbook_with_date_cells_and_numbers():
    data = workbook([
        ["id", "kind", "party", "at", "quantity", "unit_price", "currency"],
        ["E1", "invoice", "ALFKI", dt.datetime(2025, 3, 1), 3, 19.99, "EUR"],
        ["E2", "delivery", "ALFKI", "2025-03-02T10:00:00+01:00", None, None, None],
    ])
    frame = read_events(data, filename="events.xlsx")
    assert frame["at"].to_list() == [dt.datetime(2025, 3, 1, tzinfo=UTC), dt.datetime(2025, 3, 2, 9, tzinfo=UTC)]
    assert frame["date_only"].to_list() == [True, False]
    assert frame["amount"].to_list() == [Decimal("59.97"), None]  # 3 x 19.99


def test_it_locates_workbook_problems_by_row_number():
    data = workbook([
        ["id", "kind", "party", "at"],
        ["E1", "invoice", "ALFKI", dt.datetime(2025, 3, 1, 9, 30)],  # Excel keeps no offset
        [None, None, None, None],
        ["E2", "invoice", "ALFKI", "2025-03-01", "extra"],
    ])
    with pytest.raises(ImportErrors) as exc:
        read_events(data, filename="events.xlsx")
    assert str(exc.value).splitlines() == [
        "events.xlsx:2: at: A timestamp needs an offset such as +01:00 or Z: 2025-03-01T09:30:00.",
        "events.xlsx:4: A value beyond the header's last column (4 columns).",
    ]


def test_it_refuses_a_file_that_is_not_a_workbook():
    with pytest.raises(ImportErrors) as exc:
        read_events(b"not a zip", filename="events.xlsx")
    assert str(exc.value).startswith("events.xlsx:1: The file is not a readable XLSX workbook")


@pytest.mark.parametrize(("cell", "micro"), [("09:30:00.5", 500000), ("09:30:00.123456", 123456), ("09:30:00", 0)])
def test_a_datetime_format_with_pythons_fraction_of_a_second_reads_it_as_python_does(cell, micro):

    mapping = {"mapping": {"id": "Nr", "kind": "Art", "party": "Kunde", "at": "Zeit"},
               "options": {"datetime_format": "%d.%m.%Y %H:%M:%S.%f", "timezone": "Europe/Berlin"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # polars warns when it is handed `.%f`
        frame = read(f"Nr;Art;Kunde;Zeit\nN1;notice;ALFKI;01.03.2025 {cell}\n".replace(";", ","), mapping=mapping)
    assert frame["at"].to_list() == [dt.datetime(2025, 3, 1, 8, 30, 0, micro, tzinfo=UTC)]  # no fraction: 0
