"""`pacta export`: agreements as a YAML agreement file, events as CSV or XLSX.

    pacta export agreements [--out FILE]
    pacta export events [--format csv|xlsx] [--out FILE] [--party CODE] [--source S]

Both write what `pacta import` reads back: exporting and importing again
changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pacta.core.imports import CANONICAL_COLUMNS, NUMBER_COLUMNS
from pacta.lib.tabular import safe_text_columns


def _plain_number(name: str) -> pl.Expr:
    # "12.500000" -> "12.5", "3.000000" -> "3" (a frame's decimals always carry their point).
    return pl.col(name).cast(pl.Utf8).str.replace(r"0+$", "").str.replace(r"\.$", "").alias(name)


def _moment(name: str, date_only: str) -> pl.Expr:
    return (
        pl.when(pl.col(date_only)).then(pl.col(name).dt.strftime("%Y-%m-%d"))
        .otherwise(pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S%.f+00:00"))
        .alias(name)
    )


def events_table(frame: pl.DataFrame) -> pl.DataFrame:
    """Events in the canonical columns of an event file, as text."""
    return frame.select(
        "id", "kind", "party", _moment("at", "date_only"), "ref", "product",
        *(_plain_number(n) for n in NUMBER_COLUMNS), "currency", _moment("due", "due_date_only"),
        pl.when(pl.col("force_majeure")).then(pl.lit("true")).alias("force_majeure"),
    ).select(CANONICAL_COLUMNS)


def write_xlsx(table: pl.DataFrame, path: Path) -> None:
    """One sheet, header first; numbers as exact decimals, moments as ISO text."""
    from decimal import Decimal

    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("events")
    sheet.append(list(table.columns))
    numbers = [table.columns.index(n) for n in NUMBER_COLUMNS]
    for row in table.iter_rows():
        cells = list(row)
        for i in numbers:
            if cells[i] is not None:
                cells[i] = Decimal(cells[i])
        sheet.append(cells)
    workbook.save(path)


class Command(BaseCommand):
    help = "Export agreements (YAML) or events (CSV or XLSX)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True, metavar="{agreements,events}")
        agreements = sub.add_parser("agreements", help="All agreements as one YAML agreement file.")
        agreements.add_argument("--out", metavar="FILE", help="Write to FILE instead of standard output.")
        events = sub.add_parser("events", help="Events in the canonical columns of an event file.")
        events.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        events.add_argument("--out", metavar="FILE", help="Write to FILE (required for xlsx).")
        events.add_argument("--party", action="append", default=[], metavar="CODE", help="Only this party; repeatable.")
        events.add_argument("--source", help="Only events of this source.")

    def handle(self, *args, **options):
        if options["what"] == "agreements":
            self.export_agreements(options)
        else:
            self.export_events(options)

    def export_agreements(self, options) -> None:
        from pacta.core.agreement_files import export_agreements

        self.write_text(export_agreements(), options["out"])

    def export_events(self, options) -> None:
        from pacta.core.evaluation import select_events

        if options["format"] == "xlsx" and not options["out"]:
            raise CommandError(_("An XLSX export needs --out FILE."))
        where, params = ["1 = 1"], []
        if options["party"]:
            where.append(f"p.code IN ({', '.join(['%s'] * len(options['party']))})")
            params += options["party"]
        if options["source"]:
            where.append("e.source = %s")
            params.append(options["source"])
        table = events_table(select_events(" AND ".join(where), params).sort("at", "id"))
        table = safe_text_columns(table, numbers=NUMBER_COLUMNS)  # no formulas from a reference or name
        if options["format"] == "xlsx":
            write_xlsx(table, Path(options["out"]))
        else:
            self.write_text(table.write_csv(), options["out"])
        if options["out"]:
            self.stderr.write(_("%(count)s events written to %(path)s.") % {"count": len(table), "path": options["out"]})

    def write_text(self, text: str, out: str | None) -> None:
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
