"""Writes of "watch and act": actions, absences, calendar tokens.

Like every do_* function (STYLE.md habit 5) each one is atomic, writes the
audit entry, and takes `acting_user` by keyword (None: the watcher). They do
not check permissions: views and the API do, with `can_change_action` and
`can_manage_absences` below, before they call them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit, diff_fields
from pacta.core.actions.register import RegisterError, claim_revision, do_waive_instance
from pacta.core.models import Absence, Action, CalendarToken, Commitment, Deviation
from pacta.core.permissions import can_change
from pacta.core.routing import Assignment, route
from pacta.lib import clock

# How many days a person gets to act, by what happened (the more pressing, the sooner).
DUE_DAYS = {"overdue": 1, "broken": 3, "kept_late": 5, "at_risk": 7}
DEFAULT_DUE_DAYS = 7

ACTION_FIELDS = ("title", "description", "owner", "due_on", "status")


@dataclass
class WaiverData:
    """The other side's release of the action's instance (COMMITMENTS.md `waived`)."""

    reason: str
    granted_by: str
    at: dt.datetime | None = None  # default: now


# ---------------------------------------------------------------------------
# permissions


def can_change_action(user, action: Action) -> bool:
    """Its owner, whoever may change the commitment, and managers may work on an action."""
    if not (user and user.is_authenticated and user.is_active and user.can_write):
        return False
    return user.pk == action.owner_id or can_change(user, action.commitment)


def can_manage_absences(user, of_user) -> bool:
    """People record their own absences; managers record anybody's."""
    if not (user and user.is_authenticated and user.is_active and user.can_write):
        return False
    return user.pk == of_user.pk or user.is_manager


# ---------------------------------------------------------------------------
# helpers


def _context(commitment: Commitment) -> dict:
    agreement = commitment.agreement
    return {"agreement": agreement, "party": agreement.party}


def default_title(commitment: Commitment, instance_key: str) -> str:
    """An action's title: the promise in plain words and the instance (language-neutral)."""
    terms = commitment.current_terms()
    title = terms.title if terms is not None else commitment.key
    return f"{title} — {instance_key}" if instance_key else title


def due_for(new_status: str, day: dt.date) -> dt.date:
    return day + dt.timedelta(days=DUE_DAYS.get(new_status, DEFAULT_DUE_DAYS))


def _open_action_exists(commitment: Commitment, instance_key: str) -> bool:
    return bool(instance_key) and Action.objects.filter(
        commitment=commitment, instance_key=instance_key, status__in=Action.OPEN_STATUSES
    ).exists()


# ---------------------------------------------------------------------------
# actions


