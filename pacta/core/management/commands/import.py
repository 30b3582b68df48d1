"""`pacta import`: events, agreements or the Northwind sample into the register.

    pacta import events FILE [--mapping NAME] [--source S]
    pacta import agreements FILE.yaml
    pacta import northwind DIR

Every import is all or nothing; problems are printed as
`FILE:LINE: field: what is wrong` on stderr (exit code 2), all at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from pacta.core.imports import ImportErrors
from pacta.core.management.progress import bar

EXIT_BAD_INPUT = 2


def load_mapping(name: str) -> dict:
    """A saved `ColumnMapping` as read_events takes it."""
    from pacta.core.models import ColumnMapping

    mapping = ColumnMapping.objects.filter(name=name).first()
    if mapping is None:
        names = ", ".join(ColumnMapping.objects.values_list("name", flat=True)) or _("none saved yet")
        raise CommandError(_("No column mapping %(name)s; the saved ones are: %(names)s.")
                           % {"name": name, "names": names}, returncode=EXIT_BAD_INPUT)
    return {"mapping": mapping.mapping, "options": mapping.options}


def lost_database(exc: Exception) -> str:
    error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return "\n".join([
        _("The database connection was lost: %(error)s") % {"error": error},
        _("An import is all or nothing: run it again once the database is back (what was stored already counts "
          "as unchanged)."),
    ])


class Command(BaseCommand):
    help = "Import events (CSV/XLSX), agreements (YAML) or the Northwind sample data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True, metavar="{events,agreements,northwind}")
        events = sub.add_parser("events", help="Import an event file (.csv or .xlsx).")
        events.add_argument("file", metavar="FILE")
        events.add_argument("--mapping", metavar="NAME", help="A saved column mapping for another layout.")
        events.add_argument("--source", default="import",
                            help="The events' source; ids are unique per source (default: import).")
        agreements = sub.add_parser("agreements", help="Import a YAML agreement file.")
        agreements.add_argument("file", metavar="FILE.yaml")
        northwind = sub.add_parser("northwind", help="Import the Northwind sample data from a directory.")
        northwind.add_argument("directory", metavar="DIR")

    def handle(self, *args, **options):
        handler = {"events": self.import_events, "agreements": self.import_agreements,
                   "northwind": self.import_northwind}[options["what"]]
        try:
            handler(options)
        except ImportErrors as exc:
            self.stderr.write(str(exc))
            self.stderr.write(_("Nothing was imported."))
            sys.exit(EXIT_BAD_INPUT)
        except (OperationalError, InterfaceError) as exc:
            # The database went away (restarted, unreachable): no traceback, but what to do.
            raise CommandError(lost_database(exc)) from None

    def import_events(self, options) -> None:
        from pacta.core.actions.events import do_import_events
        from pacta.core.imports import read_events
        from pacta.core.models import Party

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=EXIT_BAD_INPUT)
        mapping = load_mapping(options["mapping"]) if options["mapping"] else None
        frame = read_events(path, filename=str(path), mapping=mapping, with_lines=True,
                            known_parties=set(Party.objects.values_list("code", flat=True)))
        with bar(_("Importing"), stream=self.stderr._out) as progress:
            batch = do_import_events(frame, source=options["source"], filename=str(path), progress=progress)
        self.stdout.write(_("%(file)s: %(rows)s rows: %(created)s new, %(unchanged)s unchanged.") % {
            "file": path, "rows": batch.rows, "created": batch.created, "unchanged": batch.unchanged})
        if batch.evaluation is not None and batch.evaluation.evaluated:
            self.stdout.write(_("Re-evaluated %(count)s commitments.") % {"count": batch.evaluation.evaluated})

    def import_agreements(self, options) -> None:
        from pacta.core.agreement_files import import_agreements_file

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path}, returncode=EXIT_BAD_INPUT)
        summary = import_agreements_file(path)
        self.stdout.write(str(summary))

    def import_northwind(self, options) -> None:
        from pacta.core.northwind import NorthwindError, import_northwind

        with bar(_("Importing"), stream=self.stderr._out) as progress:
            try:
                summary = import_northwind(options["directory"], progress=progress)
            except NorthwindError as exc:
                raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from None
        self.stdout.write(str(summary))
