"""`make load`: the web pages under load, with the watcher running and events coming in through the API.

A bounded run on 127.0.0.1 only, that stops by itself and cleans up after itself:

1. the benchmark's portfolio (`bench.generate`, 1,000 customers, about 1,000,000 events; generated
   unless it is in place), with each agreement given an owner among the simulated users;
2. a private database: PostgreSQL by default (the database of `--postgres`, dropped and created
   again; its name must begin with `pacta_load`), or a SQLite file with `--sqlite`. `pacta migrate`,
   the users, `pacta import agreements`, `pacta import events` (which evaluates every commitment),
   then one watcher pass (`pacta watch --once`, one watcher per CPU on PostgreSQL) that turns the
   evaluation's deviations into actions. `--reuse` keeps a database that holds the portfolio
   already (migrated to the code's schema). On PostgreSQL, `VACUUM ANALYZE` before the run, as
   autovacuum keeps the planner's statistics in production;
3. `pacta serve` (gunicorn, its default number of workers; `DB_CONN_MAX_AGE=60`, as
   docs/operations.md deploys) on a free port, `pacta watch` in its own
   process, and an ingest process posting events to `POST /api/v1/events` at a steady modest rate
   (December orders to cash of random customers, alternately evaluated in the request and left
   to the watcher);
4. `--users` simulated users (threads) sign in, then request a fixed total of pages between them
   (`--requests`, after `--warm-up` requests that are not counted): the dashboard, agreement pages
   of random customers, commitment pages, party pages and the action list, with a think time
   between two pages;
5. everything is stopped (also on an error or Ctrl-C) and the figures are printed: per page kind
   the count, the errors (any answer but 200, or no answer) and p50/p95/p99/max latency; the events
   ingested and the watcher's passes meanwhile; the machine's load. `--write-docs` writes them into
   docs/benchmarks.md between the `load` markers; the rest of the page is kept.

Run: `python -m bench.load [--postgres URL | --sqlite] [--reuse] [--users 20] [--requests 2000]
[--think 1.0] [--customers 1000] [--write-docs]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from random import Random

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
BIN = Path(sys.executable).parent
OUT = generate.OUT_DIR / "load"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/pacta_load"
DATABASE_PREFIX = "pacta_load"  # the only databases this script drops

USERS = 20
REQUESTS = 2000
WARM_UP = 100
THINK = 1.0  # seconds between two pages of one user, on average (uniform from half to one and a half times)
P95_TARGET_MS = 300.0
PASSWORD = "load-run-password-7f3a"
SOURCE = "load"  # the ingested events' source (their ids are unique per run)
CONN_MAX_AGE = 60  # DB_CONN_MAX_AGE of the run, as docs/operations.md advises for production

# What the users ask for, and how often (weights).
MIX = (("dashboard", 25), ("agreement", 25), ("commitment", 20), ("party", 15), ("actions", 15))
KINDS = tuple(kind for kind, _ in MIX)
# The ids of the generated commitments (bench/generate.py); every fifth customer has a
# price review (deadline) instead of the status update.
COMMITMENT_KEYS = ("on-time", "call-ahead", "morning-window", "minimum-volume", "rebate", "volume-price",
                   "net-price", "payment", "support")


# ---------------------------------------------------------------------------
# The figures (no servers needed: tested in pacta/core/tests/test_bench_load.py)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) of `values`, interpolated linearly between the closest
    ranks (numpy's default); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Sample:
    kind: str
    path: str
    seconds: float
    status: int  # 0: no answer (the exception is in `error`)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


@dataclass
class Stats:
    kind: str
    count: int
    errors: int
    p50: float  # milliseconds
    p95: float
    p99: float
    max: float


def summarise(samples: list[Sample]) -> list[Stats]:
    """Per page kind (in MIX's order, then any other) and overall ("all"): count, errors and
    latency percentiles in milliseconds. Failed requests count in the latencies too (a slow error
    is slow); the errors are counted apart."""
    kinds = [k for k in KINDS if any(s.kind == k for s in samples)]
    kinds += sorted({s.kind for s in samples} - set(kinds))
    groups = [(k, [s for s in samples if s.kind == k]) for k in kinds] + [("all", samples)]
    found = []
    for kind, group in groups:
        ms = [s.seconds * 1000 for s in group]
        found.append(Stats(kind, len(group), sum(1 for s in group if not s.ok), percentile(ms, 50),
                           percentile(ms, 95), percentile(ms, 99), max(ms) if ms else math.nan))
    return found


def error_examples(samples: list[Sample], limit: int = 5) -> list[str]:
    """The first few distinct failures, for the report: `kind path: status or error`."""
    seen: dict[str, str] = {}
    for s in samples:
        if s.ok:
            continue
        what = s.error or f"HTTP {s.status}"
        seen.setdefault(f"{s.kind}: {what}", f"{s.kind} {s.path}: {what}")
    return list(seen.values())[:limit]


def plan(users: int, requests: int, customers: int, seed: int, offset: int = 0) -> list[list[tuple[str, str]]]:
    """Each user's pages, (kind, path): `requests` in all, shared out as evenly as possible,
    drawn from MIX with a seeded generator (the same arguments give the same plan). `offset`
    gives another plan from the same seed (the warm-up)."""
    plans = []
    for user in range(users):
        rng = Random(f"{seed}:{offset}:{user}")
        share = requests // users + (1 if user < requests % users else 0)
        kinds = rng.choices(KINDS, weights=[w for _, w in MIX], k=share)
        plans.append([(kind, page_path(kind, rng, customers)) for kind in kinds])
    return plans


def page_path(kind: str, rng: Random, customers: int) -> str:
    number = rng.randint(1, customers)
    code = f"C{number:05d}"
    agreement = f"/agreements/{code}-{generate.YEAR}/"
    if kind == "dashboard":
        return "/"
    if kind == "agreement":
        return agreement
    if kind == "commitment":
        last = "price-review" if number % 5 == 0 else "status-update"
        return f"{agreement}commitments/{rng.choice((*COMMITMENT_KEYS, last))}/"
    if kind == "party":
        return f"/parties/{code}/"
    if kind == "actions":
        return "/actions/"
    raise ValueError(f"unknown page kind {kind!r}")


def usernames(count: int) -> list[str]:
    return [f"load{i:02d}" for i in range(1, count + 1)]


# ---------------------------------------------------------------------------
# The report


@dataclass
class Run:
    """Everything the report tells about one run."""

    database: str  # PostgreSQL | SQLite
    customers: int
    events: int  # the portfolio's
    users: int
    think: float
    warm_up: int
    workers: int
    dashboard_cache: int  # PACTA_DASHBOARD_CACHE
    samples: list[Sample]
    seconds: float  # the measured phase, first request to last answer
    sign_ins: list[float]  # seconds
    ingest: dict  # events, batches, errors, seconds, rate, batch_p50, batch_max, by_mode
    watcher: dict  # passes, totals
    load: dict  # before, mean, max (1-minute load average)
    cpu: dict  # seconds of CPU: machine, ours (by process group)
    date: str = ""
    commit: str = ""
    machine: str = ""


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.0f} ms"


def report(run: Run) -> str:
    stats = summarise(run.samples)
    overall = stats[-1]
    met = overall.count > 0 and overall.errors == 0 and overall.p95 < P95_TARGET_MS
    rate = overall.count / run.seconds if run.seconds else 0.0
    ingest, watcher = run.ingest, run.watcher
    lines = [
        f"Measured on {run.date} at commit `{run.commit}` by `make load`.",
        "",
        f"- Machine: {run.machine}",
        f"- Database: {run.database}, the benchmark portfolio: {run.customers:,} customer agreements, "
        f"{run.customers * 10:,} commitments, {run.events:,} events; as of {generate.AS_OF} "
        "(`PACTA_CLOCK`)",
        f"- Web server: `pacta serve` (gunicorn, {run.workers} sync workers, its default for this machine) "
        f"on 127.0.0.1, `DB_CONN_MAX_AGE={CONN_MAX_AGE}`, `PACTA_DASHBOARD_CACHE={run.dashboard_cache}` (the "
        "dashboard reuses the portfolio's figures for that many seconds); `pacta watch` and the ingest in their "
        "own processes",
        f"- Users: {run.users} signed in at once, each requesting pages one after the other with "
        + (f"{run.think:g} s of think time on average between two" if run.think else "no pause between them")
        + f"; {overall.count:,} requests measured after {run.warm_up:,} warm-up requests, "
        f"in {run.seconds:.1f} s ({rate:.1f} requests per second)",
        f"- Sign-in (not in the table; password hashing is slow on purpose): p50 "
        f"{_ms(percentile([s * 1000 for s in run.sign_ins], 50))}, max {_ms(max(run.sign_ins, default=0) * 1000)}",
        f"- Meanwhile: {ingest.get('events', 0):,} events ingested through `POST /api/v1/events` in "
        f"{ingest.get('batches', 0):,} batches ({ingest.get('rate', 0):.1f} events per second; "
        f"{ingest.get('by_mode', '')}; answer p50 {_ms(ingest.get('batch_p50', math.nan))}, max "
        f"{_ms(ingest.get('batch_max', math.nan))}; {ingest.get('errors', 0)} failed); the watcher's passes "
        f"with work: {watcher.get('passes', 0)} ({_totals(watcher.get('totals', {}))})",
        f"- Load: the machine's 1-minute load average was {run.load.get('before', math.nan):.1f} before the "
        f"servers started (other work on the machine), {run.load.get('mean', math.nan):.1f} on average "
        f"and {run.load.get('max', math.nan):.1f} at most during the run; of the "
        f"{run.cpu.get('machine', 0):,.0f} CPU seconds the machine spent during the run ({_busy(run)}), the "
        f"run's processes spent {_cpu(run.cpu)}; the rest is other work",
        "",
        "| page | requests | errors | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in stats:
        label = "**all**" if s.kind == "all" else LABELS.get(s.kind, s.kind)
        lines.append(f"| {label} | {s.count:,} | {s.errors:,} | {_ms(s.p50)} | {_ms(s.p95)} | {_ms(s.p99)} | "
                     f"{_ms(s.max)} |")
    lines += ["", f"Target: p95 under {P95_TARGET_MS:g} ms over all pages, zero errors: "
              + ("**met**." if met else "**missed**.")]
    examples = error_examples(run.samples)
    if examples:
        lines += ["", "First errors:", "", *(f"- `{e}`" for e in examples)]
    return "\n".join(lines)


LABELS = {
    "dashboard": "dashboard `/`",
    "agreement": "agreement page `/agreements/<ref>/`",
    "commitment": "commitment page (evaluated live)",
    "party": "party page `/parties/<code>/`",
    "actions": "action list `/actions/`",
}


def _totals(totals: dict) -> str:
    return ", ".join(f"{name} {value:,}" for name, value in totals.items() if value) or "nothing to do"


def _busy(run: Run) -> str:
    cpus = len(os.sched_getaffinity(0))
    return f"{run.cpu.get('machine', 0) / (run.seconds * cpus) * 100:.0f} % of its {cpus} CPUs" if run.seconds else "?"


def _cpu(cpu: dict) -> str:
    parts = [f"{name} {seconds:,.0f}" for name, seconds in cpu.get("ours", {}).items()]
    return ", ".join(parts) if parts else "(not measured)"


INTRO = (
    "`make load` (`python -m bench.load`) measures the web pages under load on 127.0.0.1: the benchmark\n"
    "portfolio in a private PostgreSQL database (`pacta_load`), `pacta serve` with its default number of\n"
    "gunicorn workers, `pacta watch` running, and an ERP posting events to `POST /api/v1/events` at a steady\n"
    "modest rate meanwhile. Twenty simulated users sign in and request a fixed number of pages between them\n"
    "(the dashboard, agreement pages of random customers, commitment pages, party pages, the action list),\n"
    "with a think time between two pages; an error is any answer but 200. The run is bounded and stops every\n"
    "process by itself. It is not part of `make test`.\n"
    "\n"
    "A fresh run loads the database first, and that takes much longer than the measurement (two minutes):\n"
    "importing the agreements and the million events, which evaluates every commitment, then the watcher's\n"
    "first pass, which turns the 72,000 deviations of that first evaluation into actions or history.\n"
    "`make load LOAD_ARGS=--reuse` keeps the database of the last run."
)


def write_docs(section: str, path: Path = DOCS) -> None:
    """Put `section` between the load markers of `path`, keeping the rest of the page; the first
    time, a heading, the introduction and the markers are added at the end."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text.split(BEGIN, 1)[1]:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## The pages under load\n\n" + INTRO + "\n\n" + block + "\n"
    path.write_text(text)


# ---------------------------------------------------------------------------
# Processes: each in its own process group, all stopped on the way out


class Processes:
    """The run's child processes; `stop_all` (also on an error) ends each one's process group:
    SIGTERM, then SIGKILL for what is still there after `grace` seconds."""

    def __init__(self):
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict, log: Path, **kwargs) -> subprocess.Popen:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as sink:
            proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=kwargs.pop("stdout", sink),
                                    stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        self.running[name] = proc
        return proc

    def stop(self, name: str, grace: float = 30.0) -> int | None:
        proc = self.running.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        _signal_group(proc.pid, signal.SIGKILL)  # anything left in its group (gunicorn's workers)
        return proc.returncode

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the live processes of a process group (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_cpu_seconds() -> float:
    """CPU seconds the machine has been busy since boot, all CPUs (/proc/stat: all but idle and iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]
    return busy / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------
# The database


def pacta(env: dict, *args: str, stdin: str | None = None, log: Path | None = None) -> str:
    """Run `pacta ARGS` to its end; its output, or exit with it when it failed."""
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "pacta"), *args], env=env, cwd=ROOT, input=stdin, capture_output=True,
                          text=True)
    if log is not None:
        with log.open("a") as f:
            f.write(f"$ pacta {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    if done.returncode not in (0, 1) or (done.returncode == 1 and args[0] != "check"):
        raise SystemExit(f"pacta {' '.join(args)} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
                         f"{done.stderr[-3000:]}")
    shown = " ".join(a if len(a) < 60 and "\n" not in a else "…" for a in args[:4])
    print(f"  pacta {shown}: "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return done.stdout


def environment(database_url: str, out: Path) -> dict[str, str]:
    """What every process of the run gets: the database, the benchmark's moment, production
    settings (DEBUG off, database connections kept between requests as docs/operations.md
    advises) with plain-http cookies on 127.0.0.1 and mail that goes nowhere."""
    env = {key: value for key, value in os.environ.items() if key not in ("PACTA_DEMO", "DEBUG")}
    return {**env, "DATABASE_URL": database_url, "PACTA_VAR_DIR": str(out / "var"), "PACTA_CLOCK": generate.AS_OF,
            "DEBUG": "0", "DB_CONN_MAX_AGE": str(CONN_MAX_AGE), "SECRET_KEY": "load-run-only", "SECURE_COOKIES": "0", "SECURE_SSL_REDIRECT": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend", "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1"}


def postgres_database(url: str, fresh: bool) -> str:
    """The database of `url` on its server: dropped and created again when `fresh`, created when missing."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith(DATABASE_PREFIX) or not re.fullmatch(r"\w+", name):
        raise SystemExit(f"--postgres {url}: the database's name must begin with {DATABASE_PREFIX} "
                         "(this script drops and creates it)")
    server = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if fresh and exists:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            if fresh or not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise SystemExit(f"--postgres {url}: no PostgreSQL server answers ({exc}); "
                         "use --sqlite for a run without PostgreSQL") from None
    return url


def sqlite_database(out: Path, fresh: bool) -> str:
    db = out / "load.sqlite3"
    if fresh:
        for leftover in out.glob("load.sqlite3*"):
            leftover.unlink()
    return f"sqlite:///{db}"


STATE_SCRIPT = """
import json
from pacta.accounts.models import User
from pacta.core.models import Agreement, Commitment, Event
print(json.dumps({"agreements": Agreement.objects.count(), "events": Event.objects.count(),
                  "users": User.objects.filter(username__in=%(names)r).count(),
                  "not_evaluated": Commitment.objects.filter(removed_in__isnull=True, evaluated_at=None).count()}))
"""

USERS_SCRIPT = """
from pacta.accounts.models import Role, User
for i, name in enumerate(%(names)r):
    if not User.objects.filter(username=name).exists():
        User.objects.create_user(name, email=name + "@example.com", password=%(password)r,
                                 role=Role.MANAGER if i %% 5 == 0 else Role.MEMBER)
"""

TOKEN_SCRIPT = """
import json
from django.conf import settings
from pacta.accounts.models import Role, User
from pacta.core.actions.api import do_create_api_token
user = User.objects.filter(username="erp").first() or User.objects.create_user("erp", role=Role.MANAGER)
token = do_create_api_token(acting_user=user, name="load run", scopes=["events"])[1]
print(json.dumps({"token": token, "dashboard_cache": settings.PACTA_DASHBOARD_CACHE}))
"""


def loaded(env: dict, portfolio: generate.Portfolio, users: list[str]) -> bool:
    """Does the database hold the portfolio, evaluated, and the users?"""
    done = subprocess.run([str(BIN / "pacta"), "shell", "-c", STATE_SCRIPT % {"names": users}], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        return False
    try:
        state = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return False
    print(f"  the database holds {state}")
    return (state["agreements"] == portfolio.customers and state["events"] >= portfolio.events_count
            and state["users"] == len(users) and state["not_evaluated"] == 0)


def owned_agreements(portfolio: generate.Portfolio, users: list[str], out: Path) -> Path:
    """The portfolio's agreement file with an owner for each agreement, the users in turn
    (so that each user has commitments, actions and a dashboard of their own)."""
    import yaml

    path = out / "agreements_owned.yaml"
    loader = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
    with portfolio.agreements.open(encoding="utf-8") as f:
        doc = yaml.load(f, Loader=loader)
    for i, agreement in enumerate(doc["agreements"]):
        agreement["owner"] = users[i % len(users)]
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(doc, f, Dumper=generate._Dumper, sort_keys=False, default_flow_style=False, width=120)
    return path


def prepare(args, portfolio: generate.Portfolio, out: Path) -> tuple[dict, str]:
    """The database with the portfolio, evaluated, and the users; returns the environment and the backend's name."""
    names = usernames(args.users)
    if args.sqlite:
        backend, url = "SQLite", sqlite_database(out, fresh=False)
    else:
        backend, url = "PostgreSQL", postgres_database(args.postgres, fresh=False)
    env = environment(url, out)
    if args.reuse:
        pacta(env, "migrate", "--noinput", "-v", "0")  # the code may have moved on since it was loaded
        if loaded(env, portfolio, names):
            print(f"database: reusing {_safe(url)}")
            analyze(url)
            return env, backend
    print(f"database: loading the portfolio into {_safe(url)}")
    url = sqlite_database(out, fresh=True) if args.sqlite else postgres_database(args.postgres, fresh=True)
    env = environment(url, out)
    log = out / "logs" / "setup.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    pacta(env, "migrate", "--noinput", "-v", "0", log=log)
    pacta(env, "shell", "-c", USERS_SCRIPT % {"names": names, "password": PASSWORD}, log=log)
    pacta(env, "import", "agreements", str(owned_agreements(portfolio, names, out)), log=log)
    pacta(env, "import", "events", str(portfolio.events), log=log)  # evaluates every commitment it touches
    if not loaded(env, portfolio, names):  # a commitment no event touches: evaluate everything once
        pacta(env, "check", "--as-of", generate.AS_OF, log=log)
    analyze(url)
    watch_once(env, 1 if args.sqlite else len(os.sched_getaffinity(0)), log)
    analyze(url)
    return env, backend


def analyze(url: str) -> None:
    """Fresh planner statistics and visibility maps on PostgreSQL (`VACUUM ANALYZE`), as autovacuum keeps
    them in production: after loading a million rows, or another run's ingest, without them the
    planner misjudges every table (and a server for tests may run without autovacuum)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)


def watch_once(env: dict, watchers: int, log: Path) -> None:
    """The evaluation's deviations become actions: one watcher pass (`pacta watch --once`), by
    `watchers` watchers side by side (each claims its own deviations; PostgreSQL only)."""
    started = time.perf_counter()
    argv = [str(BIN / "pacta"), "watch", "--once"]
    procs = []
    with log.open("a") as sink:
        try:
            procs = [subprocess.Popen(argv, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
                     for _ in range(watchers)]
            codes = [p.wait() for p in procs]
        finally:  # interrupted: the watchers stop too (they finish their current step)
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    p.wait()
    if any(codes):
        raise SystemExit(f"pacta watch --once failed (exit {codes}); see {log}")
    print(f"  pacta watch --once ({watchers} side by side): {time.perf_counter() - started:.1f} s", flush=True)


def _safe(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urllib.parse.urlunsplit(parts)


def portfolio_for(args) -> generate.Portfolio:
    """The benchmark's portfolio files, generated unless those of the last run fit."""
    meta = args.out / generate.PORTFOLIO
    if meta.exists():
        try:
            saved = generate.Portfolio.load(meta)
        except (KeyError, TypeError, ValueError):
            saved = None
        if saved and (saved.customers, saved.seed) == (args.customers, args.seed) and saved.events.exists():
            return saved
    print(f"generating the portfolio ({args.customers:,} customers)", flush=True)
    return generate.generate(args.out, customers=args.customers, seed=args.seed)


# ---------------------------------------------------------------------------
# HTTP


class Client:
    """One user's browser: a session cookie, the CSRF token, one connection per request
    (gunicorn's sync workers close each one)."""

    def __init__(self, port: int, timeout: float = 120.0):
        self.port, self.timeout = port, timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            sent = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "en", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, data, {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()

    def sign_in(self, username: str, password: str) -> None:
        status, page, _ = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(f"GET /login/: HTTP {status}, no sign-in form")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1).decode(), "username": username,
                                       "password": password}).encode()
        status, _, headers = self.request("POST", "/login/", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/login/",
            "Origin": f"http://127.0.0.1:{self.port}"})
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"POST /login/ as {username}: HTTP {status}, not signed in")

    def get(self, kind: str, path: str) -> Sample:
        started = time.perf_counter()
        try:
            status, _, _ = self.request("GET", path)
            return Sample(kind, path, time.perf_counter() - started, status)
        except (OSError, http.client.HTTPException) as exc:
            return Sample(kind, path, time.perf_counter() - started, 0, f"{type(exc).__name__}: {exc}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(port: int, proc: subprocess.Popen, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"pacta serve ended (exit {proc.returncode}); see its log")
        try:
            status, _, _ = Client(port, timeout=30).request("GET", "/login/")
            if status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    raise SystemExit(f"pacta serve did not answer within {seconds:.0f} s")


# ---------------------------------------------------------------------------
# The ingest process: `python -m bench.load ingest ...`


class _RunCounters(generate.Counters):
    """Document numbers of this run's own: `SO-L<run>-1`, … never clash with the portfolio's or another run's."""

    def __init__(self, run: str):
        super().__init__()
        self.run = run

    def next(self, name: str, prefix: str, width: int) -> str:
        value = getattr(self, name) + 1
        setattr(self, name, value)
        return f"{prefix}-L{self.run}-{value}"


def ingest_batches(customers: int, seed: int, batch: int, run: str):
    """Endless batches of `batch` new events, each a December order to cash (and calls) of one
    random customer of the portfolio, with ids unique to the run."""
    rng = Random(seed)
    catalogue = generate.make_catalogue(rng)
    people = [generate.make_customer(rng, n, catalogue) for n in range(1, customers + 1)]  # as generate() makes them
    counters = _RunCounters(run)
    pick = Random(f"{seed}:load:{run}")
    number = 0
    while True:
        customer = pick.choice(people)
        rows = generate.customer_extra(Random(f"{seed}:load:{run}:{number}"), customer, counters, batch)
        rows.sort(key=lambda r: r[0])
        events = []
        for row in rows:
            number += 1
            event = {name: value for name, value in zip(generate.COLUMNS[1:], row[1:]) if value != ""}
            events.append({"id": f"L{run}-{number:07d}", **event})
        yield events


def ingest_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load ingest")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--rate", type=float, required=True, help="events per second")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--evaluate", choices=("now", "later", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=3600, help="stop after this long in any case")
    parser.add_argument("--log", type=Path, required=True, help="one JSON line per batch")
    args = parser.parse_args(argv)
    token = args.token_file.read_text().strip()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    interval = args.batch / args.rate
    run = dt.datetime.now().strftime("%y%m%d%H%M%S")
    modes = ("now", "later") if args.evaluate == "both" else (args.evaluate,)
    started = time.monotonic()
    with args.log.open("a") as log:
        for i, events in enumerate(ingest_batches(args.customers, args.seed, args.batch, run)):
            due = started + i * interval  # a steady rate: a slow answer is not made up for by a burst
            stopping.wait(max(0.0, due - time.monotonic()))
            if stopping.is_set() or time.monotonic() - started > args.seconds:
                break
            mode = modes[i % len(modes)]
            body = json.dumps({"source": SOURCE, "events": events}).encode()
            t = time.perf_counter()
            entry = {"at": time.time(), "events": len(events), "evaluate": mode}
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=300)
                conn.request("POST", f"/api/v1/events?evaluate={mode}", body=body, headers={
                    "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                answer = response.read()
                conn.close()
                entry["status"] = response.status
                if response.status != 200:
                    entry["error"] = answer[:300].decode(errors="replace")
            except (OSError, http.client.HTTPException) as exc:
                entry.update(status=0, error=f"{type(exc).__name__}: {exc}")
            entry["seconds"] = time.perf_counter() - t
            log.write(json.dumps(entry) + "\n")
            log.flush()
    return 0


def ingest_summary(log: Path, start: float, end: float) -> dict:
    """The batches whose answer came between `start` and `end` (time.time()): events, rate, errors."""
    entries = []
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if start <= entry["at"] + entry["seconds"] <= end:
                entries.append(entry)
    ok = [e for e in entries if e.get("status") == 200]
    events = sum(e["events"] for e in ok)
    seconds = [e["seconds"] * 1000 for e in entries]
    modes = sorted({e["evaluate"] for e in entries})
    by_mode = "evaluated " + " and ".join(
        {"now": "in the request (`evaluate=now`)", "later": "by the watcher (`evaluate=later`)"}[m] for m in modes
    ) + (" in turn" if len(modes) > 1 else "") if modes else "none"
    return {"events": events, "batches": len(entries), "errors": len(entries) - len(ok),
            "rate": events / (end - start) if end > start else 0.0, "batch_p50": percentile(seconds, 50),
            "batch_max": max(seconds) if seconds else math.nan, "by_mode": by_mode,
            "first_error": next((e.get("error", "") for e in entries if e.get("status") != 200), "")}


# ---------------------------------------------------------------------------
# The watcher's output


PASS_LINE = re.compile(r"^pass: (.*)$")


class WatcherLog:
    """Reads the watcher's output as it comes, noting when each pass was reported."""

    def __init__(self, proc: subprocess.Popen, log: Path):
        self.passes: list[tuple[float, dict[str, int]]] = []
        self.thread = threading.Thread(target=self._read, args=(proc, log), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen, log: Path) -> None:
        with log.open("w") as sink:
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                sink.write(f"{time.time():.3f} {line}\n")
                sink.flush()
                match = PASS_LINE.match(line)
                if match:
                    self.passes.append((time.time(), parse_pass(match.group(1))))

    def summary(self, start: float, end: float) -> dict:
        passes = [counts for at, counts in self.passes if start <= at <= end]
        totals: dict[str, int] = {}
        for counts in passes:
            for name, value in counts.items():
                totals[name] = totals.get(name, 0) + value
        return {"passes": len(passes), "totals": totals}


def parse_pass(summary: str) -> dict[str, int]:
    """`evaluated 12, processed 3` (PassReport.summary) as {"evaluated": 12, "processed": 3}."""
    return {name: int(value) for name, value in re.findall(r"(\w+) (\d+)", summary)}


# ---------------------------------------------------------------------------
# The run


class LoadSampler:
    """Every two seconds, in a thread: the machine's 1-minute load average and the CPU time of the
    PostgreSQL server processes of the run's database (they come and go; each is followed while it lives)."""

    def __init__(self, database_url: str = ""):
        self.values: list[float] = []
        self.database_url = database_url
        self.backends: dict[int, list[float]] = {}  # pid -> [CPU seconds when first seen, when last seen]
        self.before: set[int] = set()  # the backends that were there at the start
        self.stopping = threading.Event()
        self._sample_backends(first=True)
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stopping.wait(2.0):
            self.values.append(os.getloadavg()[0])
            self._sample_backends()

    def _sample_backends(self, first: bool = False) -> None:
        if not self.database_url.startswith(("postgres://", "postgresql://")):
            return
        try:
            import psycopg

            name = urllib.parse.urlsplit(self.database_url).path.lstrip("/")
            with psycopg.connect(self.database_url, connect_timeout=5) as conn:
                pids = [row[0] for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))]
        except Exception:  # only for the report
            return
        for pid in pids:
            seconds = process_cpu_seconds(pid)
            if seconds is None:
                continue
            self.backends.setdefault(pid, [seconds, seconds])[1] = seconds
            if first:
                self.before.add(pid)

    def stop(self) -> dict:
        self.stopping.set()
        self.thread.join()
        self._sample_backends()
        values = self.values or [os.getloadavg()[0]]
        return {"mean": sum(values) / len(values), "max": max(values)}

    def postgres_cpu_seconds(self) -> float | None:
        if not self.backends:
            return None
        return sum(last - (start if pid in self.before else 0.0) for pid, (start, last) in self.backends.items())


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of one process (from /proc), None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_users(port: int, plans: list[list[tuple[str, str]]], think: float, seed: int, clients: list[Client]
              ) -> tuple[list[Sample], float]:
    """Every user requests its pages in a thread of its own; all samples, and the wall time from the
    first request to the last answer."""
    samples: list[list[Sample]] = [[] for _ in plans]
    barrier = threading.Barrier(len(plans) + 1)

    def user(i: int) -> None:
        rng = Random(f"{seed}:think:{i}")
        barrier.wait()
        # the users do not start in step: each waits a part of one think time first
        time.sleep(rng.uniform(0, think))
        for kind, path in plans[i]:
            samples[i].append(clients[i].get(kind, path))
            if think:
                time.sleep(rng.uniform(think / 2, think * 1.5))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(plans))]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return [s for per_user in samples for s in per_user], time.perf_counter() - started


