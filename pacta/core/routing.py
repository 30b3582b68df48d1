"""Who answers for a commitment, and who stands in while they are away.

The executor of a commitment answers for it (its `owner`; when that is empty,
the agreement's owner; when that is empty too, the party's point of contact).
While that person is away (an `Absence` covers the day) or cannot act (inactive,
viewer), new actions and alerts go to the party's deputy, else the agreement's
deputy, else the available manager with the fewest open actions. When nobody is
available the action stays unassigned, and the managers see it on the dashboard
and in their digest: nothing is assigned to nobody silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Q, QuerySet, Value, When

from pacta.accounts.models import Role
from pacta.core.models import Absence, Action, Commitment


def responsible_q(user, prefix: str = "") -> Q:
    """Filter for the commitments `user` answers for (see the module docstring).

    `prefix` reaches a commitment from another model, e.g. "commitment__" for
    actions or instances.
    """
    p = prefix
    return (
        Q(**{f"{p}owner": user})
        | Q(**{f"{p}owner__isnull": True, f"{p}agreement__owner": user})
        | Q(**{f"{p}owner__isnull": True, f"{p}agreement__owner__isnull": True, f"{p}agreement__party__spoc": user})
    )


def responsible_for(commitment: Commitment):
    """The person who answers for `commitment`, or None."""
    agreement = commitment.agreement
    return commitment.owner or agreement.owner or agreement.party.spoc


def absent_user_ids(day: dt.date) -> set[int]:
    """The people away on `day`."""
    return set(Absence.objects.filter(start__lte=day, end__gte=day).values_list("user_id", flat=True))


def is_away(user, day: dt.date) -> bool:
    return Absence.objects.filter(user=user, start__lte=day, end__gte=day).exists()


def is_available(user, day: dt.date, absent: set[int] | None = None) -> bool:
    """Can `user` take on work on `day`: active, allowed to change things, not away?"""
    if user is None or not user.is_active or not user.can_write:
        return False
    return user.pk not in (absent if absent is not None else absent_user_ids(day))


@dataclass(frozen=True)
class Assignment:
    """Where new work for a commitment goes: `owner` (None: unassigned), how it
    was chosen (`Action.Routing`), and the executor it was meant for when a
    stand-in takes it."""

    owner: object | None
    routing: str
    meant_for: object | None = None


def available_manager(day: dt.date, absent: set[int] | None = None, exclude=None):
    """The manager (else administrator) with the fewest open actions who is available on `day`."""
    absent = absent if absent is not None else absent_user_ids(day)
    users = (
        get_user_model().objects.filter(is_active=True)
        .filter(Q(role__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True))
        .exclude(pk__in=absent)
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return (
        users.annotate(
            rank=Case(When(role=Role.MANAGER, is_superuser=False, then=Value(0)), default=Value(1)),
            open_actions=Count("actions", filter=Q(actions__status__in=Action.OPEN_STATUSES)),
        )
        .order_by("rank", "open_actions", "username")
        .first()
    )


def route(commitment: Commitment, day: dt.date) -> Assignment:
    """Who gets new work for `commitment` on `day` (see the module docstring)."""
    absent = absent_user_ids(day)
    executor = responsible_for(commitment)
    if is_available(executor, day, absent):
        return Assignment(executor, Action.Routing.OWNER)
    agreement = commitment.agreement
    for candidate, how in (
        (agreement.party.deputy, Action.Routing.PARTY_DEPUTY),
        (agreement.deputy, Action.Routing.AGREEMENT_DEPUTY),
    ):
        if candidate is not None and candidate != executor and is_available(candidate, day, absent):
            return Assignment(candidate, how, executor)
    manager = available_manager(day, absent, exclude=executor)
    if manager is not None:
        return Assignment(manager, Action.Routing.MANAGER, executor)
    return Assignment(None, Action.Routing.UNASSIGNED, executor)


def recipient_for(action: Action, day: dt.date):
    """Who is told about `action` on `day`: its owner, or the stand-in while the owner is away."""
    if is_available(action.owner, day):
        return action.owner
    if action.owner is None:
        return None  # unassigned: the managers see it in the dashboard and their digest
    return route(action.commitment, day).owner


def deputised_q(user, day: dt.date) -> Q:
    """Filter for the open actions `user` looks after on `day` because their owner is away
    and `user` is the deputy of the party or the agreement."""
    absent = absent_user_ids(day)
    return (
        Q(status__in=Action.OPEN_STATUSES, owner__in=absent)
        & (Q(commitment__agreement__party__deputy=user) | Q(commitment__agreement__deputy=user))
        & ~Q(owner=user)
    )


def actions_for(user, day: dt.date) -> QuerySet[Action]:
    """The open actions `user` should see on `day`: their own, and those of people they deputise who are away."""
    return Action.objects.filter(
        Q(status__in=Action.OPEN_STATUSES) & (Q(owner=user) | deputised_q(user, day))
    ).distinct()
