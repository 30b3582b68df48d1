"""Secrets never reach the logs.

Every test below catches all that pacta writes while credentials are in play —
every log record of every logger at DEBUG (with its exception, its extra values,
and the error report Django's AdminEmailHandler would mail for it, text and
HTML), standard output and error, the mail sent to the administrators, and what
a test adds (an error page, an error text stored for the mail or webhook pages)
— and asserts that no password, token, secret, SECRET_KEY or Authorization
header value is in any of it, plain or URL-encoded.

The situations: signing in with a wrong and a right password (slowed, blocked,
on the sign-in page and the admin's), API tokens (valid, unknown, revoked, over
the rate limit, without the scope, sent with another scheme with DEBUG on),
calendar feed URLs (valid, unknown, revoked, posted to, failing), SMTP with
EMAIL_HOST_PASSWORD (accepted, refused, server down), webhook deliveries signed
with their secret (delivered, refused, unreachable), and server errors with
DEBUG off (while signing in, in the API, in the feed).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from pacta.conftest import PASSWORD
from pacta.core.tests.watch_world import SmtpServer, at, world  # noqa: F401

T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
# The standard attributes of a log record; any other is an extra value a handler may write out.
STANDARD = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", (), None))) | {"message", "asctime"}
# The test's own SMTP server (aiosmtpd) logs what it receives: that is the other side, not pacta.
OTHER_SIDE = ("mail.log", "mail.debug")


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


class Net:
    """All that pacta wrote since the net was spread (see the module docstring)."""

    def __init__(self, handler: Everything, capfd):
        self.handler = handler
        self.capfd = capfd
        self.extra: list[tuple[str, str]] = []
        self.secrets: dict[str, str] = {}
        self.out = self.err = ""

    def add(self, where: str, text) -> None:
        """Something else that must hold no secret: a page, an error text pacta stored and shows."""
        self.extra.append((where, text if isinstance(text, str) else text.decode("utf-8", "replace")))

    def secret(self, name: str, value: str) -> str:
        """Remember `value` as a secret to look for; return it."""
        self.secrets[name] = value
        return value

    def texts(self) -> list[tuple[str, str]]:
        # Rendering the error reports logs too (templates, at DEBUG): not into the net meanwhile.
        logging.disable(logging.CRITICAL)
        try:
            return self._texts()
        finally:
            logging.disable(logging.NOTSET)

    def _texts(self) -> list[tuple[str, str]]:
        found = list(self.extra)
        formatter = logging.Formatter()
        reporter_class = import_string(settings.DEFAULT_EXCEPTION_REPORTER)
        for record in list(self.handler.records):
            if record.name.startswith(OTHER_SIDE):
                continue
            where = f"log record {record.name}:{record.levelname} {record.msg!r}"
            found.append((where, record.getMessage()))
            for name, value in vars(record).items():
                if name not in STANDARD:
                    found.append((f"{where} extra {name}", repr(value)))
            if record.exc_info:
                found.append((f"{where} traceback", formatter.formatException(record.exc_info)))
            if record.exc_info and record.levelno >= logging.ERROR:
                # What AdminEmailHandler mails (the text), and with include_html (the HTML, with local variables).
                reporter = reporter_class(getattr(record, "request", None), *record.exc_info, is_email=True)
                found.append((f"{where} error mail text", reporter.get_traceback_text()))
                found.append((f"{where} error mail HTML", reporter.get_traceback_html()))
            if record.stack_info:
                found.append((f"{where} stack", record.stack_info))
        out, err = self.capfd.readouterr()
        self.out, self.err = self.out + out, self.err + err
        found += [("standard output", self.out), ("standard error", self.err)]
        for message in mail.outbox:
            found.append((f"mail to {message.to}", "\n".join(
                [message.subject, message.body, *(content for content, _type in getattr(message, "alternatives", []))])))
        return found

    def leaks(self) -> list[str]:
        texts = self.texts()
        found = []
        for name, secret in self.secrets.items():
            forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
            for where, text in texts:
                if any(form in text for form in forms):
                    found.append(f"{name} in {where}")
        return found

    def records(self, name: str) -> list[logging.LogRecord]:
        return [r for r in self.handler.records if r.name == name or r.name.startswith(name + ".")]


@pytest.fixture
def net(caplog, capfd, settings):
    """Every logger at DEBUG into one handler (also those that do not propagate), with SECRET_KEY and
    EMAIL_HOST_PASSWORD set to secrets and ADMINS to receive the error mail; each test ends with
    `assert net.leaks() == []`."""
    handler = Everything()
    caplog.set_level(logging.DEBUG)
    quiet = []
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            if logger.level != logging.NOTSET:
                caplog.set_level(logging.DEBUG, logger=name)
            if not logger.propagate:
                logger.addHandler(handler)
                quiet.append(logger)
    logging.root.addHandler(handler)
    net = Net(handler, capfd)
    settings.SECRET_KEY = net.secret("SECRET_KEY", "secret-key-" + secrets.token_urlsafe(40))
    settings.EMAIL_HOST_PASSWORD = net.secret("EMAIL_HOST_PASSWORD", "smtp-" + secrets.token_urlsafe(16))
    settings.ADMINS = [("Operations", "ops@example.com")]  # Django mails the error reports here
    cache.clear()
    try:
        yield net
    finally:
        logging.root.removeHandler(handler)
        for logger in quiet:
            logger.removeHandler(handler)
        cache.clear()


# ---------------------------------------------------------------------------
# The net itself


def test_the_net_catches_a_secret_wherever_it_is_written(net):
    token = net.secret("token", "pacta_" + secrets.token_urlsafe(32))
    password = net.secret("password", "hunter 2/" + secrets.token_urlsafe(8))
    logging.getLogger("pacta.somewhere.deep").debug("using %s", token)
    logging.getLogger("django.server").info("POST /login/?%s", urllib.parse.urlencode({"password": password}))

    def fails(secret_value):
        raise ValueError("refused")

    try:
        fails(token)
    except ValueError:
        logging.getLogger("pacta.job").exception("the job failed")
    os.write(2, f"Authorization: Bearer {token}\n".encode())
    assert set(net.leaks()) == {
        "token in log record pacta.somewhere.deep:DEBUG 'using %s'",
        "password in log record django.server:INFO 'POST /login/?%s'",  # URL-encoded, on a quiet logger
        # local variables of the frames (this test's among them), as the HTML error mail shows them
        "token in log record pacta.job:ERROR 'the job failed' error mail HTML",
        "password in log record pacta.job:ERROR 'the job failed' error mail HTML",
        "token in standard error",
    }


# ---------------------------------------------------------------------------
# Signing in


def sign_in(client, username, password, address="10.0.0.1", url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_signing_in_with_wrong_and_right_passwords_slowed_and_blocked(net, client, users):
    wrong = net.secret("wrong password", "Wr0ng horse " + secrets.token_urlsafe(12))
    net.secret("password", PASSWORD)
    with time_machine.travel(T0, tick=False) as traveller:
        assert sign_in(client, "olav", PASSWORD).status_code == 302
        client.logout()
        for _ in range(3):
            assert sign_in(client, "olav", wrong).status_code == 200
        assert sign_in(client, "olav", PASSWORD).status_code == 429  # slowed: must wait a second
        for _ in range(7):
            traveller.shift(dt.timedelta(minutes=1))
            assert sign_in(client, "olav", wrong).status_code == 200
        traveller.shift(dt.timedelta(minutes=1))
        blocked = sign_in(client, "olav", PASSWORD, address="10.0.0.2")
        assert blocked.status_code == 429 and "blocked" in blocked.text
        # The admin's sign-in page checks passwords through the same backend.
        assert sign_in(client, "mona", wrong, "10.0.0.3", url="/admin/login/").status_code == 200
        assert sign_in(client, "admin", PASSWORD, "10.0.0.3", url="/admin/login/?next=/admin/").status_code == 302
    block = net.records("pacta.security")
    assert len(block) == 1 and "olav" in block[0].getMessage()  # the block was logged, with the username
    assert net.leaks() == []


def test_a_server_error_while_signing_in_keeps_the_password_out_of_the_log_the_mail_and_the_page(
        net, users, monkeypatch):
    net.secret("password", PASSWORD)
    manager = type(users["olav"].__class__._default_manager)

    def locked(self, username):
        raise OperationalError("database is locked")

    monkeypatch.setattr(manager, "get_by_natural_key", locked)
    client = Client(raise_request_exception=False)
    response = sign_in(client, "olav", PASSWORD)
    assert response.status_code == 500
    net.add("the error page", response.content)
    (report,) = [m for m in mail.outbox if m.to == ["ops@example.com"]]
    assert "Internal Server Error: /login/" in report.subject
    assert "password = '********************'" in report.body  # the POST is shown, the password is not
    assert net.leaks() == []


# ---------------------------------------------------------------------------
# API tokens


def api_get(client, token, path="/api/v1/me", scheme="Bearer", address="10.0.0.1"):
    return client.get(path, headers={"Authorization": f"{scheme} {token}"}, REMOTE_ADDR=address)


def test_api_tokens_valid_unknown_revoked_rate_limited_and_without_the_scope(net, world):  # noqa: F811
    from pacta.core.actions.api import do_create_api_token, do_revoke_api_token

    client = Client(raise_request_exception=False)
    limited, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"], rate_limit=2)
    net.secret("token", raw)
    net.secret("Authorization header", f"Bearer {raw}")
    _events, events_only = do_create_api_token(acting_user=world.olav, name="events", scopes=["events"])
    net.secret("events token", events_only)
    revoked, revoked_raw = do_create_api_token(acting_user=world.olav, name="old", scopes=["read"])
    net.secret("revoked token", revoked_raw)
    do_revoke_api_token(revoked, acting_user=world.olav)
    unknown = net.secret("unknown token", "pacta_" + secrets.token_urlsafe(32))

    assert api_get(client, raw).status_code == 200
    assert api_get(client, raw, "/api/v1/parties").status_code == 200
    assert api_get(client, raw).status_code == 429  # over its limit of 2 a minute
    assert api_get(client, unknown).status_code == 401
    assert api_get(client, revoked_raw).status_code == 401
    assert api_get(client, events_only).status_code == 403  # reading needs the read scope
    assert api_get(client, events_only, scheme="bearer").status_code == 403
    assert net.records("django.request"), "the refusals were logged"
    assert net.leaks() == []


def test_a_token_sent_with_another_scheme_is_not_logged_in_debug_mode(net, world, settings):  # noqa: F811
    from pacta.core.actions.api import do_create_api_token

    settings.DEBUG = True  # as in the demo
    client = Client(raise_request_exception=False)
    _token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"])
    net.secret("token", raw)
    basic = net.secret("basic credentials", base64.b64encode(f"olav:{PASSWORD}".encode()).decode())
    assert api_get(client, raw, scheme="Token").status_code == 401
    assert api_get(client, basic, scheme="Basic").status_code == 401
    assert net.leaks() == []


def test_a_server_error_in_the_api_keeps_the_token_out_of_the_log_and_the_mail(net, world, monkeypatch):  # noqa: F811
    from pacta.api import auth
    from pacta.api.routers import parties
    from pacta.core.actions.api import do_create_api_token

    _token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"])
    net.secret("token", raw)
    net.secret("Authorization header", f"Bearer {raw}")

    def broken(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(parties, "_parties", broken)
    client = Client(raise_request_exception=False)
    response = api_get(client, raw, "/api/v1/parties")
    assert response.status_code == 500
    net.add("the error page", response.content)
    # The database fails while the token itself is looked up.
    monkeypatch.setattr(auth, "find_api_token", broken)
    response = api_get(client, raw, "/api/v1/me")
    assert response.status_code == 500
    net.add("the second error page", response.content)
    reports = [m for m in mail.outbox if m.to == ["ops@example.com"]]
    assert len(reports) == 2 and "/api/v1/parties" in reports[0].subject and "/api/v1/me" in reports[1].subject
    assert net.leaks() == []


# ---------------------------------------------------------------------------
# Calendar feeds


def test_calendar_feed_urls_valid_unknown_revoked_and_posted_to(net, world):  # noqa: F811
    from pacta.core.actions.watch import do_create_calendar_token

    client = Client(raise_request_exception=False)
    _old, old = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    net.secret("revoked feed token", old)
    _token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)  # the old one stops working
    net.secret("feed token", raw)
    unknown = net.secret("unknown feed token", secrets.token_urlsafe(32))

    assert client.get(reverse("calendar_feed", args=[raw])).status_code == 200
    assert client.get(reverse("calendar_feed", args=[unknown])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.post(reverse("calendar_feed", args=[raw])).status_code == 405
    not_found = [r for r in net.records("django.request") if r.status_code == 404]
    assert len(not_found) == 2, "an unknown feed URL is logged, without its token"
    assert net.leaks() == []


def test_a_server_error_in_the_calendar_feed_keeps_its_token_out_of_the_log_and_the_mail(
        net, world, monkeypatch):  # noqa: F811
    from pacta.core.actions.watch import do_create_calendar_token
    from pacta.front import feeds

    _token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    net.secret("feed token", raw)

    def broken(user):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(feeds, "calendar_feed", broken)
    client = Client(raise_request_exception=False)
    response = client.get(reverse("calendar_feed", args=[raw]))
    assert response.status_code == 500
    net.add("the error page", response.content)
    (report,) = [m for m in mail.outbox if m.to == ["ops@example.com"]]
    assert "Internal Server Error" in report.subject and "OperationalError" in report.body
    assert net.leaks() == []


# ---------------------------------------------------------------------------
# SMTP with a password


class AuthSmtpServer(SmtpServer):
    """The test's SMTP server, asking for a user name and a password (AUTH PLAIN or LOGIN, without TLS)."""

    def __init__(self, user: str, password: str):
        super().__init__()
        self.user, self.password = user.encode(), password.encode()
        self.logins: list[bool] = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = (auth_data.login, auth_data.password) == (self.user, self.password)
        self.logins.append(ok)
        return AuthResult(success=ok, handled=False)  # a refusal answers "535"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, authenticator=self.authenticate,
                                     auth_require_tls=False)
        self.controller.start()