def sign_in_all(port: int, names: list[str]) -> tuple[list[Client], list[float]]:
    """Every user signs in, all at once (threads); the clients and the sign-in times."""
    clients = [Client(port) for _ in names]
    times: list[float] = [0.0] * len(names)
    failures: list[str] = []

    def sign_in(i: int) -> None:
        started = time.perf_counter()
        try:
            clients[i].sign_in(names[i], PASSWORD)
        except (RuntimeError, OSError, http.client.HTTPException) as exc:
            failures.append(f"{names[i]}: {exc}")
        times[i] = time.perf_counter() - started

    threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(len(names))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit("signing in failed: " + "; ".join(failures[:3]))
    return clients, times


def default_workers() -> int:
    from pacta.core.management.commands.serve import default_workers as pacta_default

    return pacta_default()


def machine_line(backend: str) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    software = f"Python {platform.python_version()}"
    if backend == "PostgreSQL":
        software += ", PostgreSQL " + _postgres_version()
    return (f"{cpu}, {len(os.sched_getaffinity(0))} CPUs (nproc), {mem_kb / 1024 / 1024:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}; {software}")


def _postgres_version() -> str:
    try:
        import psycopg

        url = os.environ.get("LOAD_DATABASE_URL", "")
        with psycopg.connect(url, connect_timeout=5) as conn:
            return conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception:  # only for the report
        return "?"


