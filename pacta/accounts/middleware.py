"""Per-user language: a signed-in user's chosen language beats the browser's.

Django's LocaleMiddleware picks the language from the language cookie or the
Accept-Language header; it runs before authentication, so a second middleware
activates the user's stored choice once the user is known.
"""

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        # An explicit choice in this browser (set_language's cookie) wins for this session.
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang and not cookie:
            translation.activate(lang)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
