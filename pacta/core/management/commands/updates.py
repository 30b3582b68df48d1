"""`pacta updates`: which parties are owed a status update, and drafts ready before they are due.

Without options it lists every party with an update cadence (a `recurring`
commitment with `kind: update`): when its next update is due, whether a draft
is ready, when the last one was sent. `--prepare` composes a draft for each
party whose next update is due within `--days` days (or overdue), so that the
point of contact finds it ready to read, edit and send; a draft nobody edited
yet is composed afresh, an edited one is left alone. Run it daily from cron
(or next to `pacta watch`); running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from pacta.core import updates
from pacta.core.actions.engagement import do_prepare_due_updates
from pacta.core.models import Party
from pacta.lib import clock


class Command(BaseCommand):
    help = _("List the parties owed a status update; with --prepare, compose the drafts that fall due.")

    def add_arguments(self, parser):
        parser.add_argument("--prepare", action="store_true",
                            help=_("Compose a draft for each party whose next update is due within --days days."))
        parser.add_argument("--days", type=int, default=7, metavar="N",
                            help=_("How many days ahead a draft is made ready (default 7)."))
        parser.add_argument("--now", metavar="MOMENT",
                            help=_("Judge as of this moment, e.g. 1998-05-06T18:00:00+02:00."))

    def handle(self, *args, prepare=False, days=7, now=None, **options):
        if days < 0:
            raise CommandError(_("--days must be zero or more."))
        try:
            moment = clock.as_of(now)
        except ValueError as exc:
            raise CommandError(_("--now: %(error)s") % {"error": exc}) from None
        with moment:
            at = clock.now()
            if prepare:
                drafts = do_prepare_due_updates(now=at, within=dt.timedelta(days=days))
                for draft in drafts:
                    self.stdout.write(_("Draft ready for %(party)s: %(subject)s")
                                      % {"party": draft.party.code, "subject": draft.subject})
                self.stdout.write(_("%(count)s draft(s) composed or refreshed.") % {"count": len(drafts)})
            self._table(at)

    def _table(self, at: dt.datetime) -> None:
        due = updates.next_updates_due(at)
        if not due:
            self.stdout.write(_("No party has an update cadence (a recurring commitment with kind: update)."))
            return
        self.stdout.write("\t".join([_("party"), _("next update due"), _("draft"), _("last sent")]))
        for party in Party.objects.filter(pk__in=list(due)).order_by("code"):
            nu = due[party.pk]
            last = updates.last_sent(party)
            draft = updates.open_draft(party)
            when = formats.date_format(timezone.localtime(nu.due, clock.zone(updates.party_timezone(party))),
                                       "SHORT_DATETIME_FORMAT")
            self.stdout.write("\t".join([
                party.code,
                when + (" " + _("(overdue)") if nu.overdue else ""),
                _("ready") if draft else "—",
                formats.date_format(timezone.localtime(last.sent_at), "SHORT_DATE_FORMAT") if last else "—",
            ]))
