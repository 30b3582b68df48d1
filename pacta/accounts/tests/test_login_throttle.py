"""Wrong passwords are slowed down, then blocked for a while, and the block is
logged (pacta.accounts.throttle); the defaults: slowed from the 3rd failure
(1, 2, 4 … seconds), the account blocked at 10, an address at 50, for 15 minutes."""

import datetime as dt
import logging

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from pacta.accounts import throttle
from pacta.conftest import PASSWORD

T0 = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address="10.0.0.1", start=T0):
    """`times` wrong passwords, each a minute after the one before (long enough never to be slowed)."""
    for i in range(times):
        with time_machine.travel(start + dt.timedelta(minutes=i), tick=False):
            response = sign_in(client, username, "wrong", address)
            assert response.status_code == 200, (i, response.status_code)  # heard, and refused as wrong


def test_a_third_wrong_password_makes_the_next_attempt_wait(client, users):
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            sign_in(client, "olav", "wrong")
        # 3 failures: the next attempt waits 2**(3-3) = 1 second after the last.
        response = sign_in(client, "olav", PASSWORD)
    assert response.status_code == 429 and response["Retry-After"] == "1"
    assert "Please wait 1 second before you try again" in response.text
    assert "_auth_user_id" not in client.session
    with time_machine.travel(T0 + dt.timedelta(seconds=2), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 302


def test_ten_wrong_passwords_block_the_account_even_with_the_right_one(client, users):
    fail(client, "olav", 10)  # the last at T0 + 9 min
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        response = sign_in(client, "olav", PASSWORD, address="10.0.0.2")  # from elsewhere too
    # Blocked until T0 + 9 + 15 = T0 + 24 min: 14 more minutes.
    assert response.status_code == 429
    assert "Sign-in is blocked for 14 more minutes" in response.text
    assert 'value="olav"' in response.text  # what was typed is kept
    assert "_auth_user_id" not in client.session


def test_the_block_ends_after_fifteen_minutes(client, users):
    fail(client, "olav", 10)
    with time_machine.travel(T0 + dt.timedelta(minutes=23, seconds=59), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=24, seconds=1), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(users["olav"].pk)


def test_attempts_during_a_block_do_not_lengthen_it(client, users):
    fail(client, "olav", 10)
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        assert sign_in(client, "olav", "wrong").status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=24, seconds=1), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 302


def test_other_accounts_are_not_blocked_by_one_account(client, users):
    fail(client, "olav", 10, address="10.0.0.1")
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        assert sign_in(client, "nina", PASSWORD, address="10.0.0.1").status_code == 302


def test_the_username_is_counted_whatever_its_case(client, users):
    fail(client, "Olav", 5)
    fail(client, "OLAV", 5, start=T0 + dt.timedelta(minutes=5))
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 429


def test_one_address_guessing_many_accounts_is_blocked(client, users, monkeypatch):
    monkeypatch.setattr(throttle, "BLOCK_ADDRESS_AFTER", 4)
    for i, name in enumerate(["a1", "a2", "a3", "a4"]):  # two failures at most per account: never slowed
        fail(client, name, 1, start=T0 + dt.timedelta(minutes=i))
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        assert sign_in(client, "nina", PASSWORD, address="10.0.0.1").status_code == 429
        assert sign_in(client, "nina", PASSWORD, address="10.0.0.9").status_code == 302


def test_a_success_clears_the_accounts_count(client, users):
    fail(client, "olav", 9)
    with time_machine.travel(T0 + dt.timedelta(minutes=9), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 302
    client.logout()
    fail(client, "olav", 2, start=T0 + dt.timedelta(minutes=10))
    with time_machine.travel(T0 + dt.timedelta(minutes=12), tick=False):
        assert sign_in(client, "olav", PASSWORD).status_code == 302  # 2 failures, not 11


def test_the_block_is_logged_without_the_password(client, users, caplog):
    with caplog.at_level(logging.WARNING, logger="pacta.security"):
        fail(client, "olav", 10)
    records = [r for r in caplog.records if r.name == "pacta.security"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "olav" in message and "10.0.0.1" in message and "account" in message and "wrong" not in message.split(":")[1]


def test_the_address_may_come_from_a_proxys_header(client, users, settings, monkeypatch):
    settings.PACTA_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    monkeypatch.setattr(throttle, "BLOCK_ADDRESS_AFTER", 4)
    # Everyone comes through the proxy at 10.0.0.1; the proxy names the client.
    for i in range(4):
        with time_machine.travel(T0 + dt.timedelta(minutes=i), tick=False):
            client.post(reverse("login"), {"username": f"x{i}", "password": "wrong"}, REMOTE_ADDR="10.0.0.1",
                        HTTP_X_REAL_IP="192.0.2.7")
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        blocked = client.post(reverse("login"), {"username": "nina", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1",
                              HTTP_X_REAL_IP="192.0.2.7")
        other = client.post(reverse("login"), {"username": "nina", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1",
                            HTTP_X_REAL_IP="192.0.2.8")
    assert (blocked.status_code, other.status_code) == (429, 302)


def test_of_a_forwarded_list_the_address_our_proxy_added_counts(rf, settings):
    settings.PACTA_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    # The client sent "X-Forwarded-For: 203.0.113.9" to dodge the count; the proxy appended its real address.
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.7", REMOTE_ADDR="10.0.0.1")
    assert throttle.client_address(request) == "192.0.2.7"
    settings.PACTA_CLIENT_IP_HEADER = ""
    assert throttle.client_address(request) == "10.0.0.1"


def test_the_admins_sign_in_page_is_blocked_too(client, users):
    fail(client, "admin", 10)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        response = client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD},
                               REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200  # the admin's form refuses, as for a wrong password
    assert "_auth_user_id" not in client.session
