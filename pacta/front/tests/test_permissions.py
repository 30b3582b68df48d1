"""Who may change what, as the web interface shows it (pacta.core.permissions).

Which role may open and post every page is the permission matrix's
(test_permission_matrix.py); here: a viewer sees everything but never gets a
change button; a member changes what they own; a manager changes everything.
"""

from django.urls import reverse

REF = "ALFKI-2025"


def test_a_refusal_says_why(world, as_user):
    """Who may open and post which page, role by role, is the permission matrix's
    (test_permission_matrix.py); a refusal also tells the person why."""
    response = as_user("nina").post(reverse("front:agreement_edit", args=[REF]), {"title": "x"})
    assert response.status_code == 403
    assert "You may look at this, but not change it." in response.text


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
