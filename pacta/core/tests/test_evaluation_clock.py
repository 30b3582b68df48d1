"""Evaluations judge as of the domain clock: an installation looked at "as of" is judged as of then."""

import datetime as dt

import polars as pl
import pytest
import time_machine

from pacta.core.actions.events import do_import_events
from pacta.core.commitments.base import EVENT_SCHEMA
from pacta.core.evaluation import evaluate_and_store
from pacta.core.models import Commitment

from .stored_world import make_agreement, make_party, order_type  # noqa: F401  (fixture)

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db


def one_order() -> pl.DataFrame:
    row = dict.fromkeys(EVENT_SCHEMA)
    row.update(source="import", id="E1", kind="order", party="ALFKI", at=dt.datetime(2025, 3, 1, tzinfo=UTC),
               date_only=True, ref="10248", due_date_only=False, force_majeure=False)
    return pl.DataFrame([row], schema=EVENT_SCHEMA)


@time_machine.travel("2026-11-22T12:00:00+01:00", tick=False)
@pytest.mark.parametrize("evaluate", [
    lambda: evaluate_and_store(),
    lambda: do_import_events(one_order()),  # the import's own re-evaluation
])
def test_without_an_as_of_the_evaluation_judges_as_of_pacta_clock(order_type, settings, evaluate):
    settings.PACTA_CLOCK = "2025-03-08T12:00:00+01:00"
    make_agreement(make_party("ALFKI"), {"otd": ("test_orders", {"due_days": 3})})
    evaluate()
    commitment = Commitment.objects.get()
    assert commitment.as_of == dt.datetime(2025, 3, 8, 11, tzinfo=UTC)
    # evaluated_at is the wall clock: when it was evaluated, not as of when.
    assert commitment.evaluated_at == dt.datetime(2026, 11, 22, 11, tzinfo=UTC)
