"""Parties: the list, the page, the forms, the contacts."""

import csv
import io

from django.urls import reverse

from pacta.core.actions.register import do_create_party, do_save_contact
from pacta.core.models import AuditEntry, Contact, Party


def party_post(**changes):
    data = {"code": "BLAUS", "name": "Blauer See Delikatessen", "is_customer": "on", "country": "de",
            "language": "de", "timezone": "Europe/Berlin", "city": "Mannheim"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_list_shows_parties_with_their_agreement_count(world, as_user):
    response = as_user("vera").get(reverse("front:parties"))
    assert response.status_code == 200
    assert "Alfreds Futterkiste" in response.text
    row = response.text.split("Alfreds Futterkiste")[1]
    assert '?party=ALFKI">1</a>' in row


def test_the_list_searches_by_code_or_name(world, as_user, users):
    do_create_party(acting_user=users["mona"], code="BLAUS", name="Blauer See Delikatessen")
    client = as_user("vera")
    assert "Alfreds" not in client.get(reverse("front:parties") + "?q=blauer").text
    assert "Blauer See" in client.get(reverse("front:parties") + "?q=blaus").text


def test_the_list_filters_suppliers(world, as_user, users):
    do_create_party(acting_user=users["mona"], code="EXOTL", name="Exotic Liquids", is_customer=False, is_supplier=True)
    text = as_user("vera").get(reverse("front:parties") + "?role=supplier").text
    assert "Exotic Liquids" in text
    assert "Alfreds Futterkiste" not in text


def test_the_list_sorts_by_a_column_both_ways(world, as_user, users):
    do_create_party(acting_user=users["mona"], code="ZZZ", name="Aaron's Anchors")
    client = as_user("vera")
    by_code = client.get(reverse("front:parties") + "?sort=code").text
    assert by_code.index("ALFKI") < by_code.index("ZZZ")
    by_code_desc = client.get(reverse("front:parties") + "?sort=-code").text
    assert by_code_desc.index("ZZZ") < by_code_desc.index("ALFKI")
    assert 'aria-sort="descending"' in by_code_desc


def test_the_list_pages_by_fifty(db, as_user, users):
    Party.objects.bulk_create([Party(code=f"P{i:03}", name=f"Party {i:03}") for i in range(51)])
    client = as_user("vera")
    first = client.get(reverse("front:parties")).text
    assert "Party 049" in first and "Party 050" not in first
    second = client.get(reverse("front:parties") + "?page=2").text
    assert "Party 050" in second and "Party 049" not in second


def test_the_list_exports_every_matching_row_as_csv(world, as_user):
    response = as_user("vera").get(reverse("front:parties") + "?format=csv&q=alfki")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Code", "Name"]
    assert rows[1][:4] == ["ALFKI", "Alfreds Futterkiste", "1", "0"]
    assert rows[1][-1] == "1"  # one agreement
    assert len(rows) == 2


def test_an_empty_list_says_what_to_do_next(db, as_user):
    text = as_user("mona").get(reverse("front:parties")).text
    assert "No parties yet." in text
    assert "New party" in text


def test_a_filter_that_finds_nothing_offers_the_whole_list(world, as_user):
    text = as_user("vera").get(reverse("front:parties") + "?q=nobody").text
    assert "No party matches these filters." in text


def test_the_filter_form_asks_htmx_for_the_results_only(world, as_user):
    response = as_user("vera").get(reverse("front:parties") + "?q=alf", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "Alfreds Futterkiste" in response.text
    assert "<header" not in response.text


def test_the_party_page_shows_our_people_contacts_agreements_and_trail(world, as_user, users):
    do_save_contact(world.party, acting_user=users["olav"], name="Maria Anders", email="maria@example.com")
    text = as_user("vera").get(reverse("front:party", args=["ALFKI"])).text
    assert "Olav Owner" in text  # point of contact
    assert "Maria Anders" in text
    assert "ALFKI-2025" in text
    assert "created the party" in text
    assert reverse("front:audit") + "?party=ALFKI" in text


def test_a_member_creates_a_party_and_becomes_its_point_of_contact(db, as_user, users):
    client = as_user("nina")
    form = client.get(reverse("front:party_create")).context["form"]
    assert form["spoc"].value() == users["nina"].pk
    response = client.post(reverse("front:party_create"), party_post(spoc=users["nina"].pk))
    party = Party.objects.get(code="BLAUS")
    assert response.status_code == 302 and response["Location"] == party.get_absolute_url()
    assert party.country == "DE"  # upper-cased
    assert party.spoc == users["nina"]
    assert AuditEntry.objects.filter(action="create_party", party=party, user=users["nina"]).exists()


def test_a_code_that_exists_is_refused_next_to_the_code(world, as_user):
    response = as_user("mona").post(reverse("front:party_create"), party_post(code="ALFKI"))
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert response.context["form"]["name"].value() == "Blauer See Delikatessen"  # nothing typed is lost


def test_a_party_is_a_customer_a_supplier_or_both(db, as_user):
    response = as_user("mona").post(reverse("front:party_create"), party_post(is_customer=None))
    assert "A party is a customer, a supplier or both." in response.context["form"].errors["is_customer"]


def test_the_point_of_contact_edits_the_party(world, as_user):
    party = world.party
    data = party_post(code="ALFKI", name="Alfreds Futterkiste GmbH", revision=party.revision, spoc=party.spoc_id)
    response = as_user("olav").post(reverse("front:party_edit", args=["ALFKI"]), data)
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.name == "Alfreds Futterkiste GmbH"
    entry = AuditEntry.objects.get(action="change_party")
    assert entry.changes["name"] == ["Alfreds Futterkiste", "Alfreds Futterkiste GmbH"]


def test_contacts_are_added_changed_and_deleted_after_confirmation(world, as_user):
    client = as_user("olav")
    client.post(reverse("front:contact_create", args=["ALFKI"]), {"name": "Maria Anders", "email": "maria@example.com"})
    contact = Contact.objects.get(party=world.party)
    client.post(reverse("front:contact_edit", args=["ALFKI", contact.pk]), {"name": "Maria Anders", "title": "Owner"})
    contact.refresh_from_db()
    assert contact.title == "Owner"
    confirm = client.get(reverse("front:contact_delete", args=["ALFKI", contact.pk]))
    assert "Delete the contact Maria Anders?" in confirm.text
    assert Contact.objects.filter(pk=contact.pk).exists()  # asking deletes nothing
    client.post(reverse("front:contact_delete", args=["ALFKI", contact.pk]))
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert [e.action for e in AuditEntry.objects.filter(party=world.party).order_by("id")][-3:] == [
        "add_contact", "change_contact", "delete_contact"]
