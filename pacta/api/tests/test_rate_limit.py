"""Each token has a rate limit: requests per minute, counted over a sliding window of logged uses."""

import datetime as dt

import time_machine

from pacta.core.actions.api import do_create_api_token
from pacta.core.models import ApiTokenUse
from pacta.core.tests.watch_world import at

START = at("2025-02-10T12:00:00+01:00")


def test_a_token_over_its_limit_gets_429_until_the_window_moves_on(api_client, world):
    _token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"], rate_limit=3)
    client = api_client(raw)
    with time_machine.travel(START, tick=False) as traveller:
        assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 200]
        traveller.shift(dt.timedelta(seconds=20))
        refused = client.get("/me")
        assert refused.status_code == 429
        # The first request leaves the minute's window 40 seconds later.
        assert refused["Retry-After"] == "40"
        traveller.shift(dt.timedelta(seconds=40, microseconds=1))
        assert client.get("/me").status_code == 200
    assert ApiTokenUse.objects.filter(refused="rate_limit").count() == 1


def test_the_installation_default_applies_without_a_limit_of_its_own(api_client, world, settings):
    settings.PACTA_API_RATE_LIMIT = 2
    _token, raw = do_create_api_token(acting_user=world.olav, name="ERP", scopes=["read"])
    client = api_client(raw)
    with time_machine.travel(START, tick=False):
        assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 429]
