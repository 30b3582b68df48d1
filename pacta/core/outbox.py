"""The outbox: alerts, reminders and digests are composed into rows, then sent.

Composing: each mail is rendered once, in its recipient's language and time
zone, and stored as an `OutboundMail` row in the transaction that decided to
send it (the watcher's claim of a deviation, a reminder or a digest). A
malformed or missing address is recorded as a failed mail for that person
(shown on their page and on the dashboard), never raised.

Sending (`send_queued_mail`): a sender claims a due mail
(`status` queued → sending, with a fresh claim token and a lease), sends it,
then records the outcome guarded by its token. If the SMTP server is down the
mail goes back to the queue with an exponential backoff (1, 2, 4 … minutes, at
most 6 hours between tries) and its error is kept; after
`PACTA_MAIL_MAX_ATTEMPTS` tries it is failed for good. A sender killed between
its claim and the outcome leaves the mail "sending" until the lease expires;
then the next sender sends it — once. (A sender killed after the SMTP server
accepted the mail but before it recorded that would send it again after the
lease; the mail keeps its Message-ID so the receiving side can tell.) When the
database goes away between sending and recording, the sender keeps the outcome
and records it first thing when the database is back, before it claims any
more mail: a watcher that outlives the outage sends nothing twice.

Scheduling uses the wall clock (a failed mail must be retried even when the
demo's domain clock stands still); contents use the domain clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from pacta.core import dashboard
from pacta.core.intake import intakes_awaiting_decision, waiting_days
from pacta.core.models import Action, Deviation, OutboundMail, WatchStatus
from pacta.core.routing import absent_user_ids, is_available, recipient_for
from pacta.lib import clock, emails
from pacta.lib.money import minor_unit, round_money

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
RETRY_FIRST = dt.timedelta(minutes=1)
RETRY_LONGEST = dt.timedelta(hours=6)
MAX_ATTEMPTS = 12
MORNING_HOUR = 7  # reminders and digests go out from this local hour on
BATCH = 50

# Which preference of the user decides on an alert about a change into each state.
ALERT_PREFERENCE = {
    WatchStatus.AT_RISK: "alert_at_risk",
    WatchStatus.OVERDUE: "alert_overdue",
    WatchStatus.BROKEN: "alert_broken",
    WatchStatus.KEPT_LATE: "alert_broken",
}


def _setting(name: str, default):
    return getattr(settings, name, default)


def wants_alert(user, new_status: str) -> bool:
    """Does `user` want an e-mail when something they answer for changes into `new_status`?"""
    return bool(getattr(user, ALERT_PREFERENCE.get(new_status, "alert_recovered")))


# ---------------------------------------------------------------------------
# Links and money as mails show them


_pageless: set[str] = set()


def link(obj) -> str:
    """The absolute URL of an object's page; the dashboard while that page does not exist."""
    try:
        return emails.site_url(obj.get_absolute_url())
    except NoReverseMatch:
        kind = type(obj).__name__
        if kind not in _pageless:  # say it once per process, not once per mail
            _pageless.add(kind)
            log.warning("no page for %s yet; linking the dashboard", kind)
        return emails.site_url(reverse("front:dashboard"))


def money_lines(items: Iterable[dict]) -> list[dict]:
    """Money items (JSON) for a mail: kind, payer, and the amount rounded to the currency's minor unit."""
    from pacta.front.labels import MONEY_KINDS, MONEY_STATES, PAYERS

    lines = []
    for item in items:
        try:
            amount = Decimal(str(item.get("amount")))
        except InvalidOperation:
            continue
        currency = item.get("currency", "")
        lines.append({
            "kind": MONEY_KINDS.get(item.get("kind"), item.get("kind")),
            "payer": PAYERS.get(item.get("payer"), item.get("payer")),
            "state": MONEY_STATES.get(item.get("state"), item.get("state")),
            "amount": round_money(amount, currency or "EUR"),
            "places": f"{minor_unit(currency or 'EUR')}g",  # floatformat: decimals, grouped
            "currency": currency,
        })
    return lines


def commitment_title(commitment) -> str:
    terms = commitment.current_terms()
    return terms.title if terms is not None else commitment.key


# ---------------------------------------------------------------------------
# Composing


