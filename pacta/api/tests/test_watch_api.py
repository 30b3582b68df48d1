"""Deviations and actions through the API: read, filter, open, change, resolve — as the web pages do."""

import time_machine

from pacta.core.actions.watch import do_open_action
from pacta.core.models import Action, Deviation, Waiver
from pacta.core.tests.watch_world import at

NOW = at("2025-02-10T12:00:00+01:00")


def deviation(world, key, new_status, old_status="open"):
    return Deviation.objects.create(commitment=world.call_ahead, instance_key=key, old_status=old_status,
                                    new_status=new_status, reason=f"{key} was not announced", at=NOW,
                                    evidence={"due": "2025-02-03", "done": None, "days_late": None})


def test_deviations_are_listed_newest_first_and_filtered(api_client, tokens, world):
    deviation(world, "10643", "broken")
    deviation(world, "10644", "overdue")
    client = api_client(tokens["read"])
    body = client.get("/deviations").json()
    assert [d["instance"] for d in body["items"]] == ["10644", "10643"]
    assert body["items"][0]["commitment"] == "call-ahead" and body["items"][0]["party"] == "ALFKI"
    broken = client.get("/deviations", query={"new_status": "broken"}).json()["items"]
    assert [d["instance"] for d in broken] == ["10643"]
    one = client.get(f"/deviations/{broken[0]['id']}").json()
    assert one["reason"] == "10643 was not announced"


@time_machine.travel(NOW, tick=False)
def test_an_action_is_opened_routed_changed_and_resolved(api_client, tokens, world):
    client = api_client(tokens["admin"])
    opened = client.post("/actions", {"agreement": "ALFKI-2025", "commitment": "call-ahead", "instance": "10643"})
    assert opened.status_code == 201
    action = opened.json()
    assert (action["owner"], action["routing"], action["status"]) == ("olav", "owner", "open")
    changed = client.patch(f"/actions/{action['id']}", {"status": "in_progress", "revision": action["revision"]})
    assert changed.json()["status"] == "in_progress"
    resolved = client.post(f"/actions/{action['id']}/resolve", {
        "status": "done", "resolution": "Customer agreed it was fine",
        "waiver": {"reason": "Delivered early on request", "granted_by": "Maria Anders"}})
    assert resolved.json()["status"] == "done" and resolved.json()["closed_by"] == "olav"
    assert Waiver.objects.get(instance_key="10643").granted_by == "Maria Anders"


@time_machine.travel(NOW, tick=False)
def test_a_second_open_action_for_the_same_instance_is_refused(api_client, tokens, world):
    client = api_client(tokens["admin"])
    body = {"agreement": "ALFKI-2025", "commitment": "call-ahead", "instance": "10643"}
    client.post("/actions", body)
    refused = client.post("/actions", body)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "instance_key"


@time_machine.travel(NOW, tick=False)
def test_dismissing_needs_a_reason(api_client, tokens, world):
    action = do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    refused = api_client(tokens["admin"]).post(f"/actions/{action.pk}/resolve", {"status": "dismissed"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "resolution"
    assert Action.objects.get(pk=action.pk).is_open


@time_machine.travel(NOW, tick=False)
def test_an_outsider_may_read_an_action_but_not_work_on_it(api_client, tokens, world):
    world.party.deputy = None
    world.party.save()
    action = do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    client = api_client(tokens["nina_admin"])
    assert client.get(f"/actions/{action.pk}").status_code == 200
    assert client.patch(f"/actions/{action.pk}", {"title": "Mine now"}).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_actions_are_filtered_like_the_web_list(api_client, tokens, world):
    do_open_action(world.call_ahead, acting_user=world.mona, instance_key="10643")
    closed = do_open_action(world.volume, acting_user=world.mona, instance_key="2025-Q1")
    closed.status = Action.Status.DONE
    closed.save()
    client = api_client(tokens["read"])
    assert [a["instance"] for a in client.get("/actions").json()["items"]] == ["10643"]
    assert client.get("/actions", query={"status": "all"}).json()["count"] == 2
    assert client.get("/actions", query={"owner": "none"}).json()["count"] == 0
