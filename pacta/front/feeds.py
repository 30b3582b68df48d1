"""Feeds read by programs, not people: a person's calendar (iCalendar).

No login: the secret token in the URL is the credential (only its hash is
stored; an unknown or revoked token is a 404, like a page that does not exist).

Because the URL is the credential, a feed request that goes wrong is logged
with the token left out of the path ("Not Found: /calendar/***.ics"): Django
would log the whole path of a 404 or a 405, and a server error's report (mailed
to ADMINS) would hold the URL and the view's variables.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.utils.log import log_response
from django.views import defaults
from django.views.decorators.debug import sensitive_variables

from pacta.core.actions.watch import find_calendar_token
from pacta.core.ical import calendar_feed
from pacta.core.models import CalendarToken

log = logging.getLogger("django.request")


def _logged(request, token: str, response, exception: Exception | None = None):
    """`response`, logged as Django logs a failed request, with the token left out."""
    log_response("%s: %s", response.reason_phrase, request.path.replace(token, "***"), response=response,
                 exception=exception, logger=log)
    return response


@sensitive_variables()
def calendar(request, token: str):
    if request.method not in ("GET", "HEAD"):
        return _logged(request, token, HttpResponseNotAllowed(["GET", "HEAD"]))
    try:
        found = find_calendar_token(token)
        if found is None:
            return _logged(request, token, defaults.page_not_found(request, Http404()))
        CalendarToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        response = HttpResponse(calendar_feed(found.user), content_type="text/calendar; charset=utf-8")
    except Exception as exc:
        if settings.DEBUG:
            raise  # the developer's error page
        return _logged(request, token, defaults.server_error(request), exc)
    response["Content-Disposition"] = 'inline; filename="pacta.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
