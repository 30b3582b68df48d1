"""Event ingestion through the REST API: events per second, 10,000-event batches, SQLite.

What is measured: an ERP posting its events to `POST /api/v1/events` in batches
of 10,000, one after the other, through the real HTTP stack — gunicorn serving
pacta on 127.0.0.1 with a fresh SQLite database — each batch validated,
stored and its touched commitments re-evaluated before the answer comes
back (`evaluate=now`, the default), or marked due for the watcher
(`evaluate=later`, how a long history is loaded). The figure is all events sent divided by the wall time from the first
request to the last answer.

The portfolio is `bench.generate`'s (seeded): `--customers` customer
agreements with ten commitments each and about 1,000 events per customer over
2025, posted in time order as an ERP export would send them. The database
steps run as of 2026-01-01 (`PACTA_CLOCK`), like `make bench`.

The run is bounded: at most `--batches` batches and `--seconds` of posting,
then the server is stopped. It writes its figure into docs/benchmarks.md
between the `api-ingest` markers (`--no-docs` leaves the page alone).

Run: `python -m bench.api_ingest [--customers 150] [--batches 10] [--seconds 300] [--no-docs]`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- api-ingest:begin -->", "<!-- api-ingest:end -->"
BIN = Path(sys.executable).parent
BATCH = 10_000
TARGET = 20_000  # events per second (issue 6)
TOKEN_SCRIPT = """
from pacta.accounts.models import Role, User
from pacta.core.actions.api import do_create_api_token
user = User.objects.create_user("erp", role=Role.MANAGER)
print(do_create_api_token(acting_user=user, name="benchmark", scopes=["events"])[1])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pacta(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN / "pacta"), *args], env=env, cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=1800)
    if done.returncode:
        raise SystemExit(f"pacta {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(out: Path, customers: int) -> tuple[dict, Path]:
    """A fresh database with the portfolio's agreements and a token; returns the environment and the events file."""
    portfolio = generate.generate(out, customers=customers)
    db = out / "api.sqlite3"
    for path in out.glob("api.sqlite3*"):
        path.unlink()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PACTA_VAR_DIR": str(out / "var"),
           "PACTA_CLOCK": generate.AS_OF, "DEBUG": "0",
           "SECRET_KEY": "benchmark", "SITE_URL": "http://127.0.0.1"}
    pacta(env, "migrate", "-v", "0")
    pacta(env, "import", "agreements", str(out / "agreements.yaml"))
    env["BENCH_TOKEN"] = pacta(env, "shell", stdin=TOKEN_SCRIPT).strip().splitlines()[-1]
    print(f"portfolio: {portfolio.customers if hasattr(portfolio, 'customers') else customers} customers",
          file=sys.stderr)
    return env, out / "events.csv"


def batches(events_csv: Path, limit: int):
    """The file's rows as JSON events, 10,000 a batch, in file (time) order; empty cells left out."""
    with events_csv.open(newline="") as f:
        batch = []
        for row in csv.DictReader(f):
            batch.append({k: v for k, v in row.items() if v != ""})
            if len(batch) == BATCH:
                yield batch
                batch = []
                limit -= 1
                if not limit:
                    return
        if batch:
            yield batch


def serve(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "pacta.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--timeout", "300", "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def post(port: int, token: str, events: list[dict], evaluate: str) -> dict:
    body = json.dumps({"source": "erp", "events": events}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events?evaluate={evaluate}", data=body,
                                     method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def measure(env: dict, events_csv: Path, max_batches: int, max_seconds: float, evaluate: str) -> dict:
    port = free_port()
    server = serve(env, port)
    sent, times, evaluated = 0, [], 0
    try:
        bodies = list(batches(events_csv, max_batches + 1))  # read before the clock starts
        # The first batch warms the server up (imports, polars' first frames) and is not timed.
        warm_up = post(port, env["BENCH_TOKEN"], bodies.pop(0), evaluate)
        print(f"warm-up batch: {warm_up['rows']} events", file=sys.stderr)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        for events in bodies:
            t = time.perf_counter()
            answer = post(port, env["BENCH_TOKEN"], events, evaluate)
            times.append(time.perf_counter() - t)
            sent += answer["rows"]
            evaluated += (answer.get("evaluation") or {}).get("evaluated", 0)
            print(f"batch {len(times)}: {answer['rows']} events in {times[-1]:.2f} s "
                  f"({evaluated} commitments re-evaluated so far)", file=sys.stderr)
            if time.perf_counter() - started > max_seconds:
                break
        total = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {"events": sent, "batches": len(times), "seconds": total, "fastest": min(times), "slowest": max(times),
            "evaluated": evaluated, "rate": sent / total, "load": load}


MODES = {
    "now": "re-evaluated inside each request (the default, `evaluate=now`)",
    "later": "marked due for the watcher (`evaluate=later`, for loading a history)",
}


def report(results: dict[str, dict], customers: int) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    lines = [
        f"Measured on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC at commit `{commit.stdout.strip()}` "
        "by `python -m bench.api_ingest`.",
        "",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; gunicorn, 1 worker, on 127.0.0.1",
        f"- Portfolio: `bench.generate` with {customers} customers (ten commitments each), events posted in "
        "time order, after one untimed warm-up batch; as of " + generate.AS_OF,
        "- Load: the machine's 1-minute load average as the timed batches started (above the CPU count, other "
        "work competed for the CPUs)",
        "",
        "| touched commitments | events | batches | wall time | fastest / slowest batch | commitments "
        "re-evaluated | load | **events per second** | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for mode, r in results.items():
        met = "met" if r["rate"] >= TARGET else "**missed**"
        lines.append(
            f"| {MODES[mode]} | {r['events']:,} | {r['batches']} | {r['seconds']:.2f} s | "
            f"{r['fastest']:.2f} s / {r['slowest']:.2f} s | {r['evaluated']:,} | {r['load']:.1f} | **{r['rate']:,.0f}** | "
            f"at least {TARGET:,} | {met} |")
    return "\n".join(lines)


def write_docs(section: str) -> None:
    text = DOCS.read_text()
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Event ingestion through the API\n\n" + INTRO + "\n\n" + block + "\n"
    DOCS.write_text(text)


INTRO = (
    "`python -m bench.api_ingest` posts the synthetic portfolio's events to `POST /api/v1/events` in batches "
    "of 10,000, one after the other, through gunicorn on 127.0.0.1 with a fresh SQLite database. Each answer "
    "comes after its batch is validated row by row, stored (all or nothing, idempotent by source and id) and "
    "the commitments it touches are re-evaluated — or, with `evaluate=later`, marked due for the watcher's next "
    "pass. The figure is the events sent divided by the wall time from the first request to the last answer. The run is bounded (`--batches`, `--seconds`) and stops the server "
    "by itself. It is not part of `make test`."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=150)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--out", type=Path, default=generate.OUT_DIR / "api")
    parser.add_argument("--evaluate", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for mode in args.evaluate:
        env, events_csv = prepare(args.out, args.customers)  # a fresh database for each mode
        results[mode] = measure(env, events_csv, args.batches, args.seconds, mode)
    section = report(results, args.customers)
    print(section)
    if not args.no_docs:
        write_docs(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
