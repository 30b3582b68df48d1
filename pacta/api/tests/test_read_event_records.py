"""read_event_records: JSON rows go through the same checks as an event file's rows."""

import datetime as dt
from decimal import Decimal

import pytest

from pacta.core.imports import ImportErrors, read_event_records, read_events

CSV = (b"id,kind,party,at,ref,product,quantity,unit_price,discount,currency,force_majeure\n"
       b"10248-1,order,ALFKI,2025-03-01,10248,P1,3,2.50,0.1,eur,yes\n"
       b"10248-d,delivery,ALFKI,2025-03-04T09:30:00+01:00,10248,,,,,,\n")
RECORDS = [
    {"id": "10248-1", "kind": "order", "party": "ALFKI", "at": "2025-03-01", "ref": 10248, "product": "P1",
     "quantity": 3, "unit_price": Decimal("2.50"), "discount": 0.1, "currency": "eur", "force_majeure": True},
    {"id": "10248-d", "kind": "delivery", "party": "ALFKI", "at": "2025-03-04T09:30:00+01:00", "ref": "10248"},
]


def test_records_and_the_same_file_read_alike():
    from_file = read_events(CSV, filename="events.csv", event_source="api")
    assert read_event_records(RECORDS).equals(from_file)


def test_the_amount_is_computed_as_for_a_file():
    frame = read_event_records(RECORDS)
    # 3 x 2.50 x (1 - 0.1) = 6.75
    assert frame["amount"][0] == Decimal("6.75")
    assert frame["at"][1] == dt.datetime(2025, 3, 4, 8, 30, tzinfo=dt.timezone.utc)


def test_problems_are_located_by_the_row_index_from_zero():
    with pytest.raises(ImportErrors) as caught:
        read_event_records([RECORDS[0], {**RECORDS[1], "kind": "shipment", "at": "2025-03-04T09:30"}])
    assert [(i.file, i.line, i.field) for i in caught.value.issues] == [("request", 1, "kind"), ("request", 1, "at")]


def test_unknown_fields_lists_objects_and_empty_rows_are_errors():
    with pytest.raises(ImportErrors) as caught:
        read_event_records([{**RECORDS[0], "colour": "red"}, {**RECORDS[1], "quantity": [1, 2]}, {}, "x"],
                           source_name="events")
    found = {(i.line, i.field) for i in caught.value.issues}
    assert {(0, "colour"), (1, "quantity"), (2, ""), (3, "")} <= found


def test_the_row_index_is_kept_as_the_line_when_asked():
    assert read_event_records(RECORDS, with_lines=True)["line"].to_list() == [0, 1]


def test_a_huge_quantity_is_too_large_not_a_crash():
    with pytest.raises(ImportErrors) as caught:
        read_event_records([{**RECORDS[0], "quantity": 10**20, "discount": None}])
    assert {"quantity", "amount"} <= {i.field for i in caught.value.issues}
