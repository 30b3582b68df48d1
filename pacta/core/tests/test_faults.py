"""Faults: files cut short, and the database going away under an import and under the watcher.

The outages run the real `pacta` commands as processes against a PostgreSQL
server of the test's own (pacta.core.tests.private_postgres), stopped and
started while they work; the machine's own server is never touched. They bring
their own server, so they run once: in the SQLite pass (without DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from bench import generate
from pacta.core.imports import ImportErrors, parse_agreements, read_events
from pacta.core.models import (Action, Agreement, AuditEntry, Commitment, Deviation, Event, ImportBatch, Instance,
                               OutboundMail)

from .private_postgres import PrivatePostgres, private_postgres  # noqa: F401
from .stored_world import make_party, run_command
from .watch_world import Inbox, SmtpServer

HEADER = "id,kind,party,at,ref,product,quantity,unit_price,discount,list_price,amount,currency,due,force_majeure\n"
ROWS = [
    "E1,order,ALFKI,2025-03-01,10248,P11,12,14.00,0.05,15.5,,EUR,2025-03-10,\n",
    "E2,delivery,ALFKI,2025-03-07T10:15:30+01:00,10248,,,,,,,,,true\n",
    'E3,invoice,ALFKI,2025-03-08,"INV-1, part 2",P11,120,14.25,,,,EUR,2025-04-07,\n',
]
EVENTS = HEADER + "".join(ROWS)

AGREEMENTS = textwrap.dedent("""\
    agreements:
      - id: ALFKI-2025
        party: ALFKI
        role: customer
        currency: EUR
        timezone: Europe/Berlin
        valid_from: 2025-01-01
        status: in_force
        commitments:
          - id: call-ahead
            type: notice_before_delivery
            title: Call one hour before each delivery
            min_before: PT1H
            max_before: PT24H
          - id: on-time
            type: on_time_delivery
            title: Every order delivered by its due date
    """)


# ---------------------------------------------------------------------------
# A file cut short (still being written, or not copied completely)


def refused(data: bytes, filename: str = "events.csv") -> list[str]:
    with pytest.raises(ImportErrors) as caught:
        read_events(data, filename=filename)
    return [str(issue) for issue in caught.value.issues]


CUT = "events.csv:4: The file ends in the middle of this line: it seems cut short (still being written, or not " \
      "copied completely). Import the complete file."


@pytest.mark.parametrize("cut", [
    "E3,invoice,ALFKI,2025-03-08,",  # whole fields missing: they must not pass as empty ones
    'E3,invoice,ALFKI,2025-03-08,"INV-1, pa',  # inside a quoted field
    'E3,invoice,ALFKI,2025-03-08,"INV-1, part 2",P11,12',  # the quantity may be 12 or 120
])
def test_an_event_file_cut_in_its_last_row_is_refused_at_that_line(cut):
    assert CUT in refused((HEADER + "".join(ROWS[:2]) + cut).encode())


def test_a_last_row_that_lacks_only_its_line_break_is_complete():
    frame = read_events(EVENTS.rstrip("\n").encode(), filename="events.csv")
    assert frame["id"].to_list() == ["E1", "E2", "E3"]
    assert str(frame["quantity"][2]) == "120.000000"


def test_a_file_cut_in_a_row_with_a_quoted_field_on_several_lines_is_refused_at_the_row_s_first_line():
    data = HEADER + ROWS[0] + 'E2,delivery,ALFKI,2025-03-07,"10248\nsecond line",P1,'
    assert refused(data.encode())[0].startswith("events.csv:3: The file ends in the middle of this line")


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(EVENTS)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_workbook_cut_short_is_refused_as_incomplete(keep):
    data = workbook_bytes()
    assert read_events(data, filename="events.xlsx")["id"].to_list() == ["E1", "E2", "E3"]  # whole, it is fine
    assert refused(data[: int(len(data) * keep)], "events.xlsx") == [
        "events.xlsx:1: The workbook is incomplete: it seems cut short (still being written, or not copied "
        "completely). Import the complete file."]


def test_a_file_that_is_no_workbook_at_all_is_told_apart_from_one_cut_short():
    [problem] = refused(EVENTS.encode(), "events.xlsx")
    assert problem.startswith("events.xlsx:1: The file is not a readable XLSX workbook")


def test_an_agreement_file_cut_short_says_so_next_to_the_errors_at_the_cut():
    text = AGREEMENTS[: AGREEMENTS.index("on_time_delivery") + 4]  # "type: on_t"
    last = text.count("\n") + 1
    with pytest.raises(ImportErrors) as caught:
        parse_agreements(text, "a.yaml")
    problems = [str(i) for i in caught.value.issues]
    assert f"a.yaml:{last}: The file ends in the middle of this line: it seems cut short (still being written, " \
           "or not copied completely). Import the complete file." in problems
    assert any(p.startswith(f"a.yaml:{last}: type: ") for p in problems)  # the error the cut caused, still there
    # The same mistake in a complete file is only that mistake.
    with pytest.raises(ImportErrors) as caught:
        parse_agreements(text + "\n", "a.yaml")
    assert not any("cut short" in str(i) for i in caught.value.issues)


@pytest.mark.django_db
def test_pacta_import_refuses_a_file_cut_short_and_imports_nothing(tmp_path):
    make_party("ALFKI")
    path = tmp_path / "events.csv"
    path.write_text(EVENTS[:-20])
    code, out, err = run_command("import", "events", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [CUT.replace("events.csv", str(path)), "Nothing was imported."]
    assert not Event.objects.exists()

    path.write_text(EVENTS)  # the complete file, once it is there
    assert run_command("import", "events", str(path))[:2] == (0, f"{path}: 3 rows: 3 new, 0 unchanged.\n")


@pytest.mark.django_db
def test_pacta_import_agreements_says_a_file_is_cut_short_even_where_the_register_finds_the_error(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(AGREEMENTS)
    assert run_command("import", "agreements", str(path))[0] == 0
    # Cut in a title: still good YAML, and a change of terms the register refuses.
    text = AGREEMENTS[: AGREEMENTS.index("by its due date")]
    path.write_text(text)
    code, _out, err = run_command("import", "agreements", str(path))
    assert code == 2
    assert "in force and the file changes its terms" in err
    assert f"{path}:{text.count(chr(10)) + 1}: The file ends in the middle of this line: it seems cut short" in err
    assert Agreement.objects.get().commitments.get(key="on-time").current_terms().title == \
        "Every order delivered by its due date"


# ---------------------------------------------------------------------------
# The database goes away (a private PostgreSQL server, stopped and started)

PACTA = str(Path(sys.executable).parent / "pacta")
CUSTOMERS = 6  # about 6,000 events and 60 commitments
SETUP = """
from pacta.accounts.models import Role, User
from pacta.core.models import Party
olav = User.objects.create_user("olav", email="olav@example.com", role=Role.MEMBER, weekly_digest=False)
nina = User.objects.create_user("nina", email="nina@example.com", role=Role.MEMBER, weekly_digest=False)
for n, party in enumerate(Party.objects.order_by("code")):
    party.spoc = olav if n % 2 else nina
    party.save(update_fields=["spoc"])
