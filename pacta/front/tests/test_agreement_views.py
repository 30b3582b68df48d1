"""Agreements: list, page, header, status changes, glossary and notes."""

import csv
import datetime as dt
import io

import openpyxl
import time_machine
from django.urls import reverse

from pacta.core.actions.register import do_create_agreement, do_create_party
from pacta.core.models import Agreement, AgreementVersion, AuditEntry, NegotiationNote

REF = "ALFKI-2025"


def header_post(agreement, **changes):
    data = {"reference": agreement.reference, "title": agreement.title, "role": agreement.role,
            "currency": agreement.currency, "timezone": agreement.timezone, "country": agreement.country,
            "valid_from": agreement.valid_from.isoformat(),
            "valid_to": agreement.valid_to.isoformat() if agreement.valid_to else "",
            "description": agreement.description, "owner": agreement.owner_id or "",
            "deputy": agreement.deputy_id or "", "revision": agreement.revision}
    data.update(changes)
    return data


def test_the_list_filters_by_status_and_party(world, as_user, users):
    other = do_create_party(acting_user=users["mona"], code="BLAUS", name="Blauer See")
    do_create_agreement(acting_user=users["mona"], party=other, reference="BLAUS-2025", valid_from=dt.date(2025, 1, 1),
                        status="in_force")
    client = as_user("vera")
    drafts = client.get(reverse("front:agreements") + "?status=draft").text
    assert "ALFKI-2025" in drafts and "BLAUS-2025" not in drafts
    of_blaus = client.get(reverse("front:agreements") + "?party=blaus").text
    assert "BLAUS-2025" in of_blaus and "ALFKI-2025" not in of_blaus
    by_title = client.get(reverse("front:agreements") + "?q=delivery+terms").text
    assert "ALFKI-2025" in by_title and "BLAUS-2025" not in by_title


