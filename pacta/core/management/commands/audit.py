"""`pacta audit`: the top-customers audit (pacta.core.audit_top).

    pacta audit [--top 10] [--from DATE] [--to DATE] [--as-of TIMESTAMP] [--pdf FILE]
                [--open-actions] [--user USERNAME] [--format text|json]

Takes the largest customers by revenue in the period (default: the twelve
months up to *as of*), checks that each one's promises are registered and
kept, stores the report (it shows on the web page of audits), and prints it;
`--pdf` also writes it as a PDF for the sales team, `--open-actions` opens an
action per gap (never twice for the same gap), recorded as done by `--user`.
Exit code 0; 2 on bad input.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pacta.core.management.commands.evaluate import EXIT_BAD_INPUT, parse_as_of


def parse_day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("%(option)s needs a date such as 2025-01-31: %(value)s") % {"option": option,
                                                                                         "value": text},
                           returncode=EXIT_BAD_INPUT) from None


class Command(BaseCommand):
    help = "Audit the largest customers' special agreements: registered, executed, deviations, actions."

    def add_arguments(self, parser):
        parser.add_argument("--top", type=int, default=10, help="How many customers (default 10).")
        parser.add_argument("--from", dest="start", metavar="DATE", help="Revenue from this day (default: a year "
                                                                        "before --to).")
        parser.add_argument("--to", dest="end", metavar="DATE", help="Revenue up to this day (default: as of).")
        parser.add_argument("--as-of", metavar="TIMESTAMP", help="Judge the promises as of this moment (ISO 8601 "
                                                                 "with offset); default now.")
        parser.add_argument("--pdf", metavar="FILE", help="Also write the report as a PDF file.")
        parser.add_argument("--open-actions", action="store_true", help="Open an action for each gap.")
        parser.add_argument("--user", metavar="USERNAME", help="Who runs the audit (for the audit log and actions).")
        parser.add_argument("--format", choices=("text", "json"), default="text", help="Output format.")

    def handle(self, *args, **options):
        from pacta.core.actions.review import do_run_top_audit

        if options["top"] < 1:
            raise CommandError(_("--top must be at least 1."), returncode=EXIT_BAD_INPUT)
        start = parse_day(options["start"], "--from") if options["start"] else None
        end = parse_day(options["end"], "--to") if options["end"] else None
        if start and end and start > end:
            raise CommandError(_("--from is after --to."), returncode=EXIT_BAD_INPUT)
        as_of = parse_as_of(options["as_of"]) if options["as_of"] else None
        user = self.user(options["user"])
        report = do_run_top_audit(acting_user=user, top=options["top"], period_start=start, period_end=end,
                                  as_of=as_of, open_actions=options["open_actions"])
        if options["pdf"]:
            from pacta.core.audit_top import report_pdf

            Path(options["pdf"]).write_bytes(report_pdf(report.result))
        if options["format"] == "json":
            self.stdout.write(json.dumps({"report": report.pk, **report.result}, ensure_ascii=False, indent=1))
        else:
            self.write_text(report)

    def user(self, username: str | None):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user %(name)s.") % {"name": username}, returncode=EXIT_BAD_INPUT)
        return user

    def write_text(self, report) -> None:
        from pacta.core.audit_top import gap_label, report_title, summary_sentence

        result = report.result
        title, subtitle = report_title(result)
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        self.stdout.write(subtitle)
        self.stdout.write("")
        for customer in result["customers"]:
            share = f" ({customer['share']} %)" if customer["share"] else ""
            self.stdout.write(self.style.MIGRATE_LABEL(
                f"{customer['rank']:>2}. {customer['name']} ({customer['party']})  "
                f"{customer['revenue']} {customer['currency']}{share}"))
            for gap in customer["gaps"]:
                self.stdout.write("    " + self.style.ERROR(gap_label(gap["kind"])))
            for p in customer["promises"]:
                gaps = ", ".join(gap_label(g["kind"]) for g in p["gaps"])
                line = f"    {p['agreement']}/{p['key']}  {p['title']}"
                self.stdout.write(line + ("  " + self.style.ERROR(gaps) if gaps else "  " + self.style.SUCCESS(_("ok"))))
        self.stdout.write("")
        self.stdout.write(summary_sentence(result))
        actions = result.get("actions", [])
        if actions:
            opened = sum(1 for a in actions if a["opened"])
            self.stdout.write(_("Actions: %(opened)s opened, %(open)s open already.") % {
                "opened": opened, "open": len(actions) - opened})
        self.stdout.write(_("Report %(id)s stored.") % {"id": report.pk})
