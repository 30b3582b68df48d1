"""The audit log: who changed what and when, filtered, linked from every object."""

import datetime as dt

import time_machine
from django.urls import reverse

from pacta.core.actions.register import do_create_party, do_update_party
from pacta.core.models import AuditEntry


def test_it_lists_changes_with_who_what_and_the_change(world, as_user):
    do_update_party(world.party, acting_user=world.users["olav"], name="Alfreds GmbH")
    text = as_user("vera").get(reverse("front:audit")).text
    assert "changed the party" in text
    assert '<span class="old">Alfreds Futterkiste</span> → Alfreds GmbH' in text
    assert "Olav Owner" in text


def test_it_filters_by_user(world, as_user, users):
    do_update_party(world.party, acting_user=users["olav"], city="Hamburg")
    entries = as_user("vera").get(reverse("front:audit"), {"user": users["olav"].pk}).context["listing"].page
    assert [e.action for e in entries] == ["change_party"]


def test_it_filters_by_object_words(world, as_user, users):
    do_create_party(acting_user=users["mona"], code="BLAUS", name="Blauer See")
    entries = as_user("vera").get(reverse("front:audit"), {"q": "blauer"}).context["listing"].page
    assert [e.object_repr for e in entries] == ["Blauer See (BLAUS)"]


def test_it_filters_by_date(world, as_user, users):
    AuditEntry.objects.update(at=dt.datetime(2025, 1, 5, 12, 0, tzinfo=dt.UTC))
    with time_machine.travel("2025-02-01 12:00 +00:00", tick=False):
        do_update_party(world.party, acting_user=users["olav"], city="Hamburg")
    client = as_user("vera")
    february = client.get(reverse("front:audit"), {"since": "2025-02-01"}).context["listing"].page
    assert [e.action for e in february] == ["change_party"]
    january = client.get(reverse("front:audit"), {"until": "2025-01-31"}).context["listing"].page
    assert "change_party" not in [e.action for e in january]


def test_every_object_page_links_to_its_own_log(world, as_user):
    client = as_user("vera")
    commitment_page = client.get(world.commitment.get_absolute_url()).text
    link = f'{reverse("front:audit")}?object_type=commitment&amp;object_id={world.commitment.pk}'
    assert link in commitment_page
    entries = client.get(reverse("front:audit"), {"object_type": "commitment", "object_id": world.commitment.pk})
    assert [e.action for e in entries.context["listing"].page] == ["add_commitment"]
    of_agreement = client.get(reverse("front:audit"), {"agreement": "ALFKI-2025"}).context["listing"].page
    assert {e.action for e in of_agreement} == {"create_agreement", "add_commitment"}


def test_it_exports_csv(world, as_user):
    response = as_user("vera").get(reverse("front:audit"), {"format": "csv", "party": "ALFKI"})
    lines = response.content.decode().splitlines()
    assert lines[0] == "When,Who,Action,Object,Agreement,Party,Changes"
    assert any(",mona,create_party,Alfreds Futterkiste (ALFKI),,ALFKI," in line for line in lines)