"""


def outage_test(test):
    """Slow, PostgreSQL, and only in the pass without DATABASE_URL (the test brings its own server)."""
    for mark in (pytest.mark.slow, pytest.mark.postgres, pytest.mark.skipif(
            bool(os.environ.get("DATABASE_URL")),
            reason="brings its own PostgreSQL server: runs once, in the pass without DATABASE_URL")):
        test = mark(test)
    return test


@dataclass
class Cluster:
    """The private server with two migrated template databases: `agreements` (the portfolio's
    agreements, two people as the parties' points of contact) and `events` (the same with the
    portfolio's events, evaluated as of 1 March 2025)."""

    server: PrivatePostgres
    portfolio: generate.Portfolio
    var: Path

    def env(self, database: str, **more: str) -> dict[str, str]:
        env = {**os.environ, "DATABASE_URL": self.server.url(database), "PACTA_VAR_DIR": str(self.var),
               "DJANGO_SETTINGS_MODULE": "pacta.settings", **more}
        env.pop("PACTA_CLOCK", None)
        return env

    def pacta(self, database: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([PACTA, *args], env=self.env(database, **env), capture_output=True, text=True,
                              timeout=300)

    def database(self, name: str, template: str = "agreements") -> str:
        with self.server.connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def query(self, database: str, sql: str) -> list[tuple]:
        with self.server.connect(database) as conn:
            return conn.execute(sql).fetchall()

    def count(self, database: str, sql: str) -> int:
        return self.query(database, f"SELECT count(*) FROM ({sql}) AS q")[0][0]


def checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def cluster(private_postgres, tmp_path_factory):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("brings its own PostgreSQL server: runs once, in the pass without DATABASE_URL")
    out = tmp_path_factory.mktemp("faults")
    c = Cluster(private_postgres, generate.generate(out / "portfolio", customers=CUSTOMERS), out)
    private_postgres.create_database("agreements")
    checked(c.pacta("agreements", "migrate", "-v", "0"))
    checked(c.pacta("agreements", "import", "agreements", str(c.portfolio.agreements)))
    checked(c.pacta("agreements", "shell", "-c", SETUP))
    # With the events, evaluated as of 1 March 2025: by June the watcher has work.
    c.database("events")
    checked(c.pacta("events", "import", "events", str(c.portfolio.events), PACTA_CLOCK="2025-03-01T00:00:00+01:00"))
    return c


def waiting_for_a_lock(cluster: Cluster, database: str, timeout: float = 60) -> str:
    """The query of the pacta session that waits for a lock the test holds (waits for one)."""
    deadline = time.monotonic() + timeout
    with cluster.server.connect(database, autocommit=True) as conn:
        while time.monotonic() < deadline:
            rows = conn.execute("SELECT query FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                                [database]).fetchall()
            if rows:
                return rows[0][0]
            time.sleep(0.05)
    raise AssertionError("pacta never reached the locked table")


def locked(cluster: Cluster, database: str, table: str):
    """A session of the test holding `table` locked, until the server stops."""
    conn = cluster.server.connect(database)
    conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    return conn


@pytest.mark.parametrize(("table", "stored"), [
    # While it writes its audit entry: every event written, none committed.
    pytest.param(AuditEntry._meta.db_table, False, id="while-writing"),
    # While it re-evaluates the commitments: the events committed, their evaluation not.
    pytest.param(Instance._meta.db_table, True, id="while-re-evaluating"),
])
@outage_test
def test_an_import_the_database_walks_out_of_is_all_or_nothing_and_runs_again(cluster, table, stored):
    db = cluster.database(f"import_{table}")
    lock = locked(cluster, db, table)
    proc = subprocess.Popen([PACTA, "import", "events", str(cluster.portfolio.events)], env=cluster.env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert waiting_for_a_lock(cluster, db)
        cluster.server.restart(down=2)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        lock.close()
    assert proc.returncode == 1 and out == ""
    assert "Traceback" not in err
    assert err.startswith("CommandError: The database connection was lost: ")
    assert err.rstrip().endswith("An import is all or nothing: run it again once the database is back "
                                 "(what was stored already counts as unchanged).")
    events = cluster.count(db, f"SELECT 1 FROM {Event._meta.db_table}")
    batches = cluster.count(db, f"SELECT 1 FROM {ImportBatch._meta.db_table}")
    assert (events, batches) == ((cluster.portfolio.events_count, 1) if stored else (0, 0))
    # What the lost re-evaluation should have done waits for the watcher: the commitments are due.
    due = cluster.count(db, f"SELECT 1 FROM {Commitment._meta.db_table} WHERE next_check_at IS NOT NULL")
    assert due == (CUSTOMERS * 10 if stored else 0)

    # Run again: what was stored counts as unchanged, nothing is there twice.
    again = checked(cluster.pacta(db, "import", "events", str(cluster.portfolio.events)))
    new = 0 if stored else cluster.portfolio.events_count
    assert f"{cluster.portfolio.events_count} rows: {new} new, {cluster.portfolio.events_count - new} unchanged." \
        in again.stdout
    assert cluster.count(db, f"SELECT 1 FROM {Event._meta.db_table}") == cluster.portfolio.events_count
    assert cluster.count(db, f"SELECT DISTINCT source, external_id FROM {Event._meta.db_table}") == \
        cluster.portfolio.events_count


@dataclass
class HeldInbox(Inbox):
    """An SMTP server's inbox that holds its answer to the first message (the mail is received,
    its sender does not know yet) until `gate` is set."""

    arrived: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        if not self.arrived.is_set():
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 120)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def held_smtp():
    server = SmtpServer()
    server.inbox = HeldInbox()
    server.start()
    yield server
    server.inbox.gate.set()
    server.stop()


def wait_until(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.2)


WATCH_NOW = "2025-06-02T12:00:00+02:00"


@outage_test
def test_the_watcher_outlives_the_database_going_away_and_does_nothing_twice(cluster, held_smtp, tmp_path):
    db = cluster.database("watch", template="events")
    deviation, action, mail = (m._meta.db_table for m in (Deviation, Action, OutboundMail))
    lock = locked(cluster, db, deviation)
    out, err = (tmp_path / "watch.out").open("w+"), (tmp_path / "watch.err").open("w+")
    env = cluster.env(db, **held_smtp.env(), DJANGO_SETTINGS_MODULE="pacta.core.tests.fault_settings", LOG_LEVEL="INFO")
    proc = subprocess.Popen([PACTA, "watch", "--interval", "1", "--now", WATCH_NOW], env=env, stdout=out, stderr=err)
    try:
        # 1. While the pass records what the evaluation found.
        waiting_for_a_lock(cluster, db)
        cluster.server.restart(down=2)
        # 2. While it opens actions and queues their alerts (the evaluation takes longer than this lock).
        lock = locked(cluster, db, mail)
        waiting_for_a_lock(cluster, db)
        cluster.server.restart(down=2)
        # 3. While the SMTP server takes a mail: sent, but not yet recorded as sent.
        assert held_smtp.inbox.arrived.wait(120), "no mail was sent"
        cluster.server.stop()
        held_smtp.inbox.gate.set()
        time.sleep(2)
        cluster.server.start()

        wait_until(lambda: not cluster.count(db, f"SELECT 1 FROM {deviation} WHERE processed_at IS NULL UNION ALL "
                                                 f"SELECT 1 FROM {mail} WHERE status IN ('queued', 'sending')"),
                   "the watcher has done its work")
        time.sleep(3)  # a few more passes (and expired mail claims, were any left)
        assert proc.poll() is None, "the watcher died"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        lock.close()
    out.seek(0)
    err.seek(0)
    output, log = out.read(), err.read()
    assert output.rstrip().endswith("pacta watch stopped."), output
    assert "Traceback" not in log, log
    assert "the database connection was lost (" in log, log

    # Nothing twice: instances, deviations, actions, mail.
    assert cluster.count(db, f"SELECT 1 FROM {Instance._meta.db_table}") == cluster.count(
        db, f"SELECT DISTINCT commitment_id, key FROM {Instance._meta.db_table}")
    deviations = cluster.count(db, f"SELECT 1 FROM {deviation}")
    assert deviations > 10
    assert deviations == cluster.count(
        db, f"SELECT DISTINCT commitment_id, instance_key, old_status, new_status, at FROM {deviation}")
    actions = cluster.count(db, f"SELECT 1 FROM {action}")
    assert actions > 10
    assert actions == cluster.count(db, f"SELECT DISTINCT commitment_id, instance_key FROM {action}")
    assert actions == cluster.count(db, f"SELECT 1 FROM {deviation} WHERE outcome = 'opened_action'")
    statuses = dict(cluster.query(db, f"SELECT status, count(*) FROM {mail} GROUP BY status"))
    assert set(statuses) == {"sent"} and statuses["sent"] >= 2
    messages = held_smtp.messages
    assert len(messages) == statuses["sent"]
    assert len({m["Message-ID"] for m in messages}) == len(messages)
    assert cluster.query(db, f"SELECT max(attempts) FROM {mail}") == [(1,)]  # none claimed twice


@outage_test
def test_one_pass_for_cron_without_the_database_says_so_in_one_line(cluster):
    db = cluster.database("once", template="events")
    cluster.server.stop()
    try:
        done = cluster.pacta(db, "watch", "--once", "--now", WATCH_NOW)
    finally:
        cluster.server.start()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("CommandError: The database connection was lost: connection failed: ")
    assert len(done.stderr.strip().splitlines()) == 1
