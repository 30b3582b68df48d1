"""`pacta serve`: serve pacta in production with gunicorn.

    pacta serve [--bind 127.0.0.1:8000] [--workers N] [--timeout S]

Collects the static files (whitenoise serves them from STATIC_ROOT), then
replaces this process with `gunicorn pacta.wsgi`, so that the process manager
(systemd, a container) talks to gunicorn directly. Run `pacta migrate` before
the first start and after each upgrade; put a TLS-terminating proxy in front.
"""

from __future__ import annotations

import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

DEFAULT_BIND = "127.0.0.1:8000"


def gunicorn_argv(bind: str, workers: int, timeout: int) -> list[str]:
    """The command line that runs gunicorn with pacta's WSGI application."""
    return [
        sys.executable, "-m", "gunicorn", "pacta.wsgi:application",
        "--bind", bind, "--workers", str(workers), "--timeout", str(timeout),
        "--access-logfile", "-", "--error-logfile", "-",
        "--logger-class", "pacta.lib.access_log.AccessLogger",  # no calendar feed tokens in the access log
    ]


def default_workers() -> int:
    """gunicorn's rule of thumb: two per CPU plus one, at most eight."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = "Collect static files, then serve pacta with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=DEFAULT_BIND,
                            help=f"Address and port (default {DEFAULT_BIND}), or unix:/path/to.sock.")
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="Worker processes (default: two per CPU plus one, at most eight).")
        parser.add_argument("--timeout", type=int, default=60, help="Seconds before a silent worker is restarted.")

    def handle(self, *args, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(options["bind"], options["workers"], options["timeout"])
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(argv[0], argv)
