"""`pacta coverage`: which supplier promises back our customer promises, and the gaps.

    pacta coverage [--customer CODE ...] [--supplier CODE ...] [--gaps-only] [--include-ended]
                   [--format table|json|csv]

One line per customer promise and supplier (pacta.core.coverage explains the
checks). The table shows each gap's sentence under its line; JSON is the whole
coverage document; CSV has one row per promise and supplier. Exit code 0.
"""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

FORMATS = ("table", "json", "csv")


def cover_lines(result):
    """(row, cover or None) pairs: one per customer promise and supplier, or the promise alone when it buys nothing in."""
    for row in result.rows:
        if not row.covers:
            yield row, None
        for cover in row.covers:
            yield row, cover


def _promises(cover) -> str:
    if cover is None:
        return ""
    found = cover.linked or cover.suggested
    mark = "" if cover.linked else " (" + _("suggested") + ")"
    return ", ".join(f"{c.agreement.reference}/{c.key}" for c in found) + (mark if found else "")


class Command(BaseCommand):
    help = "Show which supplier promises cover our customer promises (back-to-back), and the gaps."

    def add_arguments(self, parser):
        parser.add_argument("--customer", action="append", metavar="CODE", help="Only this customer (repeatable).")
        parser.add_argument("--supplier", action="append", metavar="CODE", help="Only this supplier (repeatable).")
        parser.add_argument("--gaps-only", action="store_true", help="Only the customer promises with a gap.")
        parser.add_argument("--include-ended", action="store_true", help="Also the promises of ended agreements.")
        parser.add_argument("--format", choices=FORMATS, default="table", help="Output format (default: table).")

    def handle(self, *args, **options):
        from pacta.core.coverage import coverage

        result = coverage(customers=options["customer"], suppliers=options["supplier"],
                          include_ended=options["include_ended"], only_gaps=options["gaps_only"])
        {"json": self.write_json, "csv": self.write_csv}.get(options["format"], self.write_table)(result)

    def write_json(self, result) -> None:
        self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=1))

    def write_csv(self, result) -> None:
        writer = csv.writer(self.stdout)
        writer.writerow(["party", "agreement", "commitment", "type", "title", "supplier", "state",
                         "covered_by", "gaps", "gap_details"])
        for row, cover in cover_lines(result):
            c = row.commitment
            writer.writerow([
                c.agreement.party.code, c.agreement.reference, c.key, c.type, row.title,
                cover.supplier.code if cover else "", cover.state if cover else row.state, _promises(cover),
                " ".join(g.kind for g in cover.gaps) if cover else "",
                " | ".join(g.text for g in cover.gaps) if cover else "",
            ])

    def write_table(self, result) -> None:
        paint = {"gap": self.style.ERROR, "unchecked": self.style.WARNING, "covered": self.style.SUCCESS}
        if not result.rows:
            self.stdout.write(_("No customer promise depends on a supplier (on-time delivery, volume or "
                                "conditional price on products bought in)."))
            return
        for row, cover in cover_lines(result):
            c = row.commitment
            state = cover.state if cover else row.state
            word = cover.state_word if cover else row.state_word
            supplier = f"{cover.supplier.name} ({cover.supplier.code})" if cover else "—"
            self.stdout.write(f"{c.agreement.reference}/{c.key}  {supplier}  {paint.get(state, str)(word)}  "
                              f"{_promises(cover)}".rstrip())
            for gap in cover.gaps if cover else []:
                self.stdout.write(f"    {gap.label}: {gap.text}")
        counts = result.counts()
        self.stdout.write("")
        self.stdout.write(_("%(rows)s customer promises: %(gap)s with a gap, %(unchecked)s not fully checked, "
                            "%(covered)s covered, %(none)s buying nothing in.") % {
            "rows": len(result.rows), "gap": counts["gap"], "unchecked": counts["unchecked"],
            "covered": counts["covered"], "none": counts["not_needed"]})
