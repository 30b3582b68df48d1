"""`pacta digest`: queue and send this week's digests now.

The watcher sends them by itself from Monday's morning hour on (setting
PACTA_DIGEST_IN_WATCH, default on); this command is for cron setups without a
running watcher, and for sending them at once. Each person gets one digest per
ISO week, however often either runs.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pacta.core.outbox import queue_digests, send_queued_mail
from pacta.lib import clock


class Command(BaseCommand):
    help = _("Send this week's digest to everybody who has not had it yet.")

    def add_arguments(self, parser):
        parser.add_argument("--user", action="append", default=[], metavar="USERNAME",
                            help=_("Only this person (repeatable)."))
        parser.add_argument("--now", metavar="MOMENT",
                            help=_("Judge as of this moment, e.g. 1998-05-06T18:00:00+02:00."))
        parser.add_argument("--no-send", action="store_true",
                            help=_("Only queue them; the watcher sends the outbox."))

    def handle(self, *args, user=(), now=None, no_send=False, **options):
        try:
            moment = clock.as_of(now)
        except ValueError as exc:
            raise CommandError(_("--now: %(error)s") % {"error": exc}) from None
        users = None
        if user:
            users = get_user_model().objects.filter(username__in=user, is_active=True)
            missing = sorted(set(user) - set(users.values_list("username", flat=True)))
            if missing:
                raise CommandError(_("Unknown or inactive user: %(names)s") % {"names": ", ".join(missing)})
        with moment:
            queued = queue_digests(clock.now(), any_day=True, users=users)
        self.stdout.write(_("Queued %(count)s digest(s).") % {"count": queued})
        if not no_send:
            report = send_queued_mail()
            self.stdout.write(_("Sent %(sent)s, to retry %(retried)s, failed %(failed)s.")
                              % {"sent": report.sent, "retried": report.retried, "failed": report.failed})
