"""`pacta check`: file mode without a database, database mode storing the verdicts; output and exit codes."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine

from pacta.core.actions.events import do_import_events
from pacta.core.imports import read_events
from pacta.core.models import Commitment, Instance

from .stored_world import make_agreement, make_party, order_type, run_command  # noqa: F401  (fixture)

UTC = dt.timezone.utc
SCENARIO = Path(__file__).resolve().parent / "scenarios" / "notice_before_delivery" / "call-ahead-one-missed"
AGREEMENTS = """\
agreements:
  - id: ALFKI-2025
    party: ALFKI
    role: customer
    currency: EUR
    timezone: Europe/Amsterdam
    valid_from: 2025-01-01
    commitments:
      - id: otd
        type: test_orders
        title: Orders delivered within three days
        due_days: 3
        penalty: 25
"""
EVENTS = """\
id,kind,party,at,ref
o1,order,ALFKI,2025-03-03,10248
o2,order,ALFKI,2025-03-03,10249
d1,delivery,ALFKI,2025-03-05T10:00:00+01:00,10248
"""


def check(*args: str) -> tuple[int, str, str]:
    """Run `pacta check` in this process: (exit code, stdout, stderr)."""
    return run_command("evaluate", *args)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "agreements.yaml").write_text(AGREEMENTS)
    (tmp_path / "events.csv").write_text(EVENTS)
    return tmp_path


def file_mode(files: Path, *extra: str) -> tuple[int, str, str]:
    return check("--agreements", str(files / "agreements.yaml"), "--events", str(files / "events.csv"), *extra)


def test_file_mode_prints_the_json_document_of_the_contract(files, order_type):
    code, out, _err = file_mode(files, "--as-of", "2025-03-10T12:00:00+01:00", "--format", "json")
    # Order 10248 was delivered on 5 March (due 6 March): kept. Order 10249 is due 6 March and
    # undelivered on 10 March: overdue, 4 days late, penalty 25.00 paid by us.
    assert json.loads(out) == {
        "as_of": "2025-03-10T12:00:00+01:00",
        "results": [{
            "agreement": "ALFKI-2025", "party": "ALFKI", "commitment": "otd", "type": "test_orders",
            "status": "broken",
            "counts": {"open": 0, "kept": 1, "kept_late": 0, "overdue": 1, "broken": 0, "waived": 0, "lapsed": 0},
            "money": [{"kind": "penalty", "amount": "25.00", "currency": "EUR", "payer": "us", "state": "due"}],
            "instances": [
                {"key": "10248", "status": "kept", "due": "2025-03-06", "done": "2025-03-05T09:00:00+00:00",
                 "days_late": 0, "health": None, "money": [], "explanation": "10248 delivered"},
                {"key": "10249", "status": "overdue", "due": "2025-03-06", "done": None, "days_late": 4,
                 "health": None,
                 "money": [{"kind": "penalty", "amount": "25.00", "currency": "EUR", "payer": "us", "state": "due"}],
                 "explanation": "10249 not delivered"},
            ],
            "explanation": "2 orders",
        }],
    }
    assert code == 1  # a commitment is broken


def test_it_exits_with_zero_when_nothing_is_broken(files, order_type):
    # As of 5 March noon, 10248 is delivered and 10249 is not due yet.
    code, out, _err = file_mode(files, "--as-of", "2025-03-05T12:00:00+01:00", "--format", "json")
    assert [r["status"] for r in json.loads(out)["results"]] == ["open"]
    assert code == 0


def test_bad_input_is_reported_for_every_file_at_once_and_nothing_is_evaluated(files, order_type):
    (files / "agreements.yaml").write_text(AGREEMENTS.replace("due_days: 3", "due_days: soon"))
    (files / "more.csv").write_text("id,kind,party,at\nx1,order,ALFKI,yesterday\n")
    code, out, err = file_mode(files, "--events", str(files / "more.csv"), "--as-of", "2025-03-10T12:00:00+01:00")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{files / 'agreements.yaml'}:12: due_days: Enter a whole number.",
        f"{files / 'more.csv'}:2: at: Not a date (2025-03-01) or a timestamp with offset "
        "(2025-03-01T09:30:00+01:00): yesterday.",
    ]
    assert order_type.seen == []


def test_a_missing_file_is_bad_input(files, order_type):
    code, _out, err = check("--agreements", str(files / "agreements.yaml"), "--events", str(files / "none.csv"))
    assert code == 2 and err.startswith(f"{files / 'none.csv'}:1: Cannot read the file")


def test_as_of_needs_an_offset(files, order_type):
    code, _out, err = file_mode(files, "--as-of", "2025-03-10T12:00:00")
    assert code == 2 and "--as-of needs a timestamp with its offset" in err


def test_the_text_output_is_a_table_per_agreement_without_colour_in_a_pipe(files, order_type):
    code, out, _err = file_mode(files, "--as-of", "2025-03-10T12:00:00+01:00")
    lines = out.splitlines()
    assert lines[0] == "As of 2025-03-10T12:00:00+01:00"
    assert lines[2] == "ALFKI-2025 · ALFKI"
    assert lines[3].split() == ["otd", "test_orders", "broken", "1", "kept,", "1", "overdue", "penalty", "25.00",
                                "EUR", "(due,", "we", "pay)"]
    assert lines[4].strip() == "2 orders"
    assert lines[-1] == "1 commitments: 1 broken."
    assert "\x1b[" not in out and code == 1


def test_the_text_output_colours_the_status_on_a_terminal(files, order_type):
    _code, out, _err = file_mode(files, "--as-of", "2025-03-10T12:00:00+01:00", "--force-color")
    assert "\x1b[31;1mbroken" in out  # Django's ERROR style: bold red


def test_file_mode_works_with_the_database_unreachable(tmp_path):
    env = dict(os.environ, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    proc = subprocess.run(
        [sys.executable, "-m", "pacta.cli", "check", "--agreements", str(SCENARIO / "agreement.yaml"),
         "--events", str(SCENARIO / "events.csv"), "--as-of", "2025-03-31T23:59:59+02:00", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # the scenario has one broken commitment
    [result] = json.loads(proc.stdout)["results"]
    assert (result["commitment"], result["status"]) == ("call-ahead", "broken")


def test_events_without_agreements_are_refused(files):
    code, _out, err = check("--events", str(files / "events.csv"))
    assert code == 2 and "--events needs --agreements" in err


@pytest.mark.django_db
@time_machine.travel("2025-03-20T12:00:00+01:00", tick=False)
def test_database_mode_evaluates_and_stores_everything(order_type):
    alfki = make_party("ALFKI")
    make_agreement(alfki, {"otd": ("test_orders", {"due_days": 3})})
    make_agreement(alfki, {"otd": ("test_orders", {})}, reference="ALFKI-DRAFT", status="draft")
    do_import_events(read_events(EVENTS.encode(), filename="events.csv"))
    code, out, err = check("--as-of", "2025-03-05T12:00:00+01:00", "--format", "json")
    assert code == 0
    assert [(r["agreement"], r["status"]) for r in json.loads(out)["results"]] == [("ALFKI-2025", "open")]
    assert err.strip() == "1 commitments of draft agreements were not evaluated."
    stored = Commitment.objects.get(agreement__reference="ALFKI-2025")
    assert (stored.status, stored.as_of) == ("open", dt.datetime(2025, 3, 5, 11, tzinfo=UTC))
    # Without --as-of: now (20 March), when order 10249 is overdue.
    code, _out, _err = check()
    stored.refresh_from_db()
    assert (code, stored.status, stored.as_of) == (1, "broken", dt.datetime(2025, 3, 20, 11, tzinfo=UTC))
    assert Instance.objects.filter(commitment=stored, status="overdue").count() == 1
