"""Bad input through the API is fuzzed: generated batches of events (POST /events, JSON) and
agreement files (POST /agreements/import, YAML), valid documents broken in a few places
(pacta/core/tests/fuzz_inputs.py). Every answer is a success or a documented 4xx whose problems
name their row (or line) and field; never a 500. The client checks every answer against the
OpenAPI schema (conftest), and lets a crash fail the test with its traceback."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import event, example, given
from hypothesis import strategies as st

from pacta.core.tests.fuzz_inputs import (
    BILLION_LAUGHS,
    FUZZ,
    PARTY,
    agreement_yaml,
    event_records,
    json_value,
    to_yaml_text,
    valid_agreements,
)

REFUSED = (400, 413, 415, 422)


@contextmanager
def rolled_back():
    """What an example stores is gone afterwards: each starts from the same register."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def client(api_client, tokens, settings):
    settings.PACTA_API_RATE_LIMIT = 1_000_000
    return api_client


def envelope() -> st.SearchStrategy:
    """A batch's envelope, now and then wrong itself: another source, unknown keys, events that are no list."""
    return st.one_of(
        event_records().map(lambda records: {"source": "erp", "events": records}),
        event_records().map(lambda records: {"events": records}),
        st.fixed_dictionaries({"source": json_value(), "events": event_records()}),
        st.fixed_dictionaries({"events": json_value()}),
        st.fixed_dictionaries({"events": event_records(), "colour": json_value()}),
        json_value(),
    )


def assert_row_problems(body: dict, batch) -> None:
    """A refused batch lists each problem with its field and, for a row's, the row (the event's index)."""
    assert body["detail"]
    for problem in body["errors"]:
        assert problem["message"].strip() and "Traceback" not in problem["message"]
        assert isinstance(problem["field"], str)
        if "row" in problem:
            assert 0 <= problem["row"] < len(batch["events"]), problem


@FUZZ
@given(body=envelope())
@example(body={"events": [{"id": "1", "kind": "order", "party": PARTY, "at": "2025-03-01", "quantity": 10 ** 30}]})
@example(body={"events": [{"id": "1", "kind": "order", "party": [PARTY], "at": "2025-03-01"}]})  # was a 500
def test_a_batch_of_events_is_stored_or_refused_row_by_row(client, tokens, body):
    with rolled_back():
        response = client(tokens["events"]).post("/events", body)
    assert response.status_code in (200, *REFUSED), response.content
    event(str(response.status_code))
    if response.status_code != 200:
        assert_row_problems(response.json(), body)


@FUZZ
@given(raw=st.one_of(
    envelope().map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=60),
    envelope().map(lambda body: json.dumps(body).encode()).flatmap(
        lambda raw: st.integers(0, len(raw)).map(lambda cut: raw[:cut])),
    st.sampled_from([b'{"events": [{"id": "1", "quantity": ' + b"9" * 5000 + b"}]}", b"\xef\xbb\xbf{}",
                     b'{"events": [{"id": "\\ud800"}]}', b'{"events": NaN}', b"[" * 100_000, b'"\\u0000"']),
))
@example(raw=b"[" * 100_000)  # was a 500: RecursionError in json.loads
@example(raw=b'{"events": [{"id": "\\ud800", "kind": "order", "party": "ALFKI", "at": "2025-03-01"}]}')  # was a 500
def test_any_body_posted_as_json_gets_an_answer_not_a_crash(client, tokens, raw):
    with rolled_back():
        response = client(tokens["events"]).post("/events", raw=raw, content_type="application/json")
    assert response.status_code in (200, *REFUSED), response.content
    if response.status_code != 200:
        assert response.json()["detail"]


@FUZZ
@given(data=agreement_yaml())
@example(data=to_yaml_text(valid_agreements()).encode())
@example(data=BILLION_LAUGHS)
@example(data=b"agreements: " + b"[" * 100_000 + b"]" * 100_000 + b"\n")  # crashed the process (libyaml's stack)
@example(data=b"agreements: &a [*a]\n")  # was a 500: RecursionError
def test_an_agreement_file_through_the_api_is_stored_or_refused_line_by_line(client, tokens, data):
    with rolled_back():
        response = client(tokens["mona"]).post("/agreements/import", raw=data, content_type="application/yaml",
                                               query={"dry_run": "false"})
    assert response.status_code in (200, 403, *REFUSED), response.content
    event(str(response.status_code))
    if response.status_code == 422 and response.json()["errors"]:
        for problem in response.json()["errors"]:
            assert problem["line"] >= 1 and isinstance(problem["field"], str) and problem["message"].strip()
