"""Webhooks: deviations and action changes posted to other systems.

Queueing (`queue_webhooks`). Every active subscription keeps two cursors: the
last deviation and the last audit entry it has looked at. Each pass queues a
`WebhookDelivery` for every newer deviation (topic `deviation.recorded`) and
every newer audit entry about an action (`action.opened`, `action.changed`,
`action.resolved`: the audit log is where every change of an action is
recorded, by whoever made it). The body is composed once, as the API returns
the deviation or the action then, so a retry posts exactly the same bytes.
No hook in the writers is needed: deviations and audit entries are
append-only rows, read here after they are committed.

A paused subscription keeps its place and hears, once active again, what
happened meanwhile; a topic it does not want is skipped, not kept for later.

A row may commit a moment after a row with a higher id (two writers on
PostgreSQL), so a cursor moves only past rows older than `SETTLE`; younger
rows are looked at again, and a unique constraint per (subscription, row)
keeps them from being queued twice.

Delivering (`deliver_due_webhooks`). A sender claims a due delivery (queued →
sending, with a lease, as the outbox claims mail), posts the body with
`X-Pacta-Signature: sha256=<HMAC-SHA256 of the body with the subscription's
secret>`, and records the attempt in the delivery's log. A 2xx answer
delivers it; anything else (another status, a redirect, a timeout, a refused
connection) retries after 1, 2, 4 … minutes, at most 6 hours apart, and after
`PACTA_WEBHOOK_MAX_ATTEMPTS` tries it has failed for good. After one failure a
subscription gets no more tries in the same pass, and a pass posts at most
`PACTA_WEBHOOK_PER_PASS` deliveries: a receiver that is down, or a backlog,
does not hold up the watcher.

Scheduling uses the wall clock, as the outbox does: `now` is
`timezone.now()`, never the domain clock's override.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from pacta.core.models import Action, AuditEntry, Deviation, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

SETTLE = dt.timedelta(minutes=5)
LEASE = dt.timedelta(minutes=2)
TIMEOUT_SECONDS = 5
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_LONGEST = dt.timedelta(hours=6)
MAX_ATTEMPTS = 10
BATCH = 200  # rows queued per subscription and pass, deliveries claimed per round
PER_PASS = 1000  # posts per pass at most: a backlog does not hold up the watcher's other work
ACTION_TOPICS = {"open_action": "action.opened", "change_action": "action.changed", "resolve_action": "action.resolved"}
SIGNATURE_HEADER = "X-Pacta-Signature"


def _setting(name: str, default):
    return getattr(settings, name, default)


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------
# Composing


def _dump(body: dict) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def deviation_body(deviation: Deviation) -> str:
    from pacta.api.schemas import DeviationOut

    return _dump({"topic": "deviation.recorded", "at": deviation.created_at.isoformat(),
                  "deviation": DeviationOut.from_orm(deviation).model_dump(mode="json")})


def action_body(entry: AuditEntry, action: Action | None) -> str:
    from pacta.api.schemas import ActionOut

    return _dump({
        "topic": ACTION_TOPICS[entry.action], "at": entry.at.isoformat(),
        "action": ActionOut.from_orm(action).model_dump(mode="json") if action is not None else None,
        "by": entry.user.get_username() if entry.user else None, "changes": entry.changes,
    })


# ---------------------------------------------------------------------------
# Queueing


def _settled_max(model, cursor: int, moment_field: str, settled: dt.datetime) -> int:
    """The highest id past `cursor` of rows written before `settled`: how far the cursor may move."""
    found = model.objects.filter(pk__gt=cursor, **{f"{moment_field}__lt": settled}).aggregate(last=Max("pk"))["last"]
    return max(cursor, found or 0)


def _queue_deviations(webhook: WebhookSubscription, now: dt.datetime) -> int:
    cursor = webhook.deviation_cursor
    rows = list(
        Deviation.objects.filter(pk__gt=cursor)
        .exclude(pk__in=webhook.deliveries.filter(deviation_id__gt=cursor).values("deviation_id"))
        .select_related("commitment__agreement__party").order_by("pk")[:_setting("PACTA_WEBHOOK_BATCH", BATCH)]
    )
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(subscription=webhook, topic="deviation.recorded", deviation=d, body=deviation_body(d),
                        next_attempt_at=now) for d in rows
    ], ignore_conflicts=True)
    webhook.deviation_cursor = _moved(webhook.deviation_cursor, rows, Deviation, "created_at", now)
    return len(rows)


def _queue_actions(webhook: WebhookSubscription, now: dt.datetime) -> int:
    cursor = webhook.audit_cursor
    rows = list(
        AuditEntry.objects.filter(pk__gt=cursor, object_type="action", action__in=list(ACTION_TOPICS))
        .exclude(pk__in=webhook.deliveries.filter(audit_entry_id__gt=cursor).values("audit_entry_id"))
        .select_related("user").order_by("pk")[:_setting("PACTA_WEBHOOK_BATCH", BATCH)]
    )
    found = Action.objects.select_related("commitment__agreement__party", "owner", "meant_for", "opened_by",
                                          "closed_by").in_bulk([int(e.object_id) for e in rows])
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(subscription=webhook, topic=ACTION_TOPICS[e.action], audit_entry=e,
                        body=action_body(e, found.get(int(e.object_id))), next_attempt_at=now) for e in rows
    ], ignore_conflicts=True)
    webhook.audit_cursor = _moved(webhook.audit_cursor, rows, AuditEntry, "at", now)
    return len(rows)


def _moved(cursor: int, rows: list, model, moment_field: str, now: dt.datetime) -> int:
    """The cursor after queueing `rows`: past the settled rows, but not past what a full batch left unread."""
    settle = dt.timedelta(seconds=_setting("PACTA_WEBHOOK_SETTLE_SECONDS", SETTLE.total_seconds()))
    moved = _settled_max(model, cursor, moment_field, now - settle)
    if len(rows) >= _setting("PACTA_WEBHOOK_BATCH", BATCH):
        moved = min(moved, rows[-1].pk)
    return max(cursor, moved)


def queue_webhooks(now: dt.datetime | None = None) -> int:
    """Queue a delivery per subscription for each new deviation and action change; return how many.

    One transaction per subscription, which is locked meanwhile: two watchers
    take turns, and the cursor moves with the deliveries it stands for.
    """
    now = now or timezone.now()
    queued = 0
    for pk in WebhookSubscription.objects.filter(is_active=True).values_list("pk", flat=True):
        with transaction.atomic():
            webhook = WebhookSubscription.objects.select_for_update().filter(pk=pk, is_active=True).first()
            if webhook is None:
                continue
            if webhook.on_deviations:
                queued += _queue_deviations(webhook, now)
            else:
                webhook.deviation_cursor = Deviation.objects.aggregate(last=Max("pk"))["last"] or 0
            if webhook.on_actions:
                queued += _queue_actions(webhook, now)
            else:
                webhook.audit_cursor = AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0
            webhook.save(update_fields=["deviation_cursor", "audit_cursor"])
    return queued


# ---------------------------------------------------------------------------
# Delivering


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: the body is not posted elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass
class Attempt:
    status: int | None  # the HTTP status, None when no answer came
    error: str
    ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST `body` to `url`; what happened, never raised."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    status, error = None, ""
    try:
        with _opener.open(request, timeout=_setting("PACTA_WEBHOOK_TIMEOUT", TIMEOUT_SECONDS)) as response:
            status = response.status
            response.read(1024)
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except Exception as exc:  # refused, timed out, bad URL, TLS: all mean "try again later"
        error = f"{type(exc).__name__}: {exc}"
    return Attempt(status, error[:500], int((time.monotonic() - started) * 1000))


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failed try; at most 6 hours."""
    first = dt.timedelta(seconds=_setting("PACTA_WEBHOOK_RETRY_FIRST_SECONDS", RETRY_FIRST.total_seconds()))
    longest = dt.timedelta(seconds=_setting("PACTA_WEBHOOK_RETRY_LONGEST_SECONDS", RETRY_LONGEST.total_seconds()))
    return min(first * (2 ** max(attempts - 1, 0)), longest)


