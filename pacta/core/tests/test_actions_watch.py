"""The writes of watch and act: actions, absences, calendar tokens."""

import datetime as dt
import hashlib

import pytest
import time_machine

from pacta.core.actions.register import ConflictError, RegisterError
from pacta.core.actions.watch import (
    WaiverData,
    can_change_action,
    can_manage_absences,
    do_create_calendar_token,
    do_delete_absence,
    do_open_action,
    do_record_absence,
    do_resolve_action,
    do_revoke_calendar_token,
    do_update_action,
    find_calendar_token,
)
from pacta.core.models import Absence, Action, AuditEntry, CalendarToken, Commitment, Waiver
from pacta.core.tests.watch_world import at, world  # noqa: F401

NOW = at("2025-03-10T12:00:00+01:00")
frozen = time_machine.travel(NOW, tick=False)


@frozen
def test_a_person_opens_an_action_by_hand_routed_to_the_executor_due_in_a_week(world):
    action = do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643",
                            description="Ask the driver why he did not call.")
    assert (action.owner, action.routing, action.opened_by) == (world.olav, "owner", world.mona)
    assert action.due_on == dt.date(2025, 3, 17)
    assert action.title == "Call one hour before each delivery — 10643"
    assert AuditEntry.objects.filter(action="open_action", user=world.mona, party=world.party).exists()


@frozen
def test_a_person_may_choose_the_owner_and_due_date(world):
    action = do_open_action(world.call_ahead, acting_user=world.mona, owner=world.nina, title="Train the drivers",
                            due_on=dt.date(2025, 4, 1))
    assert (action.owner, action.routing, action.instance_key, action.title) == (
        world.nina, "chosen", "", "Train the drivers")


@frozen
def test_a_second_open_action_for_the_same_instance_is_refused(world):
    do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    with pytest.raises(RegisterError) as exc:
        do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    assert "instance_key" in exc.value.errors
    # On the commitment as a whole, several may be open.
    do_open_action(world.call_ahead, acting_user=world.mona, title="One")
    do_open_action(world.call_ahead, acting_user=world.mona, title="Two")
    assert Action.objects.count() == 3


@frozen
def test_updating_an_action_checks_the_revision_and_records_the_change(world):
    action = do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    seen = action.revision
    do_update_action(action, acting_user=world.olav, expected_revision=seen, status="in_progress",
                     due_on=dt.date(2025, 3, 20))
    stale = Action.objects.get(pk=action.pk)
    stale.revision = seen
    with pytest.raises(ConflictError):
        do_update_action(stale, acting_user=world.nina, expected_revision=seen, title="Mine")
    entry = AuditEntry.objects.get(action="change_action")
    assert entry.changes["status"] == ["open", "in_progress"]
    assert Action.objects.get(pk=action.pk).title != "Mine"


@frozen
def test_reassigning_an_action_marks_it_chosen(world):
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    do_update_action(action, acting_user=world.mona, expected_revision=action.revision, owner=world.nina)
    action.refresh_from_db()
    assert (action.owner, action.routing) == (world.nina, "chosen")


@frozen
def test_an_action_is_closed_by_resolving_it_not_by_updating_its_status(world):
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    with pytest.raises(RegisterError):
        do_update_action(action, acting_user=world.olav, expected_revision=action.revision, status="done")


@frozen
def test_resolving_closes_the_action_with_its_note(world):
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision, resolution="Driver briefed.")
    action.refresh_from_db()
    assert (action.status, action.resolution, action.closed_by, action.closed_at) == (
        "done", "Driver briefed.", world.olav, NOW)
    with pytest.raises(RegisterError):
        do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision)


@frozen
def test_dismissing_needs_a_reason(world):
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    with pytest.raises(RegisterError) as exc:
        do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision, status="dismissed")
    assert "resolution" in exc.value.errors
    assert Action.objects.get(pk=action.pk).is_open


@frozen
def test_resolving_with_a_waiver_records_it_and_has_the_commitment_evaluated_again(world):
    Commitment.objects.filter(pk=world.call_ahead.pk).update(next_check_at=at("2025-06-01T00:00:00+02:00"))
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision,
                      resolution="They let it go.", waiver=WaiverData(reason="Goodwill", granted_by="Maria Anders"))
    waiver = Waiver.objects.get()
    assert (waiver.instance_key, waiver.granted_by, waiver.reason, waiver.at) == ("10643", "Maria Anders", "Goodwill", NOW)
    assert Action.objects.get(pk=action.pk).waiver == waiver
    assert Commitment.objects.get(pk=world.call_ahead.pk).next_check_at == NOW


