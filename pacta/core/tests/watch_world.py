"""The small world of the watcher's tests, and a real SMTP server on localhost.

One customer, Alfreds Futterkiste (ALFKI): Olav is its point of contact and
executes its commitments, Nina is the party's deputy, Mona the manager. The
agreement ALFKI-2025 is in force for 2025 in Europe/Berlin with a quarterly
minimum volume (`volume`) and a call-ahead promise (`call_ahead`).

`store_verdict` writes a verdict the way the evaluation stores one (the
commitment's cache and its Instance rows, replaced), so that the watcher's
steps can be tested on exactly the states they compare.

Use the fixtures by importing them into a test module:
`from pacta.core.tests.watch_world import world, smtp  # noqa: F401`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from pacta.core.actions.register import CommitmentData, do_create_agreement, do_create_party
from pacta.core.models import Commitment, Instance

UTC = dt.timezone.utc
BERLIN = dt.timezone(dt.timedelta(hours=1))  # CET, for moments in winter


def at(text: str) -> dt.datetime:
    """An aware moment from ISO text with its offset."""
    return dt.datetime.fromisoformat(text)


VOLUME = CommitmentData(
    key="volume", type="volume_commitment", title="At least 10,000 units a quarter",
    params={"period": "quarter", "minimum": "10000", "shortfall_fee": "0.50"},
)
CALL_AHEAD = CommitmentData(
    key="call-ahead", type="notice_before_delivery", title="Call one hour before each delivery",
    params={"min_before": "PT1H", "max_before": "PT24H"},
)


@pytest.fixture
def world(db, settings, request):
    # The five users are made with a fast hasher: these tests never log in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = request.getfixturevalue("users")
    mona, olav, nina = users["mona"], users["olav"], users["nina"]
    party = do_create_party(acting_user=mona, code="ALFKI", name="Alfreds Futterkiste", country="DE",
                            spoc=olav, deputy=nina)
    agreement = do_create_agreement(
        acting_user=mona, party=party, reference="ALFKI-2025", valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31), currency="EUR", timezone="Europe/Berlin", status="in_force",
        commitments=[
            CommitmentData(**{**VOLUME.__dict__, "owner": olav}),
            CommitmentData(**{**CALL_AHEAD.__dict__, "owner": olav}),
        ],
    )
    return SimpleNamespace(
        users=users, mona=mona, olav=olav, nina=nina, vera=users["vera"], admin=users["admin"],
        party=party, agreement=agreement,
        volume=Commitment.objects.get(agreement=agreement, key="volume"),
        call_ahead=Commitment.objects.get(agreement=agreement, key="call-ahead"),
    )


def store_verdict(commitment: Commitment, status: str, instances: dict[str, dict], *,
                  evaluated_at: dt.datetime, next_check_at: dt.datetime | None = None, money=None,
                  explanation: str = "") -> None:
    """Store a verdict as the evaluation does: the commitment's cache and its instances, replaced.

    `instances` maps a key to Instance fields, e.g. {"10643": {"status": "overdue", "due": …}}.
    """
    Instance.objects.filter(commitment=commitment).delete()
    Instance.objects.bulk_create([
        Instance(commitment=commitment, key=key, status=fields.get("status", "open"),
                 health=fields.get("health", ""), due=fields.get("due"), done=fields.get("done"),
                 days_late=fields.get("days_late"), money=fields.get("money", []),
                 explanation=fields.get("explanation", f"{key} is {fields.get('status', 'open')}."))
        for key, fields in instances.items()
    ])
    Commitment.objects.filter(pk=commitment.pk).update(
        status=status, evaluated_at=evaluated_at, as_of=evaluated_at, next_check_at=next_check_at,
        money=money if money is not None else [m for f in instances.values() for m in f.get("money", [])],
        explanation=explanation,
    )
    commitment.refresh_from_db()


def penalty(amount: str, state: str = "due", kind: str = "penalty", payer: str = "us") -> dict:
    return {"kind": kind, "amount": amount, "currency": "EUR", "payer": payer, "state": state}


# ---------------------------------------------------------------------------
# A real SMTP server on localhost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server received: parsed messages and their envelopes."""

    messages: list = field(default_factory=list)
    recipients: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    refuse: set = field(default_factory=set)  # addresses answered with "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a free localhost port; it can be down (`stop`) and come back (`start`)."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.inbox.messages

    def env(self) -> dict[str, str]:
        """Environment variables that point another process's pacta at this server."""
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0", "EMAIL_USE_SSL": "0"}


@pytest.fixture
def smtp(settings):
    """A running SMTP server, with Django's SMTP backend pointed at it (stop() it to test an outage)."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "https://pacta.example.com"
    server.start()
    yield server
    server.stop()


def parts(message) -> dict[str, str]:
    """A received message's text and HTML bodies, by content type."""
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if part.get_content_type() in ("text/plain", "text/html")}
