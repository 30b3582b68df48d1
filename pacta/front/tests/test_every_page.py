"""Every page of the web interface answers a signed-in manager, and sends an
anonymous visitor to the sign-in page."""

import pytest
import time_machine
from django.urls import reverse

from pacta.core.models import Instance

REF = "ALFKI-2025"
PAGES = [
    ("front:dashboard", []),
    ("front:search", []),
    ("front:audit", []),
    ("front:import", []),
    ("front:parties", []),
    ("front:party_create", []),
    ("front:party", ["ALFKI"]),
    ("front:party_edit", ["ALFKI"]),
    ("front:contact_create", ["ALFKI"]),
    ("front:agreements", []),
    ("front:agreement_create", []),
    ("front:agreement", [REF]),
    ("front:agreement_edit", [REF]),
    ("front:agreement_status", [REF, "in_force"]),
    ("front:glossary_edit", [REF]),
    ("front:note_add", [REF]),
    ("front:agreement_diff", [REF]),
    ("front:commitments", []),
    ("front:commitment_types", [REF]),
    ("front:commitment_add", [REF, "on_time_delivery"]),
    ("front:commitment", [REF, "call-ahead"]),
    ("front:commitment_edit", [REF, "call-ahead"]),
    ("front:commitment_operations", [REF, "call-ahead"]),
    ("front:commitment_remove", [REF, "call-ahead"]),
    ("front:instance_waive", [REF, "call-ahead", "10248"]),
    ("accounts:profile", []),
]


@pytest.fixture
def with_instance(world):
    Instance.objects.create(commitment=world.commitment, key="10248", status="broken", explanation="No call.")
    return world


@pytest.mark.parametrize(("name", "args"), PAGES)
@time_machine.travel("2025-03-10 09:00 +01:00", tick=False)
def test_every_page_answers_a_manager(with_instance, as_user, name, args):
    response = as_user("mona").get(reverse(name, args=args))
    assert response.status_code == 200, response.content[:2000]
    assert b"<main" in response.content


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(with_instance, client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
