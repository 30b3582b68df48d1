"""The benchmark's portfolio generator (bench/generate.py), at a small scale.

It must be deterministic for a seed (so that benchmark runs compare like with
like) and its files must be valid input for pacta: the agreement and event
readers accept them, and `pacta check` in file mode evaluates them.
"""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench import generate
from pacta.core.commitments import REGISTRY
from pacta.core.imports import docs_to_specs, parse_agreements, read_events

CUSTOMERS = 5
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    return generate.generate(tmp_path_factory.mktemp("bench"), customers=CUSTOMERS, seed=7)


def _bytes(p: generate.Portfolio) -> list[bytes]:
    return [p.agreements.read_bytes(), p.events.read_bytes(), p.extra_events.read_bytes()]


def test_the_same_seed_gives_the_same_files(portfolio, tmp_path):
    again = generate.generate(tmp_path, customers=CUSTOMERS, seed=7)
    assert _bytes(again) == _bytes(portfolio)


def test_another_seed_gives_other_files(portfolio, tmp_path):
    other = generate.generate(tmp_path, customers=CUSTOMERS, seed=8)
    assert _bytes(other)[1] != _bytes(portfolio)[1]


def test_the_agreements_are_valid_and_cover_every_type(portfolio):
    docs = parse_agreements(portfolio.agreements.read_text(), "agreements.yaml")
    specs = docs_to_specs(docs)
    assert len(docs) == CUSTOMERS
    # ten commitments each; C00005 (every fifth customer) has the deadline instead of the recurring update
    assert len(specs) == 10 * CUSTOMERS
    assert {s.type for s in specs} == set(REGISTRY)
    assert Counter(s.type for s in specs)["deadline"] == 1


def test_the_events_are_valid_and_about_a_thousand_per_customer(portfolio):
    events = read_events(portfolio.events, filename="events.csv")
    assert events.height == portfolio.events_count
    assert 700 * CUSTOMERS <= events.height <= 1300 * CUSTOMERS
    assert events["id"].n_unique() == events.height
    kinds = set(events["kind"])
    assert {"order", "delivery", "notice", "invoice", "payment", "credit_note", "ticket_opened",
            "ticket_answered", "update"} <= kinds
    rebate_payouts = events.filter((events["kind"] == "credit_note") & events["ref"].str.starts_with("rebate"))
    assert rebate_payouts.height > 0


def test_the_extra_batch_has_a_hundred_new_events_per_customer(portfolio):
    extra = read_events(portfolio.extra_events, filename="events_more.csv")
    main_ids = set(read_events(portfolio.events, filename="events.csv")["id"])
    assert extra.height == 100 * CUSTOMERS  # fewer customers than the ten of the full run
    assert sorted(set(extra["party"])) == list(portfolio.extra_parties)
    assert not main_ids & set(extra["id"])


def test_pacta_check_in_file_mode_evaluates_the_files(portfolio):
    done = subprocess.run(
        [sys.executable, "-m", "pacta.cli", "check", "--agreements", str(portfolio.agreements),
         "--events", str(portfolio.events), "--as-of", generate.AS_OF, "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    # 0: nothing broken, 1: something broken (the portfolio has breaches on purpose), 2: bad input
    assert done.returncode == 1, done.stderr[-2000:]
    results = json.loads(done.stdout)["results"]
    assert len(results) == 10 * CUSTOMERS
