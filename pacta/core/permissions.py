"""Who may change what.

Every signed-in, active user may see everything. A viewer never changes
anything. A member changes what they own: a party they are the point of
contact or deputy for, that party's agreements, agreements they own or
deputise, and commitments they execute or registered. Managers and
administrators change everything.
"""

from __future__ import annotations

from pacta.core.models import Agreement, Commitment, Party


def can_view(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _owns_party(user, party: Party) -> bool:
    return user.pk is not None and user.pk in (party.spoc_id, party.deputy_id)


def _owns_agreement(user, agreement: Agreement) -> bool:
    return user.pk in (agreement.owner_id, agreement.deputy_id) or _owns_party(user, agreement.party)


def can_change(user, obj=None) -> bool:
    """May `user` change `obj` (a Party, Agreement or Commitment)? With no object: may they create things?"""
    if not can_view(user) or not user.can_write:
        return False
    if user.is_manager:
        return True
    if obj is None:
        return True  # members may create parties and agreements; they own what they create
    if isinstance(obj, Party):
        return _owns_party(user, obj)
    if isinstance(obj, Agreement):
        return _owns_agreement(user, obj)
    if isinstance(obj, Commitment):
        return user.pk in (obj.owner_id, obj.registrar_id) or _owns_agreement(user, obj.agreement)
    return False
