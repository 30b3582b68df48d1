"""The event log reads back exactly as it was imported, whatever characters its texts hold."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
import time_machine

from pacta.core.actions.events import do_import_events
from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.evaluation import events_frame

from .stored_world import make_party

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db
# Quotes, a comma, a backslash, a line break, a tab, non-ASCII letters and an emoji:
# everything that a row's transport as text (JSON, CSV) must escape.
AWKWARD = ['say "hi", then go', "back\\slash", "two\nlines", "tab\there", "Æøå – Straße", "🚚", "null", "[]"]


@time_machine.travel("2025-03-08T12:00:00+01:00", tick=False)
def test_awkward_texts_come_back_unchanged():
    make_party("ALFKI")
    n = len(AWKWARD)
    imported = pl.DataFrame({
        "source": ["erp"] * n, "id": [f"E{i}" for i in range(n)], "kind": ["order"] * n, "party": ["ALFKI"] * n,
        "at": [dt.datetime(2025, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)] * n, "date_only": [False] * n,
        "ref": AWKWARD, "product": list(reversed(AWKWARD)),
        "quantity": [Decimal("12.5")] * n, "unit_price": [Decimal("0.000001")] * n, "discount": [None] * n,
        "list_price": [Decimal("123456789.123456")] * n, "amount": [None] * n, "currency": ["EUR"] * n,
        "due": [None] * n, "due_date_only": [False] * n, "force_majeure": [True] * n,
    }, schema=EVENT_SCHEMA)
    do_import_events(imported, source="erp")
    assert events_frame(["ALFKI"], None).sort("id").equals(imported.sort("id"))
