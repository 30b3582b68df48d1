"""Run a `pacta` command and print, at exit, where its time went.

`python -m bench.timed check --agreements A.yaml --events E.csv ...` is `pacta check ...`
with wrappers around its main phases (reading files, evaluating each commitment type,
loading and storing in database mode, writing the output) that add up their wall time.
At exit one line per phase goes to stderr:

    bench-phase <seconds> <calls> <phase>

The runner reads them from the step's log. Phases nest (an evaluation contains its
types), so they do not add up to the total. A phase whose function does not exist
(any more) is simply not reported: this is a measuring tool, not a contract.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import os
import sys
import time
from collections import defaultdict

TOTALS: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

# (module, attribute path, phase name); patched before the commands import them
FUNCTIONS = (
    ("pacta.core.imports", "parse_agreements", "read agreements (YAML)"),
    ("pacta.core.imports", "docs_to_specs", "agreements to specs"),
    ("pacta.core.imports", "read_events", "read events (CSV)"),
    ("pacta.core.engine", "evaluate", "engine: evaluate"),
    ("pacta.core.watch", "take_snapshots", "db: watch: snapshot of the stored verdicts"),
    ("pacta.core.watch", "record_evaluation_changes", "db: watch: record deviations"),
    ("pacta.core.watch", "record_verdict_changes", "db: watch: record deviations (frames)"),
    ("pacta.core.engine", "results_to_json", "output: results to JSON dicts"),
    ("pacta.core.evaluation", "evaluate_and_store", "db: evaluate and store"),
    ("pacta.core.evaluation", "reevaluate_touched", "db: re-evaluate touched"),
    ("pacta.core.evaluation", "events_frame", "db: load events"),
    ("pacta.core.evaluation", "_pair_specs", "db: specs from the register"),
    ("pacta.core.evaluation", "_store", "db: store verdicts"),
    ("pacta.core.evaluation", "_stored_instances", "db: read the stored instances"),
    ("pacta.core.evaluation", "_stored_rows", "db: read the stored instances"),
    ("pacta.core.actions.events", "do_import_events", "db: import events (all)"),
    ("pacta.core.actions.events", "_insert", "db: insert events"),
    ("pacta.core.actions.events", "_stored_events", "db: look up stored ids"),
    ("pacta.core.agreement_files", "import_agreements", "db: import agreements"),
)
# (module, class, method, phase name); patched after the modules are imported
METHODS = (
    ("pacta.core.management.commands.evaluate", "Command", "print_results", "output: write"),
)


def _timed(name: str, func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            total = TOTALS[name]
            total[0] += time.perf_counter() - started
            total[1] += 1

    return wrapper


def _patch(module_name: str, owner_path: str, attribute: str, name: str) -> None:
    try:
        owner = importlib.import_module(module_name)
    except ImportError:
        return
    for part in filter(None, owner_path.split(".")):
        owner = getattr(owner, part, None)
    if owner is not None and callable(getattr(owner, attribute, None)):
        setattr(owner, attribute, _timed(name, getattr(owner, attribute)))


def install() -> None:
    """Wrap the phases; per-type evaluation is wrapped on each registered type."""
    # In FUNCTIONS' order: a module that imports another's function by name must
    # be imported after that function is wrapped.
    for module_name, attribute, name in FUNCTIONS:
        _patch(module_name, "", attribute, name)
    from pacta.core.commitments import REGISTRY

    for type_name, ctype in REGISTRY.items():
        ctype.evaluate_many = _timed(f"engine: {type_name}", ctype.evaluate_many)
    for module_name, cls, method, name in METHODS:
        _patch(module_name, cls, method, name)


def report() -> None:
    for name, (seconds, calls) in TOTALS.items():
        print(f"bench-phase {seconds:.3f} {calls} {name}", file=sys.stderr)
    sys.stderr.flush()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacta.settings")
    import django

    django.setup()
    install()
    atexit.register(report)
    from pacta.cli import main as pacta_main

    pacta_main(["pacta", *sys.argv[1:]])


if __name__ == "__main__":
    main()