def queue(world, to="olav@example.com"):  # noqa: F811
    from pacta.core.models import OutboundMail

    return OutboundMail.objects.create(kind="alert", recipient=world.olav, to=to, subject="Order 10643 is late",
                                       body_text="Order 10643 is late.", next_attempt_at=T0)


def test_mail_through_smtp_with_a_password_accepted_refused_and_the_server_down(net, world, settings):  # noqa: F811
    from pacta.core.outbox import send_queued_mail

    password = settings.EMAIL_HOST_PASSWORD
    for form, value in {"AUTH PLAIN": f"\0pacta\0{password}", "AUTH LOGIN": password}.items():
        net.secret(f"EMAIL_HOST_PASSWORD as {form} sends it",
                   base64.b64encode(value.encode()).decode())
    server = AuthSmtpServer("pacta", password)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER = "127.0.0.1", server.port, "pacta"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    server.start()
    try:
        sent = queue(world)
        assert send_queued_mail().sent == 1 and server.logins == [True] and len(server.messages) == 1

        settings.EMAIL_HOST_PASSWORD = "not-" + password  # the server refuses it
        net.secret("wrong EMAIL_HOST_PASSWORD", settings.EMAIL_HOST_PASSWORD)
        refused = queue(world, to="nina@example.com")
        assert send_queued_mail().retried == 1
        assert server.logins[0] and len(server.logins) > 1 and not any(server.logins[1:])  # PLAIN, then LOGIN
        refused.refresh_from_db()
        assert "Authentication" in refused.last_error or "535" in refused.last_error
        net.add("the refused mail's error (shown on the mail page)", refused.last_error)
    finally:
        server.stop()
    down = queue(world, to="vera@example.com")
    down.next_attempt_at = T0
    down.save()
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)):
        send_queued_mail()
    down.refresh_from_db()
    assert down.status == "queued" and down.last_error
    net.add("the error while the server was down", down.last_error)
    sent.refresh_from_db()
    assert sent.status == "sent"
    assert net.leaks() == []


