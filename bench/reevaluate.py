"""Benchmark step: re-evaluate only the commitments that a batch of new events touches.

Reads the parties and kinds of the batch's file (the events themselves are already
imported), then times `pacta.core.evaluation.reevaluate_touched` on its own and prints
"reevaluated N commitments in S s" (the runner reads it; the process's wall time includes
Django's start-up as well).

Run with the benchmark database in DATABASE_URL:
`python -m bench.reevaluate --events bench/out/events_more.csv --as-of TS`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import time
from pathlib import Path


def parties_and_kinds(path: Path) -> tuple[set[str], set[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["party"] for r in rows}, {r["kind"] for r in rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, required=True, help="the batch's event file")
    parser.add_argument("--as-of", required=True, help="ISO timestamp with offset")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacta.settings")
    import django

    django.setup()
    from pacta.core.evaluation import reevaluate_touched
    from pacta.core.models import Party

    codes, kinds = parties_and_kinds(args.events)
    party_ids = list(Party.objects.filter(code__in=codes).values_list("pk", flat=True))
    started = time.perf_counter()
    summary = reevaluate_touched(party_ids, kinds, as_of=dt.datetime.fromisoformat(args.as_of))
    seconds = time.perf_counter() - started
    print(f"reevaluated {summary.evaluated} commitments in {seconds:.2f} s "
          f"({len(party_ids)} parties, kinds {', '.join(sorted(kinds))})")


if __name__ == "__main__":
    main()
