"""One person's calendar feed (iCalendar): their deadlines in Outlook or Google Calendar.

The feed lists the upcoming due moments of the open instances of the
commitments the person answers for (pacta.core.routing.responsible_q), and
the due dates of their open actions. A deadline that is a whole day (stored
as the last moment of that day in the agreement's time zone,
pacta.core.evaluation) is an all-day event; a deadline at a moment is a
short event at that moment. Event UIDs are stable, so a calendar updates an
event in place when its due date moves.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from pacta.core.models import Action, Instance
from pacta.core.outbox import commitment_title, link
from pacta.core.routing import responsible_q
from pacta.lib import clock
from pacta.lib.dates import tzinfo

HORIZON = dt.timedelta(days=366)  # how far ahead the feed looks
MAX_EVENTS = 2000  # a calendar client chokes on more; the nearest deadlines matter most
MOMENT_LENGTH = dt.timedelta(minutes=30)


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _whole_day(due: dt.datetime, tz: str) -> dt.date | None:
    """The local day when `due` is the last moment of a day in `tz` (a date deadline), else None."""
    local = due.astimezone(tzinfo(tz))
    if (local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 999999):
        return local.date()
    return None


def _set_when(event: Event, start: dt.date | dt.datetime) -> None:
    if isinstance(start, dt.datetime):
        event.add("dtstart", start.astimezone(dt.timezone.utc))
        event.add("dtend", start.astimezone(dt.timezone.utc) + MOMENT_LENGTH)
    else:
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(days=1))


def _instance_event(instance: Instance, stamp: dt.datetime) -> Event:
    commitment = instance.commitment
    agreement = commitment.agreement
    event = Event()
    event.add("uid", f"instance-{commitment.pk}-{instance.key}@{_domain()}")
    event.add("dtstamp", stamp)
    _set_when(event, _whole_day(instance.due, agreement.timezone) or instance.due)
    event.add("summary", _("Due: %(title)s — %(instance)s (%(party)s)") % {
        "title": commitment_title(commitment), "instance": instance.key, "party": agreement.party.name})
    url = link(commitment)
    event.add("description", "\n".join(part for part in (instance.explanation, url) if part))
    event.add("url", url)
    event.add("categories", [_("deadline")])
    return event


def _action_event(action: Action, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"action-{action.pk}@{_domain()}")
    event.add("dtstamp", stamp)
    _set_when(event, action.due_on)
    event.add("summary", _("Action: %(title)s") % {"title": action.title})
    url = link(action)
    event.add("description", "\n".join(part for part in (action.description, url) if part))
    event.add("url", url)
    event.add("categories", [_("action")])
    return event


def calendar_feed(user, *, now: dt.datetime | None = None) -> bytes:
    """The iCalendar document of `user`'s deadlines as of `now` (default: the domain clock),
    in their language."""
    now = now or clock.now()
    stamp = timezone.now().astimezone(dt.timezone.utc).replace(microsecond=0)
    instances = (
        Instance.objects.filter(responsible_q(user, "commitment__"), status=Instance.Status.OPEN,
                                due__gte=now, due__lt=now + HORIZON)
        .select_related("commitment__agreement__party").order_by("due", "pk")[:MAX_EVENTS]
    )
    actions = (Action.objects.filter(owner=user, status__in=Action.OPEN_STATUSES)
               .select_related("commitment__agreement__party").order_by("due_on", "pk")[:MAX_EVENTS])
    with translation.override(user.language or settings.LANGUAGE_CODE):
        cal = Calendar()
        cal.add("prodid", "-//pacta//deadlines//EN")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("pacta: deadlines of %(name)s") % {"name": user})
        cal.add("x-published-ttl", dt.timedelta(hours=1))
        for instance in instances:
            cal.add_component(_instance_event(instance, stamp))
        for action in actions:
            cal.add_component(_action_event(action, stamp))
    return cal.to_ical()
