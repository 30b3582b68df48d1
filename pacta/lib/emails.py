"""E-mails by naming convention (Healthchecks' `hc/lib/emails.py`).

A kind of mail `<name>` is three templates: `emails/<name>-subject.txt`,
`emails/<name>-body-text.txt` and `emails/<name>-body-html.html`, rendered in
the recipient's language and time zone, plus one small function per kind.
Rendering and sending are separate steps, so that a caller can store the
rendered mail (an outbox) and send it later, again if need be.

This module knows nothing of pacta's domain: it renders, checks addresses,
sends through Django's e-mail framework and tells a failure that may pass
(server down) from one that will not (the address is refused).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import timezone, translation

from pacta.lib.clock import zone


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


class PermanentFailure(Exception):
    """Sending this mail again will not help (refused or malformed address)."""


def site_url(path: str = "") -> str:
    """An absolute link on this installation (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


def render(name: str, ctx: dict, *, language: str = "", tz: str = "") -> Rendered:
    """Render the three templates of mail `name` in `language` and time zone `tz`."""
    language = language or settings.LANGUAGE_CODE
    ctx = {**ctx, "SITE_URL": site_url()}
    with translation.override(language), timezone.override(zone(tz)):
        subject = render_to_string(f"emails/{name}-subject.txt", ctx)
        text = render_to_string(f"emails/{name}-body-text.txt", ctx)
        html = render_to_string(f"emails/{name}-body-html.html", ctx)
    # A subject is one line, whatever the template's line breaks.
    return Rendered(subject=" ".join(subject.split()), text=text, html=html, language=language)


def alert(ctx: dict, *, language: str = "", tz: str = "") -> Rendered:
    return render("alert", ctx, language=language, tz=tz)


def nag(ctx: dict, *, language: str = "", tz: str = "") -> Rendered:
    return render("nag", ctx, language=language, tz=tz)


def digest(ctx: dict, *, language: str = "", tz: str = "") -> Rendered:
    return render("digest", ctx, language=language, tz=tz)


def address_problem(address: str) -> str | None:
    """Why `address` cannot receive mail, or None when it looks deliverable."""
    if not address or not address.strip():
        return "no e-mail address"
    try:
        validate_email(address)
    except ValidationError:
        return f"malformed e-mail address: {address!r}"
    return None


def message_id(unique: str) -> str:
    """A Message-ID that stays the same when the same mail is sent again,
    so that a receiving system can recognise a repeat."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<pacta.{unique}@{domain}>"


def build(rendered: Rendered, to: str, *, unique: str) -> EmailMultiAlternatives:
    headers = {"Message-ID": message_id(unique), "Auto-Submitted": "auto-generated",
               "Content-Language": rendered.language}
    msg = EmailMultiAlternatives(rendered.subject, rendered.text, to=[to], headers=headers)
    if rendered.html:
        msg.attach_alternative(rendered.html, "text/html")
    return msg


def open_connection():
    """A connection of the configured backend; opened by the first send."""
    return get_connection(fail_silently=False)


def send(rendered: Rendered, to: str, *, unique: str, connection=None) -> None:
    """Send one mail now. Raises PermanentFailure when retrying cannot help,
    any other exception when it may (server down, time-out, temporary refusal)."""
    problem = address_problem(to)
    if problem:
        raise PermanentFailure(problem)
    message = build(rendered, to, unique=unique)
    try:
        if connection is None:
            message.send(fail_silently=False)
        else:
            connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure(f"address refused: {exc.recipients}") from exc
        raise
    except ValueError as exc:
        # Django refuses addresses it cannot encode (e.g. with line breaks).
        raise PermanentFailure(str(exc)) from exc

