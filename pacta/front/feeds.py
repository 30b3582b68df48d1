"""Feeds read by programs, not people: a person's calendar (iCalendar).

No login: the secret token in the URL is the credential (only its hash is
stored; an unknown or revoked token is a 404, like a page that does not exist).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from pacta.core.actions.watch import find_calendar_token
from pacta.core.ical import calendar_feed
from pacta.core.models import CalendarToken


@require_safe
def calendar(request, token: str):
    found = find_calendar_token(token)
    if found is None:
        raise Http404
    CalendarToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    response = HttpResponse(calendar_feed(found.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="pacta.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