def test_the_list_exports_csv(world, as_user):
    response = as_user("vera").get(reverse("front:agreements") + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Reference"
    assert rows[1][:6] == ["ALFKI-2025", "Delivery terms", "ALFKI", "Alfreds Futterkiste", "customer", "draft"]
    assert rows[1][7:9] == ["2025-01-01", "2025-12-31"]
    assert rows[1][-1] == "1"


@time_machine.travel("2025-03-10 09:00 +01:00", tick=False)
def test_the_agreement_page_shows_header_glossary_commitments_versions_and_trail(world, as_user):
    text = as_user("vera").get(reverse("front:agreement", args=[REF])).text
    assert '<span class="status status-draft"><span class="sr-only">status: </span>draft</span>' in text
    assert "Jan. 1, 2025" in text and "(68 days ago)" in text  # 1 January to 10 March 2025: 31 + 28 + 9 days
    assert "Europe/Berlin" in text and "EUR" in text
    assert "at the customer&#x27;s dock" in text
    assert "Call one hour before each delivery" in text and "Notice before delivery" in text
    assert "not evaluated yet" in text
    assert "First version." in text
    assert "created the agreement" in text


def test_a_member_creates_a_draft_for_a_party(world, as_user, users):
    client = as_user("nina")
    form = client.get(reverse("front:agreement_create") + "?party=ALFKI").context["form"]
    assert form["party"].value() == world.party.pk
    response = client.post(reverse("front:agreement_create"), {
        "reference": "ALFKI-2026", "party": world.party.pk, "role": "customer", "currency": "eur",
        "timezone": "Europe/Berlin", "valid_from": "2026-01-01", "owner": users["nina"].pk,
    })
    agreement = Agreement.objects.get(reference="ALFKI-2026")
    assert response["Location"] == agreement.get_absolute_url()
    assert (agreement.status, agreement.currency, agreement.owner) == ("draft", "EUR", users["nina"])
    assert agreement.versions.get().number == 1


def test_an_end_before_the_start_is_refused_next_to_the_end(world, as_user):
    response = as_user("mona").post(reverse("front:agreement_create"), {
        "reference": "X-1", "party": world.party.pk, "role": "customer", "currency": "EUR",
        "timezone": "Europe/Berlin", "valid_from": "2026-01-01", "valid_to": "2025-01-01",
    })
    assert response.context["form"].errors["valid_to"] == ["The end must not be before the start."]


def test_a_draft_is_edited_without_an_amendment(world, as_user):
    agreement = world.agreement
    response = as_user("olav").post(reverse("front:agreement_edit", args=[REF]),
                                    header_post(agreement, valid_to="2026-06-30"))
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.valid_to == dt.date(2026, 6, 30)
    assert agreement.versions.count() == 1


def test_a_contractual_change_in_force_asks_for_the_amendment(in_force, as_user):
    agreement = in_force.agreement
    response = as_user("olav").post(reverse("front:agreement_edit", args=[REF]),
                                    header_post(agreement, valid_to="2026-06-30", **{"a-effective_from": "2025-07-01",
                                                                                   "a-agreed_how": "email"}))
    assert response.status_code == 200
    assert "a change needs an amendment" in response.context["amendment"].non_field_errors()[0]
    assert response.context["form"]["valid_to"].value() == "2026-06-30"  # kept
    agreement.refresh_from_db()
    assert agreement.valid_to == dt.date(2025, 12, 31)


def test_an_amendment_of_the_header_makes_a_version(in_force, as_user):
    agreement = in_force.agreement
    data = header_post(agreement, valid_to="2026-06-30", **{
        "a-effective_from": "2025-07-01", "a-summary": "Extended by half a year", "a-reason": "Good year",
        "a-agreed_by": "Maria Anders", "a-agreed_how": "signed"})
    assert as_user("olav").post(reverse("front:agreement_edit", args=[REF]), data).status_code == 302
    version = agreement.versions.get(number=2)
    assert (version.summary, version.agreed_by, version.agreed_how) == ("Extended by half a year", "Maria Anders", "signed")
    assert version.snapshot["valid_to"] == "2026-06-30"


def test_putting_in_force_is_confirmed_first(world, as_user):
    client = as_user("olav")
    url = reverse("front:agreement_status", args=[REF, "in_force"])
    page = client.get(url)
    assert "Put in force ALFKI-2025?" in page.text
    assert "every change of its terms is an amendment" in page.text
    assert Agreement.objects.get().status == "draft"
    response = client.post(url, {"revision": world.agreement.revision})
    assert response.status_code == 302
    assert Agreement.objects.get().status == "in_force"


def test_a_status_change_that_is_not_offered_is_not_found(world, as_user):
    assert as_user("mona").get(reverse("front:agreement_status", args=[REF, "ended"])).status_code == 404


def test_a_suspended_agreement_is_resumed(in_force, as_user):
    client = as_user("mona")
    client.post(reverse("front:agreement_status", args=[REF, "suspended"]), {"revision": in_force.agreement.revision})
    agreement = Agreement.objects.get()
    assert agreement.status == "suspended"
    page = client.get(reverse("front:agreement", args=[REF])).text
    assert ">Resume</a>" in page
    client.post(reverse("front:agreement_status", args=[REF, "in_force"]), {"revision": agreement.revision})
    assert Agreement.objects.get().status == "in_force"


def glossary_post(agreement, rows, **extra):
    data = {"revision": agreement.revision, "glossary-TOTAL_FORMS": str(len(rows)), "glossary-INITIAL_FORMS": "0"}
    for i, (term, definition) in enumerate(rows):
        data[f"glossary-{i}-term"] = term
        data[f"glossary-{i}-definition"] = definition
    data.update(extra)
    return data


def test_the_glossary_gets_a_row_without_losing_what_was_typed(world, as_user):
    data = glossary_post(world.agreement, [("delivered", "at the dock"), ("", "")], _add_row="glossary")
    response = as_user("olav").post(reverse("front:glossary_edit", args=[REF]), data)
    formset = response.context["formset"]
    assert len(formset.forms) == 3
    assert formset.forms[0]["definition"].value() == "at the dock"
    assert "errorlist" not in response.text
    assert world.agreement.glossary.get().definition == "at the customer's dock"  # nothing saved yet


def test_the_glossary_is_saved_and_empty_rows_dropped(world, as_user):
    data = glossary_post(world.agreement, [("delivered", "at the dock"), ("", ""), ("working day", "Mon-Fri")])
    assert as_user("olav").post(reverse("front:glossary_edit", args=[REF]), data).status_code == 302
    assert dict(world.agreement.glossary.values_list("term", "definition")) == {
        "delivered": "at the dock", "working day": "Mon-Fri"}


def test_a_term_without_definition_is_refused(world, as_user):
    data = glossary_post(world.agreement, [("delivered", "")])
    response = as_user("olav").post(reverse("front:glossary_edit", args=[REF]), data)
    assert "Every term needs a definition." in response.text


def test_a_note_is_added_and_the_notes_refreshed_by_htmx(world, as_user, users):
    response = as_user("olav").post(
        reverse("front:note_add", args=[REF]),
        {"date": "2024-12-01", "participants": "Maria Anders", "text": "She asked for a call before delivery."},
        HTTP_HX_REQUEST="true", HTTP_HX_TARGET="notes",
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="box" id="notes"')
    assert "She asked for a call before delivery." in response.text
    note = NegotiationNote.objects.get()
    assert (note.author, note.date) == (users["olav"], dt.date(2024, 12, 1))
    assert AuditEntry.objects.filter(action="add_note").exists()


def test_a_note_without_text_shows_the_error_and_keeps_the_date(world, as_user):
    response = as_user("olav").post(reverse("front:note_add", args=[REF]), {"date": "2024-12-01", "text": ""})
    assert response.context["note_form"].errors["text"]
    assert response.context["note_form"]["date"].value() == "2024-12-01"
    assert not NegotiationNote.objects.exists()


def test_versions_are_listed_with_what_why_who_and_how(in_force, as_user):
    AgreementVersion.objects.filter(number=1).update(agreed_by="Maria Anders", agreed_how="signed")
    text = as_user("vera").get(reverse("front:agreement", args=[REF])).text
    assert "Maria Anders" in text and "signed document" in text
    assert reverse("front:agreement_diff", args=[REF]) + "?from=0&amp;to=1" in text


def test_an_operational_change_in_force_needs_no_amendment_even_with_its_date_cleared(in_force, as_user):
    agreement = in_force.agreement
    data = header_post(agreement, title="Delivery terms, revised", **{"a-effective_from": "", "a-agreed_how": "email"})
    assert as_user("olav").post(reverse("front:agreement_edit", args=[REF]), data).status_code == 302
    assert Agreement.objects.get().title == "Delivery terms, revised"
    assert agreement.versions.count() == 1


def test_an_amendment_says_from_when(in_force, as_user):
    data = header_post(in_force.agreement, valid_to="2026-06-30", **{
        "a-effective_from": "", "a-summary": "Extended", "a-agreed_how": "email"})
    response = as_user("olav").post(reverse("front:agreement_edit", args=[REF]), data)
    assert response.context["amendment"].errors["effective_from"] == ["Say from when the amendment takes effect."]


def test_the_list_exports_a_spreadsheet_with_dates_as_dates(world, as_user):
    response = as_user("vera").get(reverse("front:agreements") + "?format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="agreements.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference"
    assert rows[1][0] == "ALFKI-2025"
    assert rows[1][7].date() == dt.date(2025, 1, 1)  # a date cell, not text
    assert rows[1][-1] == 1