def _claimable(now: dt.datetime) -> Q:
    return (Q(status=WebhookDelivery.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=WebhookDelivery.Status.SENDING, claimed_until__lt=now))


def claim_delivery(pk: int, now: dt.datetime) -> str | None:
    """Claim one due delivery; return the claim token, or None when another sender has it."""
    token = secrets.token_hex(16)
    claimed = WebhookDelivery.objects.filter(Q(pk=pk) & _claimable(now)).update(
        status=WebhookDelivery.Status.SENDING, claim_token=token, claimed_until=now + LEASE,
        attempts=F("attempts") + 1, last_attempt_at=now,
    )
    return token if claimed == 1 else None


def deliver(delivery: WebhookDelivery, token: str) -> Attempt:
    """Post a claimed delivery and record the attempt and the outcome."""
    body = delivery.body.encode()
    webhook = delivery.subscription
    attempt = post(webhook.url, body, {
        "Content-Type": "application/json", "User-Agent": "pacta-webhooks/1",
        "X-Pacta-Topic": delivery.topic, "X-Pacta-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: sign(webhook.secret, body),
    })
    now = timezone.now()
    entry = {"at": now.isoformat(), "status": attempt.status, "error": attempt.error, "ms": attempt.ms}
    fields = {"log": [*delivery.log, entry], "claimed_until": None, "last_error": attempt.error}
    if attempt.ok:
        fields.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif delivery.attempts >= _setting("PACTA_WEBHOOK_MAX_ATTEMPTS", MAX_ATTEMPTS):
        fields.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    else:
        fields.update(status=WebhookDelivery.Status.QUEUED, next_attempt_at=now + retry_delay(delivery.attempts))
    if WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(**fields) != 1:
        log.warning("webhook delivery %s: the claim expired while posting; another sender has it now", delivery.pk)
    return attempt


@dataclass
class WebhookReport:
    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due_webhooks(now: dt.datetime | None = None, *, should_stop: Callable[[], bool] = bool) -> WebhookReport:
    """Queue what is new, then post every due delivery, oldest first (see the module docstring).

    `now` is the wall clock's moment (default: `timezone.now()`). The watcher
    calls this once per pass.
    """
    now = now or timezone.now()
    report = WebhookReport(queued=queue_webhooks(now))
    down: set[int] = set()  # subscriptions that failed in this pass
    budget = _setting("PACTA_WEBHOOK_PER_PASS", PER_PASS)
    while not should_stop() and budget > 0:
        due = list(WebhookDelivery.objects.filter(_claimable(now)).exclude(subscription__in=down)
                   .order_by("next_attempt_at", "pk").values_list("pk", "subscription_id")[:BATCH])
        if not due:
            break
        for pk, webhook_id in due:
            token = None if webhook_id in down else claim_delivery(pk, now)
            if token is None:
                continue  # its receiver is down, or another sender was quicker
            delivery = WebhookDelivery.objects.select_related("subscription").get(pk=pk)
            attempt = deliver(delivery, token)
            budget -= 1
            if attempt.ok:
                report.delivered += 1
            else:
                down.add(webhook_id)
                failed = delivery.attempts >= _setting("PACTA_WEBHOOK_MAX_ATTEMPTS", MAX_ATTEMPTS)
                report.failed += failed
                report.retried += not failed
            if should_stop() or budget <= 0:
                break
    return report
