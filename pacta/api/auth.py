"""Who may call the API: bearer tokens with scopes, their use log and rate limit.

A request carries `Authorization: Bearer <token>`. Without a valid token it
gets 401; with a token that lacks the operation's scope, or whose user may
not write (a viewer, for a writing scope), 403; over its rate limit, 429 with
`Retry-After`. Every request made with a token is logged (`ApiTokenUse`),
refused or not: the log is what the UI shows and what the limit counts.

Scopes (`ApiScope`): `read` (every GET), `events` (posting events), `admin`
(every other write, within what the token's user may change; it includes the
other two).

The rate limit is a sliding window of one minute over the logged requests
that were let through: `ApiToken.rate_limit` per token, else the setting
`PACTA_API_RATE_LIMIT` (requests per minute, default 600). It is counted in
the database, so every web process sees the same count.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from ninja.errors import HttpError
from ninja.security import HttpBearer

from pacta.core.actions.api import WRITE_SCOPES, find_api_token
from pacta.core.models import ApiScope, ApiToken, ApiTokenUse

WINDOW = dt.timedelta(minutes=1)
DEFAULT_RATE_LIMIT = 600


class Forbidden(HttpError):
    def __init__(self, message: str):
        super().__init__(403, message)


class RateLimited(HttpError):
    def __init__(self, retry_after: int):
        super().__init__(429, _("Too many requests with this token; try again in %(seconds)s seconds.")
                         % {"seconds": retry_after})
        self.retry_after = retry_after


def rate_limit(token: ApiToken) -> int:
    return token.rate_limit or int(getattr(settings, "PACTA_API_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def has_scope(token: ApiToken, scope: str) -> bool:
    return scope in token.scopes or ApiScope.ADMIN in token.scopes


def _retry_after(token: ApiToken, now: dt.datetime, limit: int) -> int | None:
    """None while under the limit; else the seconds until the oldest counted request leaves the window."""
    recent = ApiTokenUse.objects.filter(token=token, refused="", at__gt=now - WINDOW)
    if recent.count() < limit:
        return None
    oldest = recent.order_by("at").values_list("at", flat=True).first()
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


class TokenAuth(HttpBearer):
    """The bearer token of a request, if it has `scope`; sets `request.user` to the token's user."""

    def __init__(self, scope: str):
        super().__init__()
        self.scope = scope

    @sensitive_variables()
    def __call__(self, request):
        """The token of a `Bearer` Authorization header, as ninja reads it; unlike ninja (in DEBUG
        mode), a header of another scheme is not logged: it is a token or a password just the same.
        An error under this call leaves none of its variables (the token) in the error report."""
        scheme, _space, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request, token: str) -> ApiToken | None:
        found = find_api_token(token)
        if found is None:
            return None
        now = timezone.now()
        refused, problem = "", None
        if not has_scope(found, self.scope):
            refused, problem = "scope", Forbidden(
                _("This token may not do this: it needs the scope %(scope)s.") % {"scope": self.scope})
        elif self.scope in WRITE_SCOPES and not found.user.can_write:
            refused, problem = "role", Forbidden(_("The token's user may not change anything (a viewer)."))
        else:
            wait = _retry_after(found, now, rate_limit(found))
            if wait is not None:
                refused, problem = "rate_limit", RateLimited(wait)
        ApiTokenUse.objects.create(token=found, at=now, method=request.method[:8], path=request.path[:300],
                                   ip=request.META.get("REMOTE_ADDR") or None, refused=refused)
        if problem is not None:
            raise problem
        request.user = found.user
        return found


READ = TokenAuth(ApiScope.READ)
EVENTS = TokenAuth(ApiScope.EVENTS)
ADMIN = TokenAuth(ApiScope.ADMIN)
