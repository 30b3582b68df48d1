"""Two people edit the same thing: the second save is refused, and nothing
either of them typed is lost."""

from django.urls import reverse

from pacta.core.models import Agreement, Party

REF = "ALFKI-2025"


def party_data(party, revision, **changes):
    data = {"code": party.code, "name": party.name, "is_customer": "on", "country": party.country,
            "city": party.city, "spoc": party.spoc_id, "revision": revision}
    data.update(changes)
    return data


def test_the_second_of_two_party_edits_is_refused_and_keeps_its_input(world, as_user, client_factory):
    party = world.party
    olav, mona = client_factory("olav"), client_factory("mona")
    # Both open the form and read the same revision.
    revision = olav.get(reverse("front:party_edit", args=["ALFKI"])).context["form"]["revision"].value()
    assert mona.get(reverse("front:party_edit", args=["ALFKI"])).context["form"]["revision"].value() == revision

    first = olav.post(reverse("front:party_edit", args=["ALFKI"]), party_data(party, revision, city="Hamburg"))
    assert first.status_code == 302
    second = mona.post(reverse("front:party_edit", args=["ALFKI"]), party_data(party, revision, name="Alfreds GmbH"))

    assert second.status_code == 200
    form = second.context["form"]
    assert "was changed by someone else after you opened it" in form.non_field_errors()[0]
    assert form["name"].value() == "Alfreds GmbH"  # the second person's input is still there
    assert form["city"].value() == "Berlin"
    stored = Party.objects.get()
    assert (stored.name, stored.city) == ("Alfreds Futterkiste", "Hamburg")  # the first person's change stands
    # Saving again is a deliberate choice: the form now carries the stored revision.
    assert int(form["revision"].value()) == stored.revision


def test_the_second_of_two_commitment_edits_is_refused_and_keeps_its_terms(world, as_user, client_factory):
    url = reverse("front:commitment_edit", args=[REF, "call-ahead"])
    olav, mona = client_factory("olav"), client_factory("mona")
    revision = olav.get(url).context["form"]["revision"].value()
    mona.get(url)

    def data(min_before):
        return {"revision": revision, "key": "call-ahead", "title": "Call ahead", "p-min_before": min_before}

    assert olav.post(url, data("PT2H")).status_code == 302
    second = mona.post(url, data("PT3H"))
    assert second.status_code == 200
    assert "was changed by someone else" in second.context["form"].non_field_errors()[0]
    assert second.context["params"]["min_before"].value() == "PT3H"
    assert world.commitment.current_terms().params["min_before"] == "PT2H"
    assert int(second.context["form"]["revision"].value()) == Agreement.objects.get().revision


def test_a_status_change_on_an_agreement_changed_meanwhile_is_refused(world, client_factory):
    url = reverse("front:agreement_status", args=[REF, "in_force"])
    stale = world.agreement.revision
    client_factory("olav").post(reverse("front:agreement_edit", args=[REF]), {
        "reference": REF, "role": "customer", "currency": "EUR", "timezone": "Europe/Berlin",
        "valid_from": "2025-01-01", "valid_to": "2025-12-31", "title": "New title", "revision": stale})
    response = client_factory("mona").post(url, {"revision": stale})
    assert response.status_code == 200
    assert "was changed by someone else" in response.text
    assert Agreement.objects.get().status == "draft"