def queue_mail(kind: str, recipient, rendered_by: Callable, ctx: dict, *, key: str = "") -> OutboundMail | None:
    """Render a mail for `recipient` and put it in the outbox; None when `key` was queued before.

    A recipient whose address is missing or malformed gets a failed row with
    the reason instead, so the problem shows and nothing raises.
    """
    if key and OutboundMail.objects.filter(key=key).exists():
        return None
    rendered = rendered_by({**ctx, "recipient": recipient}, language=recipient.language, tz=recipient.timezone)
    problem = emails.address_problem(recipient.email)
    now = timezone.now()
    try:
        with transaction.atomic():
            return OutboundMail.objects.create(
                kind=kind, key=key, recipient=recipient, to=(recipient.email or "")[:254],
                language=rendered.language, subject=rendered.subject[:300], body_text=rendered.text,
                body_html=rendered.html,
                status=OutboundMail.Status.FAILED if problem else OutboundMail.Status.QUEUED,
                last_error=problem or "", next_attempt_at=None if problem else now,
            )
    except IntegrityError:
        return None  # another watcher queued the same keyed mail a moment ago


def _alert_item(deviation: Deviation) -> dict:
    commitment = deviation.commitment
    action = deviation.action
    return {
        "title": commitment_title(commitment),
        "agreement": commitment.agreement,
        "party": commitment.agreement.party,
        "instance": deviation.instance_key,
        "old": WatchStatus(deviation.old_status).label if deviation.old_status else None,
        "new": WatchStatus(deviation.new_status).label if deviation.new_status else None,
        "new_code": deviation.new_status,
        "reason": deviation.reason,
        "money": money_lines(deviation.money),
        "url": link(commitment),
        "action": action,
        "action_url": link(action) if action else None,
        "meant_for": action.meant_for if action and action.meant_for_id and action.owner_id != action.meant_for_id else None,
    }


def queue_alert(recipient, deviations: list[Deviation], now: dt.datetime) -> OutboundMail | None:
    """One alert mail to `recipient` about these deviations; each deviation remembers it."""
    items = [_alert_item(d) for d in deviations]
    mail = queue_mail(OutboundMail.Kind.ALERT, recipient, emails.alert, {"items": items, "now": now})
    if mail is not None:
        Deviation.objects.filter(pk__in=[d.pk for d in deviations]).update(alert=mail)
    return mail


def _is_morning_or_later(user, wall_now: dt.datetime) -> bool:
    return wall_now.astimezone(clock.zone(user.timezone)).hour >= _setting("PACTA_MORNING_HOUR", MORNING_HOUR)


def overdue_actions(today: dt.date) -> QuerySet[Action]:
    """Open actions whose due date has passed by `today`."""
    return Action.objects.filter(status__in=Action.OPEN_STATUSES, due_on__lt=today, owner__isnull=False)