# ---------------------------------------------------------------------------
# Webhooks


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, format, *args):  # the receiving side's access log is not pacta's
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhook_deliveries_signed_with_their_secret_delivered_refused_and_unreachable(
        net, world, receiver, settings):  # noqa: F811
    from pacta.core.actions.api import do_create_webhook
    from pacta.core.models import Deviation, WebhookDelivery
    from pacta.core.webhooks import SIGNATURE_HEADER, deliver_due_webhooks, sign

    settings.PACTA_WEBHOOK_TIMEOUT = 2
    secret = net.secret("webhook secret", "whsec-" + secrets.token_urlsafe(32))
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/pacta"
    webhook = do_create_webhook(acting_user=world.mona, name="ERP", url=url, secret=secret)
    down = do_create_webhook(acting_user=world.mona, name="Gone", url="http://127.0.0.1:9/nothing-listens",
                             secret=net.secret("second webhook secret", "whsec-" + secrets.token_urlsafe(32)))
    Deviation.objects.create(commitment=world.volume, old_status="open", new_status="overdue",
                             reason="Q1 is short", at=at("2025-04-01T00:00:00+02:00"))
    report = deliver_due_webhooks()
    assert report.delivered == 1 and report.retried == 1
    (headers, body), = receiver.received
    assert headers[SIGNATURE_HEADER] == sign(secret, body)  # signed with the secret, which went nowhere else

    receiver.status = 500
    Deviation.objects.create(commitment=world.volume, old_status="overdue", new_status="broken",
                             reason="Q1 is over", at=at("2025-04-02T00:00:00+02:00"))
    deliver_due_webhooks()
    for delivery in WebhookDelivery.objects.filter(subscription__in=[webhook, down]):
        net.add(f"webhook delivery {delivery.pk}'s log (shown on the webhook's page)",
                repr(delivery.log) + delivery.last_error)
    assert WebhookDelivery.objects.filter(subscription=webhook, status="queued").exclude(last_error="").exists()
    assert net.leaks() == []


