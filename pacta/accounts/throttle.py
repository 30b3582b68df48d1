"""Login throttling: wrong passwords are slowed down, then blocked for a while.

Failures are counted per account (the username as typed, case-folded) and per
address, in Django's cache, for `WINDOW` seconds after the last one:

- from the `SLOW_AFTER`-th failure on, the next attempt must wait 1, 2, 4, …
  seconds (at most `MAX_WAIT`) after the last failure;
- at `BLOCK_ACCOUNT_AFTER` failures for one account, or `BLOCK_ADDRESS_AFTER`
  from one address, sign-in is refused for `BLOCK_SECONDS` — even with the
  right password — and the block is logged on the `pacta.security` logger.

A successful sign-in clears the account's count (not the address's: one valid
account must not reset the count of an address that guesses others).

The cache is per process by default (settings.CACHES); with several web
processes, configure a shared cache (`PACTA_CACHE_TABLE`, docs/operations.md).
The web sign-in page (`ThrottledLoginView`) says why and for how long; the
authentication backend (`ThrottledBackend`) refuses blocked sign-ins
everywhere else that checks passwords (the admin's sign-in page).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

logger = logging.getLogger("pacta.security")

WINDOW = 15 * 60
SLOW_AFTER = 3
MAX_WAIT = 60
BLOCK_ACCOUNT_AFTER = 10
BLOCK_ADDRESS_AFTER = 50
BLOCK_SECONDS = 15 * 60


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the header our proxy sets
    (`PACTA_CLIENT_IP_HEADER`, e.g. "HTTP_X_REAL_IP"). Of a list (X-Forwarded-For)
    the last address counts: our proxy appended it; the ones before it the
    client may have made up."""
    if request is None:
        return ""
    header = settings.PACTA_CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    return value.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "")


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    """(cache key, failures that block) for the account and the address."""
    digest = hashlib.sha256((username or "").casefold().encode()).hexdigest()
    keys = [(f"pacta:login-fail:user:{digest}", BLOCK_ACCOUNT_AFTER)]
    if address:
        keys.append((f"pacta:login-fail:addr:{address}", BLOCK_ADDRESS_AFTER))
    return keys


def _wait(count: int, last: float, block_after: int, now: float) -> float:
    if count >= block_after:
        return last + BLOCK_SECONDS - now
    if count >= SLOW_AFTER:
        return last + min(2 ** (count - SLOW_AFTER), MAX_WAIT) - now
    return 0


def wait_seconds(username: str, address: str) -> tuple[int, bool]:
    """(seconds before the next attempt is heard, whether that is a block); (0, False) when free."""
    now = time.time()
    longest, blocked = 0.0, False
    for key, block_after in _keys(username, address):
        count, last = cache.get(key, (0, 0.0))
        if now - last > WINDOW and count < block_after:
            continue
        wait = _wait(count, last, block_after, now)
        if wait > longest:
            longest, blocked = wait, count >= block_after
    return math.ceil(longest), blocked


def record_failure(username: str, address: str) -> None:
    """Count one wrong password; log when it starts a block."""
    now = time.time()
    for key, block_after in _keys(username, address):
        count, last = cache.get(key, (0, 0.0))
        if now - last > max(WINDOW, BLOCK_SECONDS):
            count = 0  # an old streak is forgotten
        count += 1
        cache.set(key, (count, now), max(WINDOW, BLOCK_SECONDS))
        if count == block_after:
            what = "account" if ":user:" in key else "address"
            logger.warning("Sign-in blocked for %d seconds after %d wrong passwords for the %s: username %r, address %s",
                           BLOCK_SECONDS, count, what, username, address or "unknown")


def clear_account(username: str) -> None:
    cache.delete(_keys(username, "")[0][0])


@receiver(user_login_failed, dispatch_uid="pacta-throttle-failure")
def _on_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get("username", "")
    address = client_address(request)
    if wait_seconds(username, address)[0] > 0:
        return  # attempts refused unheard (slowed or blocked) do not count again
    record_failure(username, address)


@receiver(user_logged_in, dispatch_uid="pacta-throttle-success")
def _on_success(sender, request, user, **kwargs):
    clear_account(user.get_username())


def refusal(seconds: int, blocked: bool) -> str:
    """The sentence that tells the person why sign-in is refused, in their language."""
    if blocked:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Too many wrong passwords. Sign-in is blocked for %(count)d more minute.",
            "Too many wrong passwords. Sign-in is blocked for %(count)d more minutes.", minutes) % {"count": minutes}
    return ngettext(
        "Too many wrong passwords. Please wait %(count)d second before you try again.",
        "Too many wrong passwords. Please wait %(count)d seconds before you try again.", seconds) % {"count": seconds}


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form; while the account or address must wait, the
    password is not checked and the form says how long (`wait` seconds)."""

    wait = 0

    def clean(self):
        seconds, blocked = wait_seconds(self.data.get("username", ""), client_address(self.request))
        if seconds > 0:
            self.wait = seconds
            raise ValidationError(refusal(seconds, blocked), code="throttled")
        return super().clean()


class ThrottledLoginView(auth_views.LoginView):
    """Django's sign-in page with the throttled form; a refusal answers 429 with Retry-After."""

    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.wait:
            response.status_code = 429
            response["Retry-After"] = str(form.wait)
        return response


class ThrottledBackend(ModelBackend):
    """Django's model backend, refusing accounts and addresses that must wait."""

    # An error while checking leaves no password in its report: every variable of this
    # call and of the calls it makes is hidden (Django's own `authenticate` hides only its own).
    @sensitive_variables()
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None and wait_seconds(username, client_address(request))[0] > 0:
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