def _keys_taken(keys: Iterable[str]) -> set[str]:
    return set(OutboundMail.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def queue_reminders(now: dt.datetime, *, wall_now: dt.datetime | None = None) -> int:
    """Queue today's reminder of overdue actions for each person who has some; return how many.

    One mail per person and day (from the morning hour in their time zone),
    listing their overdue actions, and those of owners they stand in for while
    away. People who are away get none.
    """
    wall_now = wall_now or timezone.now()
    today = clock.local_today(at=now)
    absent = absent_user_ids(today)
    per_user: dict = {}
    for action in overdue_actions(today).select_related("owner", "commitment__agreement__party").order_by("due_on", "pk"):
        recipient = action.owner if is_available(action.owner, today, absent) else recipient_for(action, today)
        if recipient is not None:
            per_user.setdefault(recipient, []).append(action)
    keys = {user: f"nag:{user.pk}:{wall_now.astimezone(clock.zone(user.timezone)).date().isoformat()}"
            for user in per_user}
    taken = _keys_taken(keys.values())
    queued = 0
    for user, actions in per_user.items():
        if keys[user] in taken or not user.remind_overdue_actions or not _is_morning_or_later(user, wall_now):
            continue
        items = [_action_item(a, user, today) for a in actions]
        if queue_mail(OutboundMail.Kind.NAG, user, emails.nag, {"items": items, "today": today}, key=keys[user]):
            queued += 1
    return queued


def digest_week(user, wall_now: dt.datetime) -> str:
    """The ISO week a digest belongs to, in the user's time zone ("2025-W10")."""
    year, week, _day = wall_now.astimezone(clock.zone(user.timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def digest_recipients(users: QuerySet | None = None) -> list:
    """Who of `users` (default: everybody active who wants one) gets a weekly digest:
    managers, and those who answer for a commitment or have an open action."""
    from pacta.accounts.models import Role
    from pacta.core.models import Commitment

    if users is None:
        users = get_user_model().objects.filter(is_active=True, weekly_digest=True)
    answering = set()
    for owner, agreement_owner, spoc in Commitment.objects.values_list(
        "owner", "agreement__owner", "agreement__party__spoc"
    ).distinct():
        answering.add(owner or agreement_owner or spoc)  # pacta.core.routing.responsible_for
    answering |= set(Action.objects.filter(status__in=Action.OPEN_STATUSES).values_list("owner", flat=True))
    return [u for u in users.order_by("username") if u.has_role(Role.MANAGER) or u.pk in answering]


def _instance_item(instance) -> dict:
    commitment = instance.commitment
    return {"title": commitment_title(commitment), "key": instance.key, "party": commitment.agreement.party,
            "due": instance.due, "explanation": instance.explanation, "url": link(commitment)}


def _action_item(action: Action, user, today: dt.date) -> dict:
    return {"action": action, "title": action.title, "party": action.commitment.agreement.party,
            "due": action.due_on, "days_late": max((today - action.due_on).days, 0), "url": link(action),
            "stand_in_for": action.owner if action.owner_id and action.owner_id != user.pk else None}


def digest_context(user, now: dt.datetime) -> dict:
    """What a person's weekly digest says, as of the domain moment `now`."""
    figures = dashboard.personal_figures(user, now=now)
    today = figures["today"]
    ctx = {**figures, "now": now, "money": money_lines(figures["money"]),
           "dashboard_url": emails.site_url(reverse("front:dashboard"))}
    for name in ("due_this_week", "at_risk", "overdue"):
        ctx[name] = [_instance_item(i) for i in figures[name]]
    for name in ("open_actions", "unassigned_actions"):
        ctx[name] = [_action_item(a, user, today) for a in figures[name]]
    ctx["waiting_intakes"] = [_intake_item(i, now) for i in intakes_awaiting_decision(user, now)]
    return ctx


def _intake_item(intake, now: dt.datetime) -> dict:
    return {"title": intake.title, "party": intake.party.name if intake.party else intake.prospect_name,
            "days": waiting_days(intake, now), "url": emails.site_url(reverse("engagement:intake", args=[intake.pk]))}


def queue_digests(now: dt.datetime, *, wall_now: dt.datetime | None = None, any_day: bool = False,
                  users: Iterable | None = None) -> int:
    """Queue this week's digest for each recipient who has not had it; return how many.

    The watcher queues them from Monday's morning hour on in each recipient's
    time zone (`any_day`: at once, for `pacta digest`). One per person and
    week, however often this runs and however many watchers run it: once
    this week's are out, a pass costs two queries.
    """
    wall_now = wall_now or timezone.now()
    if users is None:
        users = get_user_model().objects.filter(is_active=True, weekly_digest=True)
    keys = {user: f"digest:{user.pk}:{digest_week(user, wall_now)}" for user in users}
    taken = _keys_taken(keys.values())
    due = [user.pk for user, key in keys.items() if key not in taken and (any_day or _digest_time(user, wall_now))]
    queued = 0
    for user in digest_recipients(get_user_model().objects.filter(pk__in=due)) if due else ():
        if queue_mail(OutboundMail.Kind.DIGEST, user, emails.digest, digest_context(user, now), key=keys[user]):
            queued += 1
    return queued


def _digest_time(user, wall_now: dt.datetime) -> bool:
    """From Monday's morning hour on, for the rest of the week (a watcher down on Monday catches up)."""
    local = wall_now.astimezone(clock.zone(user.timezone))
    return local.weekday() > 0 or local.hour >= _setting("PACTA_MORNING_HOUR", MORNING_HOUR)


# ---------------------------------------------------------------------------
# Sending


def _claimable(now: dt.datetime) -> Q:
    return (Q(status=OutboundMail.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=OutboundMail.Status.SENDING, claimed_until__lt=now))


def claim_mail(pk: int, now: dt.datetime | None = None) -> str | None:
    """Claim one due mail for sending; return the claim token, or None when another sender has it."""
    now = now or timezone.now()
    token = secrets.token_hex(16)
    lease = dt.timedelta(seconds=_setting("PACTA_MAIL_LEASE_SECONDS", LEASE.total_seconds()))
    claimed = OutboundMail.objects.filter(Q(pk=pk) & _claimable(now)).update(
        status=OutboundMail.Status.SENDING, claim_token=token, claimed_until=now + lease,
        attempts=F("attempts") + 1, last_attempt_at=now,
    )
    return token if claimed == 1 else None


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: 1, 2, 4, … minutes after the 1st, 2nd, 3rd … failed try; at most 6 hours."""
    first = dt.timedelta(seconds=_setting("PACTA_MAIL_RETRY_FIRST_SECONDS", RETRY_FIRST.total_seconds()))
    longest = dt.timedelta(seconds=_setting("PACTA_MAIL_RETRY_LONGEST_SECONDS", RETRY_LONGEST.total_seconds()))
    return min(first * (2 ** max(attempts - 1, 0)), longest)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


# Outcomes this process could not record because the database went away: (pk, token, fields).
_unrecorded: list[tuple[int, str, dict]] = []


def _finish(pk: int, token: str, **fields) -> None:
    try:
        updated = OutboundMail.objects.filter(pk=pk, claim_token=token).update(claimed_until=None, **fields)
    except (OperationalError, InterfaceError):
        _unrecorded.append((pk, token, fields))  # recorded by the next send_queued_mail
        raise
    if updated != 1:
        log.warning("mail %s: the claim expired while sending; another sender has it now", pk)


def record_unrecorded() -> None:
    """Record the outcomes that the database was not there to take (see `_finish`)."""
    while _unrecorded:
        pk, token, fields = _unrecorded.pop(0)
        _finish(pk, token, **fields)


def deliver(mail: OutboundMail, token: str, connection=None) -> str:
    """Send a claimed mail and record the outcome; return the new status."""
    rendered = emails.Rendered(mail.subject, mail.body_text, mail.body_html, mail.language)
    try:
        emails.send(rendered, mail.to, unique=f"mail-{mail.pk}", connection=connection)
    except emails.PermanentFailure as exc:
        _finish(mail.pk, token, status=OutboundMail.Status.FAILED, last_error=str(exc)[:2000], next_attempt_at=None)
        return OutboundMail.Status.FAILED
    except Exception as exc:  # the server is down, slow or says "later": try again later
        if connection is not None:
            _close(connection)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if mail.attempts >= _setting("PACTA_MAIL_MAX_ATTEMPTS", MAX_ATTEMPTS):
            _finish(mail.pk, token, status=OutboundMail.Status.FAILED, last_error=error, next_attempt_at=None)
            return OutboundMail.Status.FAILED
        _finish(mail.pk, token, status=OutboundMail.Status.QUEUED, last_error=error,
                next_attempt_at=timezone.now() + retry_delay(mail.attempts))
        return OutboundMail.Status.QUEUED
    _finish(mail.pk, token, status=OutboundMail.Status.SENT, sent_at=timezone.now(), last_error="")
    return OutboundMail.Status.SENT


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # closing a broken connection may fail again; it is gone either way
        log.debug("closing the mail connection failed", exc_info=True)


def send_queued_mail(*, batch: int | None = None, should_stop: Callable[[], bool] = bool) -> SendReport:
    """Send all mail that is due, oldest first, in batches over one connection; return what happened."""
    record_unrecorded()  # before claiming anything: a mail sent during an outage stays sent
    now = timezone.now()
    report = SendReport()
    size = batch or _setting("PACTA_MAIL_BATCH", BATCH)
    connection = None
    try:
        while not should_stop():
            pks = list(OutboundMail.objects.filter(_claimable(now)).order_by("next_attempt_at", "pk")
                       .values_list("pk", flat=True)[:size])
            if not pks:
                break
            connection = connection or emails.open_connection()
            for pk in pks:
                token = claim_mail(pk, now)
                if token is None:
                    continue  # another sender was quicker
                status = deliver(OutboundMail.objects.get(pk=pk), token, connection)
                report.sent += status == OutboundMail.Status.SENT
                report.retried += status == OutboundMail.Status.QUEUED
                report.failed += status == OutboundMail.Status.FAILED
                if should_stop():
                    break
    finally:
        if connection is not None:
            _close(connection)
    return report


# ---------------------------------------------------------------------------
# What the dashboard and a user's page show about mail


def failed_mail() -> QuerySet[OutboundMail]:
    """Mail that will not go out without help: refused, malformed address, or out of tries."""
    return OutboundMail.objects.filter(status=OutboundMail.Status.FAILED)


def retrying_mail() -> QuerySet[OutboundMail]:
    """Mail waiting for another try after a failed one (the SMTP server was down)."""
    return OutboundMail.objects.filter(status__in=[OutboundMail.Status.QUEUED, OutboundMail.Status.SENDING],
                                       attempts__gt=0)


def mail_problems(user) -> QuerySet[OutboundMail]:
    """A person's mail that failed or waits for a retry, newest first (for their page)."""
    return (failed_mail() | retrying_mail()).filter(recipient=user).order_by("-created_at", "-pk")

