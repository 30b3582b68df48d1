"""Moments are shown in the signed-in user's time zone (the server's when they chose none)."""

import datetime as dt

import time_machine
from django.urls import reverse

from pacta.core.actions.register import do_create_party
from pacta.core.models import AuditEntry


def created_party_at(users, moment):
    do_create_party(acting_user=users["mona"], code="ALFKI", name="Alfreds Futterkiste")
    AuditEntry.objects.update(at=moment)


@time_machine.travel("2025-03-12 12:00 +00:00", tick=False)
def test_a_user_with_a_time_zone_reads_moments_in_it(users, client):
    created_party_at(users, dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC))
    users["vera"].timezone = "America/New_York"
    users["vera"].save()
    client.force_login(users["vera"])
    text = client.get(reverse("front:audit")).text
    assert "March 10, 2025, 8 a.m." in text  # 12:00 UTC is 08:00 in New York (EDT since 9 March)


@time_machine.travel("2025-03-12 12:00 +00:00", tick=False)
def test_without_a_time_zone_the_servers_applies(users, client, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    created_party_at(users, dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC))
    client.force_login(users["vera"])
    assert "March 10, 2025, 1 p.m." in client.get(reverse("front:audit")).text  # CET is UTC+1
