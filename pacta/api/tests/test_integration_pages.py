"""The pages of "open to other systems": API tokens shown once and revocable, webhooks for managers with
their delivery log, the event log."""

import re

import time_machine

from pacta.conftest import PASSWORD
from pacta.core.actions.api import do_create_webhook, find_api_token
from pacta.core.models import ApiToken, Deviation, WebhookDelivery
from pacta.core.tests.watch_world import at

NOW = at("2025-02-10T12:00:00+01:00")


def signed_in(client, username):
    client.login(username=username, password=PASSWORD)
    return client


def test_a_token_is_shown_once_and_works(client, world, api_client):
    page = signed_in(client, "olav").post("/integrations/tokens/", {"name": "Exact", "scopes": ["read", "events"]})
    assert page.status_code == 201
    [secret] = re.findall(r'id="token-secret"[^>]*value="([^"]+)"', page.content.decode())
    assert find_api_token(secret).scopes == ["events", "read"]
    assert api_client(secret).get("/me").json()["username"] == "olav"
    again = client.get("/integrations/tokens/").content.decode()
    assert secret not in again and "Exact" in again


def test_a_viewer_is_offered_only_the_read_scope(client, world):
    page = signed_in(client, "vera").get("/integrations/tokens/").content.decode()
    assert 'value="read"' in page and 'value="events"' not in page and 'value="admin"' not in page
    refused = client.post("/integrations/tokens/", {"name": "x", "scopes": ["events"]})
    assert refused.status_code == 200 and not ApiToken.objects.exists()


def test_a_token_is_revoked_by_its_owner_not_by_others(client, world, tokens):
    token = find_api_token(tokens["read"])
    assert signed_in(client, "nina").post(f"/integrations/tokens/{token.pk}/revoke/").status_code == 403
    client.logout()
    signed_in(client, "olav").post(f"/integrations/tokens/{token.pk}/revoke/")
    assert find_api_token(tokens["read"]) is None


@time_machine.travel(NOW, tick=False)
def test_the_token_page_shows_its_use_log(client, world, tokens, api_client):
    api_client(tokens["read"]).get("/parties")
    token = find_api_token(tokens["read"])
    page = signed_in(client, "olav").get(f"/integrations/tokens/{token.pk}/").content.decode()
    assert "GET /api/v1/parties" in page


def test_webhooks_are_for_managers(client, world):
    assert signed_in(client, "olav").get("/integrations/webhooks/").status_code == 403
    client.logout()
    page = signed_in(client, "mona").post("/integrations/webhooks/new/", {
        "name": "ERP", "url": "https://erp.example.com/pacta", "on_deviations": "on", "on_actions": "on"})
    assert page.status_code == 200 and 'id="webhook-secret"' in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_the_delivery_log_shows_each_attempt(client, world):
    webhook = do_create_webhook(acting_user=world.mona, name="ERP", url="http://127.0.0.1:9/x")
    deviation = Deviation.objects.create(commitment=world.volume, instance_key="Q1", new_status="at_risk", at=NOW)
    WebhookDelivery.objects.create(subscription=webhook, topic="deviation.recorded", deviation=deviation, body="{}",
                                   status="queued", attempts=1, next_attempt_at=NOW,
                                   log=[{"at": NOW.isoformat(), "status": 503, "error": "HTTP 503", "ms": 12}])
    page = signed_in(client, "mona").get(f"/integrations/webhooks/{webhook.pk}/").content.decode()
    assert "deviation.recorded" in page and "HTTP 503 (12 ms)" in page
    exported = client.get(f"/integrations/webhooks/{webhook.pk}/", {"format": "csv"}).content.decode()
    assert exported.splitlines()[1].split(",")[1:4] == ["deviation.recorded", "queued", "1"]


def test_a_webhook_is_removed_after_confirmation(client, world):
    webhook = do_create_webhook(acting_user=world.mona, name="ERP", url="https://erp.example.com/pacta")
    signed_in(client, "mona")
    assert client.get(f"/integrations/webhooks/{webhook.pk}/delete/").status_code == 200
    client.post(f"/integrations/webhooks/{webhook.pk}/delete/")
    assert not type(webhook).objects.exists()


def test_the_event_log_lists_and_filters_events(client, world, api_client, tokens):
    api_client(tokens["events"]).post("/events", {"events": [
        {"id": "INV-1", "kind": "invoice", "party": "ALFKI", "at": "2025-01-15"},
        {"id": "DLV-1", "kind": "delivery", "party": "ALFKI", "at": "2025-01-16", "ref": "10643"}]})
    page = signed_in(client, "vera").get("/events/", {"kind": "delivery"}).content.decode()
    assert "DLV-1" in page and "INV-1" not in page
