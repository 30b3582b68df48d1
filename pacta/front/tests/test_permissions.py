"""Who may change what, as the web interface enforces it (pacta.core.permissions).

Anonymous visitors are sent to sign in (test_every_page); a viewer sees
everything but never gets a change button or a POST through; a member
changes what they own; a manager changes everything.
"""

import pytest
from django.urls import reverse

from pacta.core.models import Agreement, Instance

REF = "ALFKI-2025"
# Every URL that writes, with the arguments of the world's objects.
WRITES = [
    ("front:party_create", []),
    ("front:party_edit", ["ALFKI"]),
    ("front:contact_create", ["ALFKI"]),
    ("front:agreement_create", []),
    ("front:agreement_edit", [REF]),
    ("front:agreement_status", [REF, "in_force"]),
    ("front:glossary_edit", [REF]),
    ("front:note_add", [REF]),
    ("front:commitment_types", [REF]),
    ("front:commitment_add", [REF, "deadline"]),
    ("front:commitment_edit", [REF, "call-ahead"]),
    ("front:commitment_operations", [REF, "call-ahead"]),
    ("front:commitment_remove", [REF, "call-ahead"]),
    ("front:instance_waive", [REF, "call-ahead", "10248"]),
]
# The writes on the world's own objects (creating new ones is open to members).
OWNED_WRITES = [w for w in WRITES if w[0] not in ("front:party_create", "front:agreement_create")]


@pytest.fixture
def with_instance(world):
    Instance.objects.create(commitment=world.commitment, key="10248", status="broken")
    return world


@pytest.mark.parametrize(("name", "args"), WRITES)
def test_a_viewer_gets_no_post_through(with_instance, as_user, name, args):
    client = as_user("vera")
    before = Agreement.objects.get().revision
    assert client.post(reverse(name, args=args), {"name": "x", "text": "x"}).status_code == 403
    assert client.get(reverse(name, args=args)).status_code == 403
    assert Agreement.objects.get().revision == before


@pytest.mark.parametrize(("name", "args"), OWNED_WRITES)
def test_a_member_who_does_not_own_it_is_refused(with_instance, as_user, name, args):
    response = as_user("nina").post(reverse(name, args=args), {"name": "x", "text": "x"})
    assert response.status_code == 403
    assert "You may look at this, but not change it." in response.text


@pytest.mark.parametrize(("name", "args"), OWNED_WRITES)
def test_the_owner_and_a_manager_may_open_every_form(with_instance, as_user, name, args):
    for user in ("olav", "mona"):
        assert as_user(user).get(reverse(name, args=args)).status_code == 200


def test_a_viewer_sees_no_change_button(world, as_user):
    client = as_user("vera")
    party_page = client.get(reverse("front:party", args=["ALFKI"])).text
    agreement_page = client.get(reverse("front:agreement", args=[REF])).text
    commitment_page = client.get(reverse("front:commitment", args=[REF, "call-ahead"])).text
    assert reverse("front:party_edit", args=["ALFKI"]) not in party_page
    assert reverse("front:agreement_create") not in party_page
    assert reverse("front:agreement_edit", args=[REF]) not in agreement_page
    assert reverse("front:commitment_types", args=[REF]) not in agreement_page
    assert reverse("front:note_add", args=[REF]) not in agreement_page
    assert reverse("front:commitment_edit", args=[REF, "call-ahead"]) not in commitment_page
    assert "<form method=\"post\"" not in agreement_page


def test_the_owner_sees_the_change_buttons(world, as_user):
    page = as_user("olav").get(reverse("front:agreement", args=[REF])).text
    assert reverse("front:agreement_edit", args=[REF]) in page
    assert reverse("front:agreement_status", args=[REF, "in_force"]) in page
    assert reverse("front:commitment_types", args=[REF]) in page


def test_an_outsider_sees_the_agreement_without_change_buttons(world, as_user):
    page = as_user("nina").get(reverse("front:agreement", args=[REF])).text
    assert "ALFKI-2025" in page
    assert reverse("front:agreement_edit", args=[REF]) not in page


def test_a_member_who_executes_a_commitment_may_change_it_but_not_the_agreement(world, as_user, users):
    commitment = world.commitment
    commitment.owner = users["nina"]
    commitment.save()
    client = as_user("nina")
    assert client.get(reverse("front:commitment_operations", args=[REF, "call-ahead"])).status_code == 200
    assert client.get(reverse("front:agreement_edit", args=[REF])).status_code == 403