@transaction.atomic
def do_open_action(
    commitment: Commitment,
    *,
    acting_user,
    instance_key: str = "",
    title: str = "",
    description: str = "",
    owner=None,
    due_on: dt.date | None = None,
    deviation: Deviation | None = None,
) -> Action:
    """Open an action on a commitment (or one of its instances).

    Without `owner` the action is routed (pacta.core.routing.route): the
    executor, or a stand-in while they are away, or nobody (unassigned). Without
    `due_on` it is due by the deviation's severity, else in a week. Refused when
    an action is already open for the same instance.
    """
    instance_key = (instance_key or (deviation.instance_key if deviation else "")).strip()
    if _open_action_exists(commitment, instance_key):
        raise RegisterError({"instance_key": [_("An action is already open for this instance.")]})
    now = clock.now()
    today = clock.local_today(commitment.agreement.timezone, now)
    if owner is not None:
        assignment = Assignment(owner, Action.Routing.CHOSEN)
    else:
        assignment = route(commitment, today)
    if due_on is None:
        due_on = due_for(deviation.new_status if deviation else "", today)
    action = Action.objects.create(
        commitment=commitment,
        instance_key=instance_key,
        title=(title.strip() or default_title(commitment, instance_key))[:300],
        description=description or (deviation.reason if deviation else ""),
        owner=assignment.owner,
        routing=assignment.routing,
        meant_for=assignment.meant_for,
        due_on=due_on,
        opened_at=now,
        opened_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    if deviation is not None:
        deviation.action = action
        deviation.save(update_fields=["action"])
    audit(acting_user, "open_action", action, **_context(commitment), changes={
        "instance": instance_key, "owner": assignment.owner, "routing": assignment.routing,
        "due_on": due_on, "deviation": deviation.pk if deviation else None,
    })
    return action


@transaction.atomic
def do_update_action(action: Action, *, acting_user, expected_revision: int | None, **fields) -> Action:
    """Change an open action's title, description, owner, due date, or status (open ↔ in progress).

    Closing goes through do_resolve_action; reopening a closed action is a
    status change back to open (refused when another action is open for the
    same instance meanwhile).
    """
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown action fields: {sorted(unknown)}")
    status = fields.get("status", action.status)
    if status not in Action.OPEN_STATUSES:
        raise RegisterError({"status": [_("To close an action, resolve it (done or dismissed) with a note.")]})
    if "title" in fields and not fields["title"].strip():
        raise RegisterError({"title": [_("This field is required.")]})
    reopening = not action.is_open
    if reopening and Action.objects.filter(
        commitment=action.commitment_id, instance_key=action.instance_key, status__in=Action.OPEN_STATUSES
    ).exclude(instance_key="").exists():
        raise RegisterError({"status": [_("Another action is open for this instance.")]})
    claim_revision(Action, action, expected_revision)
    changes = diff_fields(action, fields)
    for name, value in fields.items():
        setattr(action, name, value)
    if "owner" in changes:
        action.routing = Action.Routing.CHOSEN if action.owner is not None else Action.Routing.UNASSIGNED
        action.meant_for = None
    if reopening:
        action.closed_at = None
        action.closed_by = None
    action.save()
    if changes:
        audit(acting_user, "change_action", action, **_context(action.commitment), changes=changes)
    return action


@transaction.atomic
def do_resolve_action(
    action: Action,
    *,
    acting_user,
    expected_revision: int | None,
    status: str = Action.Status.DONE,
    resolution: str = "",
    waiver: WaiverData | None = None,
) -> Action:
    """Close an action as done or dismissed, with a resolution note.

    With `waiver`, the action's instance is also recorded as released by the
    other side (do_waive_instance), and its commitment is marked due for
    re-evaluation so the watcher records the instance as waived.
    """
    errors: dict[str, list[str]] = {}
    if status not in (Action.Status.DONE, Action.Status.DISMISSED):
        errors["status"] = [_("Choose done or dismissed.")]
    if not action.is_open:
        errors["status"] = [_("This action is closed already.")]
    if status == Action.Status.DISMISSED and not resolution.strip():
        errors["resolution"] = [_("Say why it is dismissed.")]
    if waiver is not None and not action.instance_key:
        errors["waiver"] = [_("Only an action on one instance can waive it.")]
    if errors:
        raise RegisterError(errors)
    claim_revision(Action, action, expected_revision)
    now = clock.now()
    if waiver is not None:
        action.waiver = do_waive_instance(
            action.commitment, action.instance_key, acting_user=acting_user, reason=waiver.reason,
            granted_by=waiver.granted_by, at=waiver.at or now,
        )
        Commitment.objects.filter(pk=action.commitment_id).update(next_check_at=now)
    old_status = action.status
    action.status = status
    action.resolution = resolution.strip()
    action.closed_at = now
    action.closed_by = acting_user if getattr(acting_user, "pk", None) else None
    action.save()
    audit(acting_user, "resolve_action", action, **_context(action.commitment), changes={
        "status": [old_status, status], "resolution": action.resolution,
        "waiver": action.waiver.pk if action.waiver else None,
    })
    return action


# ---------------------------------------------------------------------------
# absences


@transaction.atomic
def do_record_absence(*, acting_user, user, start: dt.date, end: dt.date, note: str = "") -> Absence:
    """Record that `user` is away from `start` to `end` (both included)."""
    if end < start:
        raise RegisterError({"end": [_("The end must not be before the start.")]})
    absence = Absence.objects.create(
        user=user, start=start, end=end, note=note.strip(),
        recorded_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    audit(acting_user, "record_absence", absence, changes={"user": user, "start": start, "end": end, "note": note})
    return absence


@transaction.atomic
def do_delete_absence(absence: Absence, *, acting_user) -> None:
    audit(acting_user, "delete_absence", absence, changes={"user": absence.user, "start": absence.start,
                                                           "end": absence.end})
    absence.delete()


# ---------------------------------------------------------------------------
# calendar tokens


def hash_token(raw: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is as good as a slow hash here."""
    return hashlib.sha256(raw.encode()).hexdigest()


def find_calendar_token(raw: str) -> CalendarToken | None:
    """The active token for a feed URL's secret, or None (unknown, revoked, or its user inactive)."""
    if not raw or len(raw) > 200:
        return None
    return (
        CalendarToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


@transaction.atomic
def do_create_calendar_token(*, acting_user, user) -> tuple[CalendarToken, str]:
    """Give `user` a new calendar feed secret; their older ones stop working.

    Returns the token row and the secret itself, which is stored nowhere: show
    it once (in the feed URL).
    """
    now = timezone.now()
    for old in CalendarToken.objects.filter(user=user, revoked_at__isnull=True):
        _revoke(old, acting_user, now)
    raw = secrets.token_urlsafe(32)
    token = CalendarToken.objects.create(user=user, token_hash=hash_token(raw), hint=raw[-4:])
    audit(acting_user, "create_calendar_token", token, changes={"user": user, "hint": token.hint})
    return token, raw


@transaction.atomic
def do_revoke_calendar_token(token: CalendarToken, *, acting_user) -> CalendarToken:
    """Stop a calendar feed URL from working (again revoking a revoked token changes nothing)."""
    if token.revoked_at is None:
        _revoke(token, acting_user, timezone.now())
    return token


def _revoke(token: CalendarToken, acting_user, now: dt.datetime) -> None:
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    audit(acting_user, "revoke_calendar_token", token, changes={"user": token.user_id, "hint": token.hint})


__all__ = [
    "DUE_DAYS",
    "WaiverData",
    "can_change_action",
    "can_manage_absences",
    "default_title",
    "do_create_calendar_token",
    "do_delete_absence",
    "do_open_action",
    "do_record_absence",
    "do_resolve_action",
    "do_revoke_calendar_token",
    "do_update_action",
    "due_for",
    "find_calendar_token",
    "hash_token",
]