@frozen
def test_a_waiver_needs_an_instance_and_who_released_it(world):
    general = do_open_action(world.call_ahead, acting_user=None, title="General")
    with pytest.raises(RegisterError) as exc:
        do_resolve_action(general, acting_user=world.olav, expected_revision=general.revision, resolution="x",
                          waiver=WaiverData(reason="Goodwill", granted_by="Maria"))
    assert "waiver" in exc.value.errors
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    with pytest.raises(RegisterError) as exc:
        do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision, resolution="x",
                          waiver=WaiverData(reason="Goodwill", granted_by=" "))
    assert "granted_by" in exc.value.errors
    assert Action.objects.get(pk=action.pk).is_open  # nothing of it was written
    assert not Waiver.objects.exists()


@frozen
def test_a_closed_action_can_be_reopened_unless_another_is_open(world):
    action = do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision, resolution="done")
    action.refresh_from_db()
    do_update_action(action, acting_user=world.olav, expected_revision=action.revision, status="open")
    action.refresh_from_db()
    assert (action.status, action.closed_at) == ("open", None)
    do_resolve_action(action, acting_user=world.olav, expected_revision=action.revision, resolution="done")
    do_open_action(world.call_ahead, acting_user=None, instance_key="10643")
    action.refresh_from_db()
    with pytest.raises(RegisterError):
        do_update_action(action, acting_user=world.olav, expected_revision=action.revision, status="open")


def test_who_may_change_an_action(world):
    with time_machine.travel(NOW, tick=False):
        action = do_open_action(world.call_ahead, acting_user=None, owner=world.nina, title="Nina's")
    assert can_change_action(world.nina, action)  # its owner
    assert can_change_action(world.olav, action)  # executes the commitment
    assert can_change_action(world.mona, action)  # manager
    assert not can_change_action(world.vera, action)  # viewer
    world.nina.is_active = False
    assert not can_change_action(world.nina, action)


def test_an_absence_is_recorded_with_both_days_included_and_can_be_deleted(world):
    absence = do_record_absence(acting_user=world.olav, user=world.olav, start=dt.date(2025, 7, 14),
                                end=dt.date(2025, 7, 14), note="Dentist")
    assert (absence.start, absence.end, absence.recorded_by) == (dt.date(2025, 7, 14), dt.date(2025, 7, 14), world.olav)
    do_delete_absence(absence, acting_user=world.olav)
    assert not Absence.objects.exists()
    assert list(AuditEntry.objects.filter(action__endswith="_absence").order_by("pk")
                .values_list("action", flat=True)) == ["record_absence", "delete_absence"]


def test_an_absence_cannot_end_before_it_starts(world):
    with pytest.raises(RegisterError) as exc:
        do_record_absence(acting_user=world.olav, user=world.olav, start=dt.date(2025, 7, 14), end=dt.date(2025, 7, 13))
    assert "end" in exc.value.errors


def test_people_manage_their_own_absences_and_managers_anybodys(world):
    assert can_manage_absences(world.olav, world.olav)
    assert not can_manage_absences(world.olav, world.nina)
    assert can_manage_absences(world.mona, world.nina)
    assert not can_manage_absences(world.vera, world.vera)


def test_a_calendar_token_is_stored_only_as_its_hash(world):
    token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert len(raw) >= 40
    assert not CalendarToken.objects.filter(token_hash=raw).exists()
    assert token.hint == raw[-4:]
    assert find_calendar_token(raw) == token


def test_a_new_calendar_token_replaces_the_old_one(world):
    old, old_raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    new, new_raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    assert find_calendar_token(old_raw) is None
    assert find_calendar_token(new_raw) == new
    assert CalendarToken.objects.get(pk=old.pk).revoked_at is not None


def test_a_revoked_token_or_an_inactive_user_opens_no_feed(world):
    token, raw = do_create_calendar_token(acting_user=world.olav, user=world.olav)
    world.olav.is_active = False
    world.olav.save()
    assert find_calendar_token(raw) is None
    world.olav.is_active = True
    world.olav.save()
    do_revoke_calendar_token(token, acting_user=world.mona)
    assert find_calendar_token(raw) is None
    assert find_calendar_token("") is None
    assert AuditEntry.objects.filter(action="revoke_calendar_token", user=world.mona).exists()