def measure(args, env: dict, backend: str, out: Path, procs: Processes, portfolio: generate.Portfolio) -> Run:
    names = usernames(args.users)
    logs = out / "logs"
    token_file = out / "token"
    answer = json.loads(pacta(env, "shell", "-c", TOKEN_SCRIPT).strip().splitlines()[-1])
    token_file.write_text(answer["token"])
    token_file.chmod(0o600)
    port = free_port()
    workers = args.workers or default_workers()
    load_before = os.getloadavg()[0]
    print(f"serving on 127.0.0.1:{port} ({workers} workers); the watcher and the ingest start", flush=True)
    server = procs.start("server", [str(BIN / "pacta"), "serve", "--bind", f"127.0.0.1:{port}", "--workers",
                                    str(workers), "--timeout", "120"], env, logs / "server.log")
    wait_for_server(port, server)
    watcher_proc = procs.start("watcher", [str(BIN / "pacta"), "watch", "--interval", str(args.watch_interval)],
                               env, logs / "watcher.raw.log", stdout=subprocess.PIPE)
    watcher = WatcherLog(watcher_proc, logs / "watcher.log")
    ingest_log = logs / "ingest.jsonl"
    ingest_log.write_text("")
    procs.start("ingest", [sys.executable, "-m", "bench.load", "ingest", "--port", str(port), "--token-file",
                           str(token_file), "--customers", str(args.customers), "--seed", str(args.seed),
                           "--rate", str(args.ingest_rate), "--batch", str(args.ingest_batch), "--evaluate",
                           args.ingest_evaluate, "--log", str(ingest_log)], env, logs / "ingest.log")
    clients, sign_ins = sign_in_all(port, names)
    print(f"{len(clients)} users signed in; warm-up: {args.warm_up} requests", flush=True)
    if args.warm_up:
        warm = run_users(port, plan(args.users, args.warm_up, args.customers, args.seed, offset=1), 0.0, args.seed,
                         clients)[0]
        bad = [s for s in warm if not s.ok]
        if bad:
            print(f"  {len(bad)} warm-up requests failed, e.g. {error_examples(bad, 1)}", flush=True)
    print(f"measuring: {args.requests} requests, think time {args.think:g} s", flush=True)
    cpu_start = {name: group_cpu_seconds(p.pid) for name, p in procs.running.items()}
    machine_start = machine_cpu_seconds()
    client_start = sum(os.times()[:2])
    sampler = LoadSampler(env["DATABASE_URL"])
    start = time.time()
    samples, seconds = run_users(port, plan(args.users, args.requests, args.customers, args.seed), args.think,
                                 args.seed, clients)
    end = time.time()
    load = {"before": load_before, **sampler.stop()}
    names = {"server": "web server", "watcher": "watcher", "ingest": "ingest"}
    cpu = {"machine": machine_cpu_seconds() - machine_start,
           "ours": {names[name]: group_cpu_seconds(p.pid) - cpu_start.get(name, 0.0)
                    for name, p in procs.running.items()}}
    database = sampler.postgres_cpu_seconds()
    if database is not None:
        cpu["ours"]["PostgreSQL"] = database
    cpu["ours"]["the simulated users"] = sum(os.times()[:2]) - client_start
    procs.stop("ingest")
    procs.stop("watcher")
    watcher.thread.join(timeout=10)
    procs.stop("server")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return Run(
        database=backend, customers=args.customers, events=portfolio.events_count, users=args.users, think=args.think, warm_up=args.warm_up,
        workers=workers, dashboard_cache=answer["dashboard_cache"], samples=samples, seconds=seconds, sign_ins=sign_ins,
        ingest=ingest_summary(ingest_log, start, end), watcher=watcher.summary(start, end), load=load, cpu=cpu,
        date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), commit=commit.stdout.strip() or "?",
        machine=machine_line(backend),
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ingest"]:
        return ingest_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES,
                       help=f"the PostgreSQL database to load and use (default {DEFAULT_POSTGRES}; its name must "
                            f"begin with {DATABASE_PREFIX}: it is dropped and created again unless --reuse)")
    where.add_argument("--sqlite", action="store_true", help="a SQLite file in bench/out/load instead")
    parser.add_argument("--reuse", action="store_true", help="keep the database when it holds the portfolio already")
    parser.add_argument("--customers", type=int, default=generate.DEFAULT_CUSTOMERS)
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="pages requested by all users together")
    parser.add_argument("--warm-up", type=int, default=WARM_UP, help="requests before the measured ones")
    parser.add_argument("--think", type=float, default=THINK,
                        help="a user's pause between two pages in seconds, on average (0: none)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: pacta serve's)")
    parser.add_argument("--watch-interval", type=float, default=10.0,
                        help="the watcher's pause after a pass with nothing to do")
    parser.add_argument("--ingest-rate", type=float, default=10.0, help="events per second posted to the API")
    parser.add_argument("--ingest-batch", type=int, default=20, help="events per request")
    parser.add_argument("--ingest-evaluate", choices=("now", "later", "both"), default="both",
                        help="who evaluates what the events touch: the request, the watcher, or each in turn")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--write-docs", action="store_true", help="write the figures into docs/benchmarks.md")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only load the database (e.g. to profile pages against it), serve nothing")
    args = parser.parse_args(argv)
    if args.users < 1 or args.requests < 1 or args.ingest_rate <= 0 or args.ingest_batch < 1:
        parser.error("--users, --requests, --ingest-rate and --ingest-batch must be positive")
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacta.settings")

    portfolio = portfolio_for(args)
    env, backend = prepare(args, portfolio, args.out)
    os.environ["LOAD_DATABASE_URL"] = env["DATABASE_URL"]
    if args.prepare_only:
        return 0
    procs = Processes()
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run = measure(args, env, backend, args.out, procs, portfolio)
    finally:
        procs.stop_all()
        signal.signal(signal.SIGTERM, previous)
    section = report(run)
    print()
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"\nwritten to {DOCS.relative_to(ROOT)}")
    stats = summarise(run.samples)[-1]
    return 0 if stats.errors == 0 and run.ingest["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
