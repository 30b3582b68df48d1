"""Per-user language and time zone.

Django's LocaleMiddleware picks the language from the language cookie or the
Accept-Language header; it runs before authentication, so this middleware
activates the signed-in user's stored choices once the user is known: the
language (unless this browser chose one with the switcher) and the time zone
in which the pages show moments (empty: the server's, settings.TIME_ZONE).
"""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        lang = getattr(user, "language", "") if signed_in else ""
        # An explicit choice in this browser (set_language's cookie) wins for this session.
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang and not cookie:
            translation.activate(lang)
            request.LANGUAGE_CODE = translation.get_language()
        _activate_timezone(getattr(user, "timezone", "") if signed_in else "")
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _activate_timezone(name: str) -> None:
    """The time zone of this request; the thread keeps it, so every request sets it."""
    try:
        zone = zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None:
        timezone.deactivate()
    else:
        timezone.activate(zone)
