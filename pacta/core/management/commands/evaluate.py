"""`pacta check`: judge the commitments as of a moment.

File mode (`--agreements`) reads an agreement file and event files and touches
no database at all; database mode (no `--agreements`) evaluates every stored
commitment and stores the verdicts. Both print a table per agreement (colour on
a terminal) or, with `--format json`, the document of COMMITMENTS.md section 5.

Exit codes: 0 when no commitment is broken, 1 when one is, 2 on bad input
(reported as `FILE:LINE: field: what is wrong` on stderr, every problem at
once, and nothing is evaluated).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from pacta.core.commitments.base import Result, money_to_json
from pacta.core.imports import ImportErrors, ImportIssue, docs_to_specs, parse_agreements, read_events

EXIT_BAD_INPUT = 2


def parse_as_of(text: str) -> dt.datetime:
    """An ISO timestamp with its offset (`2025-12-31T23:59:59+01:00`, or `Z`)."""
    value = text.strip()
    if re.search(r"[Zz]$", value):
        value = value[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value.upper():
        raise CommandError(_("--as-of needs a timestamp with its offset, e.g. 2025-12-31T23:59:59+01:00: %(value)s")
                           % {"value": text}, returncode=EXIT_BAD_INPUT)
    return moment


def check_files(agreements: str | Path, events: list[str | Path], as_of: dt.datetime) -> list[Result]:
    """File mode: evaluate the agreements of one YAML file against event files.

    Reads and validates every file first; raises `ImportErrors` with the
    problems of all files together, before anything is evaluated.
    """
    import polars as pl

    from pacta.core.commitments._scope import paused_gc
    from pacta.core.commitments.base import EVENT_SCHEMA
    from pacta.core.engine import evaluate

    # The event files are read while the agreement file is parsed: polars reads without
    # holding the GIL, so on two cores most of the reading is hidden behind the YAML. The
    # parse builds hundreds of thousands of objects without cycles: collecting while it runs
    # took more than half of its time.
    with paused_gc(), ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(_in_language(translation.get_language(), _read_event_files), events)
        docs, issues = _read_agreements(agreements)
        frames, event_issues = reading.result()
    if issues or event_issues:
        raise ImportErrors(issues + event_issues)
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=EVENT_SCHEMA)
    return evaluate(docs_to_specs(docs), frame, as_of)


def _read_agreements(path: str | Path) -> tuple[list, list[ImportIssue]]:
    try:
        return parse_agreements(Path(path).read_text(encoding="utf-8"), str(path)), []
    except ImportErrors as exc:
        return [], exc.issues
    except (OSError, UnicodeDecodeError) as exc:
        return [], [ImportIssue(str(path), 1, "", _("Cannot read the file: %(error)s.") % {"error": exc})]


def _read_event_files(paths: list[str | Path]) -> tuple[list, list[ImportIssue]]:
    frames, issues = [], []
    for path in paths:
        try:
            # Each file is its own source: ids need to be unique within a file only.
            frames.append(read_events(Path(path), filename=str(path), event_source=Path(path).name))
        except ImportErrors as exc:
            issues += exc.issues
        except OSError as exc:
            issues.append(ImportIssue(str(path), 1, "", _("Cannot read the file: %(error)s.") % {"error": exc}))
    return frames, issues


def _in_language(language: str | None, func: Callable):
    """`func` run in `language` (the active language is per thread)."""
    def run(*args, **kwargs):
        with translation.override(language):
            return func(*args, **kwargs)
    return run


# ---------------------------------------------------------------------------
# Human-readable output


def _status_labels() -> dict[str, str]:
    """Commitment statuses and their labels in the active language (looked up once per table)."""
    from pacta.core.models import Commitment

    return {value: str(label) for value, label in Commitment.Status.choices}


def _instance_labels() -> dict[str, str]:
    from pacta.core.models import Instance

    return {value: str(label) for value, label in Instance.Status.choices}


def _counts_text(counts: dict[str, int], labels: dict[str, str]) -> str:
    return ", ".join(f"{n} {labels.get(s, s)}" for s, n in counts.items() if n) or "–"


def _money_text(result: Result) -> str:
    parts = []
    for item in result.money:
        m = money_to_json(item)
        payer = _("we pay") if m["payer"] == "us" else _("they pay")
        parts.append(f"{m['kind']} {m['amount']} {m['currency']} ({m['state']}, {payer})")
    return "; ".join(parts)


def render_text(results: list[Result], as_of: dt.datetime, style) -> str:
    """A table per agreement: commitment, type, status (coloured), counts, money; the explanation below."""
    paint = {"broken": style.ERROR, "at_risk": style.WARNING, "kept": style.SUCCESS}
    by_agreement: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        by_agreement[(r.agreement, r.party)].append(r)
    statuses, instance_statuses = _status_labels(), _instance_labels()
    lines = [_("As of %(as_of)s") % {"as_of": as_of.isoformat()}, ""]
    for (agreement, party), rows in by_agreement.items():
        lines.append(style.MIGRATE_HEADING(f"{agreement} · {party}"))
        width_id = max(len(r.commitment) for r in rows)
        width_type = max(len(r.type) for r in rows)
        for r in rows:
            label = statuses.get(r.status, r.status)
            status = paint.get(r.status, lambda s: s)(label.ljust(9))
            counts = _counts_text(r.counts, instance_statuses)
            row = f"  {r.commitment.ljust(width_id)}  {r.type.ljust(width_type)}  {status}  {counts}"
            money = _money_text(r)
            lines.append(row + (f"  {money}" if money else ""))
            if r.explanation:
                lines.append(f"      {r.explanation}")
        lines.append("")
    totals: dict[str, int] = defaultdict(int)
    for r in results:
        totals[r.status] += 1
    summary = ", ".join(f"{totals[s]} {statuses.get(s, s)}" for s in ("kept", "open", "at_risk", "broken") if totals[s])
    lines.append(_("%(count)s commitments: %(summary)s.") % {"count": len(results), "summary": summary or "–"})
    return "\n".join(lines)


def write_json(results: list[Result], as_of: dt.datetime, write: Callable[[str], object]) -> None:
    """Write the document of COMMITMENTS.md section 5 (what `engine.results_to_json` builds)
    with one result per line: valid JSON, readable in a diff, written one result at a time
    (`result_json_text`), so that neither the document nor a dict per instance (half a
    million) is ever built. An indented dump would go through json's pure-Python encoder,
    ten times slower."""
    from pacta.core.commitments._scope import paused_gc
    from pacta.core.commitments.base import result_json_text

    write('{"as_of": %s,\n "results": [\n ' % json.dumps(as_of.isoformat()))
    separator = ""
    with paused_gc():  # many small strings, no cycles; the results themselves stay alive
        for result in results:
            write(separator + result_json_text(result))
            separator = ",\n "
    write("]}\n")


def exit_code(results: list[Result]) -> int:
    from pacta.core.engine import exit_code as engine_exit_code

    return engine_exit_code(results)


class Command(BaseCommand):
    help = "Evaluate the commitments as of a moment: from files (--agreements, --events) or the database."
    # File mode must work without a database: no system checks, no migration check.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--agreements", metavar="FILE.yaml",
                            help="File mode: the YAML agreement file (no database is used).")
        parser.add_argument("--events", metavar="FILE", action="append", default=[],
                            help="File mode: an event file (.csv or .xlsx); repeat for more.")
        parser.add_argument("--as-of", metavar="TIMESTAMP",
                            help="Judge as of this moment (ISO 8601 with offset); default now.")
        parser.add_argument("--format", choices=("text", "json"), default="text", help="Output format.")

    def handle(self, *args, **options):
        try:
            code = self.run(options)
        except ImportErrors as exc:
            self.stderr.write(str(exc))
            code = EXIT_BAD_INPUT
        if code:
            sys.exit(code)

    def run(self, options) -> int:
        as_of = parse_as_of(options["as_of"]) if options["as_of"] else None
        if options["agreements"]:
            if as_of is None:
                as_of = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
            results = check_files(options["agreements"], options["events"], as_of)
        else:
            if options["events"]:
                raise CommandError(_("--events needs --agreements (file mode); import events with pacta import events."),
                                   returncode=EXIT_BAD_INPUT)
            results, as_of = self.run_database(as_of)
        self.print_results(results, as_of, options["format"])
        return exit_code(results)

    def run_database(self, as_of: dt.datetime | None) -> tuple[list[Result], dt.datetime]:
        from pacta.core.evaluation import evaluate_and_store
        from pacta.core.management.progress import bar

        with bar(_("Evaluating"), unit="commitments") as progress:
            summary = evaluate_and_store(as_of=as_of, progress=progress)
        if summary.skipped_drafts:
            self.stderr.write(_("%(count)s commitments of draft agreements were not evaluated.")
                              % {"count": summary.skipped_drafts})
        for error in summary.errors:
            self.stderr.write(_("Not evaluated: %(error)s") % {"error": error})
        return summary.results, summary.as_of

    def print_results(self, results: list[Result], as_of: dt.datetime, fmt: str) -> None:
        if fmt == "json":
            write_json(results, as_of, lambda text: self.stdout.write(text, ending=""))
        else:
            self.stdout.write(render_text(results, as_of, self.style))