# ---------------------------------------------------------------------------
# gunicorn's access log (`pacta serve`)


def test_the_access_log_of_pacta_serve_writes_a_calendar_feed_url_without_its_token(capfd):
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from pacta.core.management.commands.serve import gunicorn_argv
    from pacta.lib.access_log import AccessLogger

    argv = gunicorn_argv("127.0.0.1:8000", 1, 60)
    assert argv[argv.index("--logger-class") + 1] == "pacta.lib.access_log.AccessLogger"
    token = secrets.token_urlsafe(32)
    path = f"/calendar/{token}.ics"
    config = Config()
    config.set("accesslog", "-")
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1", "HTTP_USER_AGENT": "Thunderbird"}
    response = SimpleNamespace(status="200 OK", headers=[("Content-Type", "text/calendar")], sent=812)
    request = SimpleNamespace(headers=[("USER-AGENT", "Thunderbird")])
    written = {}
    for name, logger_class in {"gunicorn's": Logger, "pacta's": AccessLogger}.items():
        capfd.readouterr()
        logger_class(config).access(response, request, environ, dt.timedelta(milliseconds=12))
        written[name] = capfd.readouterr().out
    assert token in written["gunicorn's"]  # what gunicorn alone would keep
    assert token not in written["pacta's"] and '"GET /calendar/***.ics HTTP/1.1" 200' in written["pacta's"]
