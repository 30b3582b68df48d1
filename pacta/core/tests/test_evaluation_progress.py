"""Progress is reported as verdicts are stored, up to every commitment."""

import datetime as dt

import pytest
import time_machine

from pacta.core import evaluation
from pacta.core.evaluation import evaluate_and_store

from .stored_world import make_agreement, make_party, order_type  # noqa: F401  (fixture)

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db


@time_machine.travel("2025-03-08T12:00:00+01:00", tick=False)
def test_progress_counts_the_commitments_as_their_verdicts_are_stored(order_type, monkeypatch):
    monkeypatch.setattr(evaluation, "STORE_SIZE", 2)
    make_agreement(make_party("ALFKI"), {key: ("test_orders", {}) for key in ("a", "b", "c", "d", "e")})
    calls = []
    evaluate_and_store(as_of=dt.datetime(2025, 3, 4, tzinfo=UTC), batch_size=3,
                       progress=lambda done, total: calls.append((done, total)))
    # Batches of 3 and 2 commitments, stored 2 at a time: 2 and 3 of the first, 2 more of the second.
    assert calls == [(2, 5), (3, 5), (5, 5)]
