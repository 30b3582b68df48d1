"""`pacta watch`: the watcher loop (Healthchecks' `sendalerts`); `--once` for cron.

Each pass evaluates the commitments that are due, turns deviations into actions
and alerts, queues reminders and weekly digests, and sends the outbox
(pacta.core.watch.run_pass). Between passes with nothing to do it sleeps
`--interval` seconds. SIGTERM or SIGINT lets the current pass finish its
current step, then the loop ends with exit code 0. Any number of watchers may
run against one PostgreSQL database.

When the database goes away (restarted, unreachable) the pass ends, its open
transaction rolls back, and the loop says so in one line and tries again after
`--interval` seconds with a fresh connection, until the database is back;
nothing is done twice (pacta.core.watch, pacta.core.outbox). `--once` exits
with code 1 and the same line.
"""

from __future__ import annotations

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from pacta.core.watch import database_gone, run_pass
from pacta.lib import clock

INTERVAL = 30.0

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = _("Watch the commitments: evaluate what is due, open actions, send alerts, reminders and digests.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping = False

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("Do one pass and exit (for cron)."))
        parser.add_argument(
            "--now",
            metavar="MOMENT",
            help=_("Judge as of this moment instead of the clock, e.g. 1998-05-06T18:00:00+02:00 "
                   "(default: the PACTA_CLOCK setting, else now)."),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help=_("Seconds to sleep when a pass found nothing to do (default: %(default)s).")
            % {"default": getattr(settings, "PACTA_WATCH_INTERVAL", INTERVAL)},
        )

    def on_signal(self, signum, frame):
        self.stdout.write(_("%(signal)s: finishing the current step, then stopping.") % {"signal": signal.strsignal(signum)})
        self.stopping = True

    def should_stop(self) -> bool:
        return self.stopping

    def sleep(self, seconds: float) -> None:
        # Short naps, so that a signal ends the wait at once.
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))

    @staticmethod
    def forget_connection() -> None:
        """Drop a connection the database ended: the next pass opens a new one."""
        if connection.in_atomic_block:  # (a test's transaction must stay open)
            return
        try:
            connection.close()
        except Exception:  # closing a broken connection may fail again; it is gone either way
            connection.connection = None

    def handle(self, *args, once=False, now=None, interval=None, **options):
        try:
            moment = clock.as_of(now)
        except ValueError as exc:
            raise CommandError(_("--now: %(error)s") % {"error": exc}) from None
        interval = interval if interval is not None else float(getattr(settings, "PACTA_WATCH_INTERVAL", INTERVAL))
        previous = {sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            with moment:
                self.loop(once, interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def loop(self, once: bool, interval: float) -> None:
        self.stdout.write(_("pacta watch is running, as of %(now)s.") % {"now": clock.now().isoformat()}
                          if clock.is_overridden() else _("pacta watch is running."))
        while not self.stopping:
            if not connection.in_atomic_block:  # (a test's transaction must stay open)
                close_old_connections()  # a long-running process: as between two requests
            try:
                report = run_pass(should_stop=self.should_stop)
            except Exception as exc:
                if database_gone(exc):
                    error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    if once:
                        raise CommandError(_("The database connection was lost: %(error)s") % {"error": error}) from None
                    log.warning("the database connection was lost (%s); trying again in %s s", error, interval)
                    self.forget_connection()
                    self.sleep(interval)
                    continue
                if once:
                    raise
                # The database or the mail server hiccuped: say so, and try again
                # after a nap instead of dying (the work waits in the database).
                log.exception("the watcher's pass failed; trying again in %s s", interval)
                self.sleep(interval)
                continue
            if report:
                self.stdout.write(_("pass: %(summary)s") % {"summary": report.summary()})
            if once:
                break
            if not report:
                self.sleep(interval)
        self.stdout.write(_("pacta watch stopped."))
