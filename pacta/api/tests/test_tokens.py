"""API tokens: hashed, scoped, revocable, never more than their user; every use logged."""

import pytest
import time_machine

from pacta.accounts.models import Role
from pacta.core.actions.api import do_create_api_token, do_revoke_api_token, find_api_token
from pacta.core.actions.register import RegisterError, do_create_party
from pacta.core.models import ApiToken, ApiTokenUse
from pacta.core.tests.watch_world import at

NOW = at("2025-02-10T12:00:00+01:00")
INVOICE = {"id": "1", "kind": "invoice", "party": "ALFKI", "at": "2025-01-15"}


def test_only_a_fingerprint_of_the_token_is_stored(world):
    token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"])
    assert raw.startswith("pacta_") and token.hint == raw[-4:]
    assert raw not in str(list(ApiToken.objects.values_list()))
    assert find_api_token(raw) == token


@pytest.mark.parametrize("token", [None, "pacta_wrong", ""])
def test_without_a_valid_token_the_answer_is_401(api_client, world, token):
    response = api_client(token).get("/parties")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_no_longer_works(api_client, world):
    token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"])
    do_revoke_api_token(token, acting_user=world.olav)
    assert api_client(raw).get("/parties").status_code == 401


def test_a_token_of_an_inactive_user_no_longer_works(api_client, tokens, world):
    world.olav.is_active = False
    world.olav.save()
    assert api_client(tokens["read"]).get("/parties").status_code == 401


def test_a_token_without_the_scope_gets_403(api_client, tokens, world):
    assert api_client(tokens["read"]).post("/events", {"events": [INVOICE]}).status_code == 403
    assert api_client(tokens["events"]).get("/parties").status_code == 403
    assert api_client(tokens["events"]).post("/parties", {"code": "X", "name": "X"}).status_code == 403


def test_admin_scope_includes_reading_and_events(api_client, tokens, world):
    client = api_client(tokens["admin"])
    assert client.get("/parties").status_code == 200
    assert client.post("/events", {"events": [INVOICE]}).status_code == 200


def test_a_viewer_cannot_make_a_writing_token(world):
    with pytest.raises(RegisterError) as caught:
        do_create_api_token(acting_user=world.vera, name="sneaky", scopes=["read", "events"])
    assert "scopes" in caught.value.errors


def test_a_viewer_s_token_never_writes_even_when_made_before_the_demotion(api_client, world):
    _token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["admin"])
    world.olav.role = Role.VIEWER
    world.olav.save()
    client = api_client(raw)
    assert client.post("/events", {"events": [INVOICE]}).status_code == 403
    assert client.patch("/parties/ALFKI", {"name": "Renamed"}).status_code == 403
    assert client.get("/parties").status_code == 200


def test_a_member_s_token_changes_only_what_the_member_may(api_client, tokens, world):
    assert api_client(tokens["nina_admin"]).patch("/parties/ALFKI", {"city": "Berlin"}).status_code == 200
    assert api_client(tokens["admin"]).patch("/agreements/ALFKI-2025", {"title": "T"}).status_code == 200
    do_create_party(acting_user=world.mona, code="BERGS", name="Berglunds")
    assert api_client(tokens["admin"]).patch("/parties/BERGS", {"city": "Luleå"}).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_every_use_is_logged_with_its_time_refused_or_not(api_client, tokens, world):
    api_client(tokens["read"]).get("/parties")
    api_client(tokens["read"]).post("/events", {"events": [INVOICE]})
    uses = list(ApiTokenUse.objects.filter(token__hint=tokens["read"][-4:]).order_by("id")
                .values_list("at", "method", "path", "refused"))
    assert uses == [(NOW, "GET", "/api/v1/parties", ""), (NOW, "POST", "/api/v1/events", "scope")]
