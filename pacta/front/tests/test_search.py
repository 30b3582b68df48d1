"""The search page behind the header's box: grouped results with links."""

import datetime as dt

from django.urls import reverse

from pacta.core.actions.register import do_add_note


def search(client, q):
    return client.get(reverse("front:search"), {"q": q})


def test_it_finds_a_party_by_code_and_name(world, as_user):
    client = as_user("vera")
    for q in ("alfki", "futterkiste"):
        groups = {g["name"]: g for g in search(client, q).context["groups"]}
        assert [p.code for p in groups["parties"]["items"]] == ["ALFKI"]


def test_it_finds_an_agreement_by_reference_or_title(world, as_user):
    client = as_user("vera")
    response = search(client, "delivery terms")
    groups = {g["name"]: g for g in response.context["groups"]}
    assert [a.reference for a in groups["agreements"]["items"]] == ["ALFKI-2025"]
    assert world.agreement.get_absolute_url() in response.text


def test_it_finds_commitments_by_type_label_or_words_of_the_title(world, as_user):
    client = as_user("vera")
    by_label = {g["name"]: g for g in search(client, "notice before").context["groups"]}
    by_title = {g["name"]: g for g in search(client, "hour before").context["groups"]}
    assert [c.key for c in by_label["commitments"]["items"]] == ["call-ahead"]
    assert [c.key for c in by_title["commitments"]["items"]] == ["call-ahead"]


def test_it_finds_negotiation_notes_and_glossary_terms(world, as_user, users):
    do_add_note(world.agreement, acting_user=users["olav"], date=dt.date(2024, 12, 1),
                text="Maria wants a phone call, not an e-mail.")
    client = as_user("vera")
    notes = {g["name"]: g for g in search(client, "phone call").context["groups"]}["notes"]
    assert notes["count"] == 1
    glossary = {g["name"]: g for g in search(client, "dock").context["groups"]}["glossary"]
    assert [g.term for g in glossary["items"]] == ["delivered"]


def test_nothing_found_says_what_to_try(world, as_user):
    text = search(as_user("vera"), "zeppelin").text
    assert "Nothing found for “zeppelin”" in text
