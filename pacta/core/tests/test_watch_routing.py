"""Deputies: while the executor is away, new actions and alerts go to a stand-in."""

import datetime as dt

import time_machine

from pacta.accounts.models import Role
from pacta.conftest import make_user
from pacta.core.actions.watch import do_record_absence
from pacta.core.models import Action, Deviation, OutboundMail
from pacta.core.routing import actions_for, route
from pacta.core.tests.watch_world import at, world  # noqa: F401
from pacta.core.watch import process_deviations

NOW = at("2025-07-15T09:00:00+02:00")
TODAY = dt.date(2025, 7, 15)
frozen = time_machine.travel(NOW, tick=False)


def away(world, user, start="2025-07-14", end="2025-07-25"):
    return do_record_absence(acting_user=world.mona, user=user, start=dt.date.fromisoformat(start),
                             end=dt.date.fromisoformat(end))


def broken(world, key="10643") -> Deviation:
    d = Deviation.objects.create(commitment=world.call_ahead, instance_key=key, old_status="open",
                                 new_status="broken", reason="not announced", at=NOW,
                                 evidence={"due": "2025-07-14"})
    process_deviations(NOW)
    d.refresh_from_db()
    return d


@frozen
def test_the_executor_gets_the_action_when_present(world):
    assert route(world.call_ahead, TODAY).owner == world.olav
    assert broken(world).action.owner == world.olav


@frozen
def test_while_the_executor_is_away_the_party_deputy_gets_action_and_alert(world):
    away(world, world.olav)
    d = broken(world)
    assert (d.action.owner, d.action.routing, d.action.meant_for) == (world.nina, "party_deputy", world.olav)
    assert OutboundMail.objects.get().recipient == world.nina
    assert "you stand in for Olav Owner" in OutboundMail.objects.get().body_text


@frozen
def test_an_absence_that_ended_yesterday_or_starts_tomorrow_changes_nothing(world):
    away(world, world.olav, "2025-07-01", "2025-07-14")
    away(world, world.olav, "2025-07-16", "2025-07-20")
    assert route(world.call_ahead, TODAY).owner == world.olav


@frozen
def test_without_a_party_deputy_the_agreement_deputy_stands_in(world):
    vic = make_user("vic", Role.MEMBER)
    world.party.deputy = None
    world.party.save()
    world.agreement.deputy = vic
    world.agreement.save()
    away(world, world.olav)
    assert route(world.call_ahead, TODAY).routing == "agreement_deputy"
    assert broken(world).action.owner == vic


@frozen
def test_when_the_deputy_is_away_too_a_manager_stands_in(world):
    away(world, world.olav)
    away(world, world.nina)
    d = broken(world)
    assert (d.action.owner, d.action.routing) == (world.mona, "manager")


@frozen
def test_the_manager_with_the_fewest_open_actions_stands_in(world):
    max_ = make_user("max", Role.MANAGER)
    away(world, world.olav)
    away(world, world.nina)
    # Both have no open action: "max" comes before "mona" and takes the first;
    # then mona has fewer.
    assert broken(world, "1").action.owner == max_
    assert broken(world, "2").action.owner == world.mona


@frozen
def test_nobody_available_leaves_the_action_unassigned_and_unmailed(world):
    for user in (world.olav, world.nina, world.mona):
        away(world, user)
    world.admin.is_active = False
    world.admin.save()
    d = broken(world)
    assert (d.action.owner, d.action.routing, d.action.meant_for) == (None, "unassigned", world.olav)
    assert OutboundMail.objects.count() == 0


@frozen
def test_a_viewer_or_inactive_executor_counts_as_unavailable(world):
    world.call_ahead.owner = world.vera
    world.call_ahead.save()
    assert route(world.call_ahead, TODAY).owner == world.nina


@frozen
def test_a_commitment_without_executor_goes_to_the_agreement_owner_then_the_point_of_contact(world):
    world.call_ahead.owner = None
    world.call_ahead.save()
    assert route(world.call_ahead, TODAY).owner == world.olav  # the party's point of contact
    world.call_ahead.agreement.owner = world.mona
    world.call_ahead.agreement.save()
    assert route(world.call_ahead, TODAY).owner == world.mona


@frozen
def test_alerts_about_an_existing_action_go_to_the_deputy_while_its_owner_is_away(world):
    broken(world)  # olav's action
    OutboundMail.objects.all().delete()
    away(world, world.olav)
    Deviation.objects.create(commitment=world.call_ahead, instance_key="10643", old_status="broken",
                             new_status="kept_late", at=NOW, evidence={"due": "2025-07-14"})
    process_deviations(NOW)
    assert Action.objects.get().owner == world.olav  # the action stays his
    assert OutboundMail.objects.get().recipient == world.nina


@frozen
def test_the_deputy_sees_the_open_actions_of_the_owner_who_is_away(world):
    action = broken(world).action
    assert list(actions_for(world.nina, TODAY)) == []
    away(world, world.olav)
    assert list(actions_for(world.nina, TODAY)) == [action]
    assert list(actions_for(world.olav, TODAY)) == [action]
    assert list(actions_for(world.mona, TODAY)) == []  # not a deputy of this party
