"""`pacta demo`: Northwind's data and example agreements, evaluated, in the web UI.

    pacta demo [--no-serve] [--addrport 127.0.0.1:8000] [--password PW]

Migrates the database, loads the demo when the database is empty (a second
run reuses it), evaluates every commitment as of the end of Northwind's data
(1998-05-06), prints the login, then serves the web UI with Django's
development server. `--no-serve` stops after printing the login.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pacta.core.management.progress import bar

DEFAULT_ADDRPORT = "127.0.0.1:8000"


class Command(BaseCommand):
    help = "Load the Northwind demo into an empty database, evaluate it and serve the web UI."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Load and evaluate, print the login, then stop.")
        parser.add_argument("--addrport", default=DEFAULT_ADDRPORT,
                            help=f"Where to serve (default {DEFAULT_ADDRPORT}; keep it on this machine).")
        parser.add_argument("--password", help="The demo users' password (default: a new random one per run).")

    def handle(self, *args, **options):
        from pacta.core.demo import DEMO_AS_OF, DemoError, evaluate_demo, load_demo
        from pacta.core.models import Commitment

        call_command("migrate", interactive=False, verbosity=0)
        with bar(_("Loading the demo"), stream=self.stderr._out) as progress:
            try:
                result = load_demo(password=options["password"], progress=progress)
            except DemoError as exc:
                raise CommandError(str(exc)) from None
        if result.loaded:
            self.stdout.write(_("Loaded Northwind's customers, suppliers and orders and the demo agreements:"))
            for line in result.summaries:
                self.stdout.write("  " + line)
        else:
            self.stdout.write(_("The database holds the demo already: reusing it."))
        with bar(_("Evaluating"), stream=self.stderr._out, unit="commitments") as progress:
            evaluation = evaluate_demo(progress=progress)
        labels = dict(Commitment.Status.choices)
        statuses = ", ".join(f"{count} {labels.get(status, status)}"
                             for status, count in sorted(evaluation.statuses.items()))
        self.stdout.write(_("Evaluated %(count)s commitments as of %(as_of)s: %(statuses)s.") % {
            "count": evaluation.evaluated, "as_of": DEMO_AS_OF.isoformat(), "statuses": statuses or "-"})
        self.stdout.write(_(
            "The agreements are examples written for the demo; the parties, orders, deliveries and invoices "
            "are Northwind's (Microsoft's sample database, Ms-PL)."))
        url = "http://" + options["addrport"]
        self.stdout.write("")
        self.stdout.write(_("Log in at %(url)s as %(username)s with the password %(password)s") % {
            "url": url, "username": result.username, "password": result.password})
        self.stdout.write(_("Members (same password): %(names)s") % {"names": ", ".join(result.members)})
        self.stdout.write("")
        if not options["no_serve"]:
            # The demo lives as of the end of Northwind's data: the dashboard, the
            # watcher and relative dates all read this clock (unless one is set).
            from django.conf import settings

            if not settings.PACTA_CLOCK:
                settings.PACTA_CLOCK = DEMO_AS_OF.isoformat()
            self.stdout.write(_("The clock stands at %(as_of)s for the demo.") % {"as_of": settings.PACTA_CLOCK})
            call_command("runserver", options["addrport"], use_reloader=False)
