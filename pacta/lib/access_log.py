"""gunicorn's access log without the secrets that URLs carry.

A calendar feed URL (`/calendar/<token>.ics`) is its own credential: calendar
programs fetch it every few minutes, and gunicorn's access log would keep the
token on every line. `pacta serve` runs gunicorn with this logger class, which
writes such a path as `/calendar/***.ics`; everything else is gunicorn's.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

FEED_PATH = re.compile(r"(/calendar/)[^/?#\s]+(\.ics)")


def redact(text):
    """`text` with the token of every calendar feed path left out (anything else unchanged)."""
    return FEED_PATH.sub(r"\1***\2", text) if isinstance(text, str) else text


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        """gunicorn's atoms (the request line, the path, the referrer, headers, …), each redacted."""
        return {name: redact(value) for name, value in super().atoms(resp, req, environ, request_time).items()}
