"""Imports and exports in the web interface: agreement files (YAML) and event
files (CSV/XLSX, with column mappings): upload, preview, confirm; every problem
listed and nothing written; idempotent; who may."""

import io
import re
import textwrap
from decimal import Decimal

import openpyxl
import pytest
import time_machine
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pacta.core.models import Agreement, AuditEntry, ColumnMapping, Commitment, Event, ImportBatch, Party

AGREEMENTS = textwrap.dedent("""\
    agreements:
      - id: BONAP-2025
        party: BONAP
        party_name: Bon app'
        role: customer
        currency: EUR
        timezone: Europe/Paris
        valid_from: 2025-01-01
        status: in_force
        commitments:
          - id: on-time
            type: on_time_delivery
            title: Every order delivered by its due date
    """)

# Two problems, each on its own line: a date that is none (line 7) and a commitment without a type (line 11).
BAD_AGREEMENTS = textwrap.dedent("""\
    agreements:
      - id: BAD-1
        party: BAD
        role: customer
        currency: EUR
        timezone: Europe/Paris
        valid_from: someday
        status: in_force
        owner: olav
        commitments:
          - id: on-time
            title: On time
    """)

EVENTS = (
    "id,kind,party,at,ref,product,quantity,unit_price,discount,currency,due,force_majeure\n"
    "E1,order,ALFKI,2025-03-01,10248,P11,12,14.00,0.05,EUR,2025-03-10,\n"
    "E2,order,ALFKI,2025-03-01,10248,P42,10,9.80,,EUR,2025-03-10,\n"
    "E3,delivery,ALFKI,2025-03-07T10:15:00+01:00,10248,,,,,,,true\n"
)

# The shop's own layout, German decimals and dates: read through a mapping.
SHOP = (
    "Beleg;Art;Kunde;Datum;Menge;Preis\n"
    "S1;order;ALFKI;01.03.2025;3;1.234,50\n"
    "S2;order;ALFKI;02.03.2025;1;10,00\n"
)


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.PACTA_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel("2025-03-08T12:00:00+01:00", tick=False):
        yield


def upload(name: str, text: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.text).group(1)


def check_agreements(client, text=AGREEMENTS, name="agreements.yaml"):
    return client.post(reverse("imports:agreements"), {"file": upload(name, text)})


def check_events(client, text=EVENTS, name="events.csv", source="erp", mapping=""):
    return client.post(reverse("imports:events"), {"file": upload(name, text), "source": source, "mapping": mapping})


# ---------------------------------------------------------------------------
# agreements


def test_an_agreement_file_is_previewed_without_writing_anything(as_user):
    response = check_agreements(as_user("mona"))
    assert response.status_code == 200
    assert "BONAP-2025" in response.text and "Import these agreements" in response.text
    assert not Agreement.objects.filter(reference="BONAP-2025").exists()
    assert not Party.objects.filter(code="BONAP").exists()


def test_confirming_the_preview_imports_the_file_and_links_to_what_it_made(as_user):
    client = as_user("mona")
    response = client.post(reverse("imports:agreements_confirm"), {"token": token_of(check_agreements(client))})
    agreement = Agreement.objects.get(reference="BONAP-2025")
    assert agreement.commitments.get().key == "on-time"
    assert agreement.get_absolute_url() in response.text
    assert Party.objects.get(code="BONAP").get_absolute_url() in response.text


def test_a_bad_agreement_file_lists_every_problem_with_its_line_and_writes_nothing(as_user):
    audits = AuditEntry.objects.count()
    response = check_agreements(as_user("mona"), BAD_AGREEMENTS, "bad.yaml")
    assert "bad.yaml:7: valid_from: " in response.text
    assert "bad.yaml:11: type: Required." in response.text
    assert 'name="token"' not in response.text
    assert not Agreement.objects.exists() and not Party.objects.filter(code="BAD").exists()
    assert AuditEntry.objects.count() == audits


def test_importing_the_same_agreement_file_twice_leaves_it_unchanged(as_user):
    client = as_user("mona")
    client.post(reverse("imports:agreements_confirm"), {"token": token_of(check_agreements(client))})
    revision = Agreement.objects.get(reference="BONAP-2025").revision
    second = check_agreements(client)
    assert re.search(r"Agreements unchanged</dt><dd>BONAP-2025", second.text)
    client.post(reverse("imports:agreements_confirm"), {"token": token_of(second)})
    assert Agreement.objects.get(reference="BONAP-2025").revision == revision


def test_a_confirmation_cannot_be_replayed_or_guessed(as_user):
    client = as_user("mona")
    token = token_of(check_agreements(client))
    client.post(reverse("imports:agreements_confirm"), {"token": token})
    Agreement.objects.all().delete()
    again = client.post(reverse("imports:agreements_confirm"), {"token": token}, follow=True)
    assert "no longer waiting" in again.text
    assert client.post(reverse("imports:agreements_confirm"), {"token": "../../etc/passwd"}).status_code == 302
    assert not Agreement.objects.exists()


def test_another_users_token_is_refused(as_user, client_factory):
    token = token_of(check_agreements(as_user("mona")))
    other = client_factory("admin")
    other.post(reverse("imports:agreements_confirm"), {"token": token})
    assert not Agreement.objects.filter(reference="BONAP-2025").exists()


def test_the_upload_is_checked_again_on_confirmation(as_user, users):
    client = as_user("mona")
    owned = AGREEMENTS.replace("    status: in_force\n", "    status: in_force\n    owner: nina\n")
    token = token_of(check_agreements(client, owned))
    users["nina"].delete()  # the register changed between preview and confirmation
    response = client.post(reverse("imports:agreements_confirm"), {"token": token})
    # an agreement's users are located at the agreement, which starts on line 2
    assert "agreements.yaml:2: owner: Unknown user: nina." in response.text
    assert not Agreement.objects.exists()


def test_the_export_downloads_yaml_that_imports_back_unchanged(as_user, world):
    client = as_user("vera")
    response = client.get(reverse("imports:agreements_export"))
    assert response["Content-Type"].startswith("application/yaml")
    assert "attachment" in response["Content-Disposition"]
    exported = response.content.decode()
    assert [a["id"] for a in yaml.safe_load(exported)["agreements"]] == ["ALFKI-2025"]
    manager = as_user("mona")
    preview = manager.post(reverse("imports:agreements"), {"file": upload("export.yaml", exported)})
    assert re.search(r"Agreements unchanged</dt><dd>ALFKI-2025", preview.text)
    assert re.search(r"Agreements updated</dt><dd>—", preview.text)


def test_one_agreement_downloads_from_its_page(as_user, world):
    client = as_user("vera")
    page = client.get(world.agreement.get_absolute_url()).text
    url = reverse("imports:agreement_export", args=["ALFKI-2025"])
    assert url in page
    response = client.get(url)
    assert 'filename="ALFKI-2025.yaml"' in response["Content-Disposition"]
    assert [a["id"] for a in yaml.safe_load(response.content)["agreements"]] == ["ALFKI-2025"]


def test_the_export_follows_the_agreement_lists_filters(as_user, world):
    assert yaml.safe_load(as_user("vera").get(reverse("imports:agreements_export") + "?party=NOBODY").content) == {
        "agreements": []}


def test_viewers_and_members_may_not_import_agreement_files(as_user):
    for name in ("vera", "olav"):
        client = as_user(name)
        assert client.get(reverse("imports:agreements")).status_code == 403
        assert check_agreements(client).status_code == 403
        assert client.post(reverse("imports:agreements_confirm"), {"token": "x"}).status_code == 403
    assert not Agreement.objects.exists()


# ---------------------------------------------------------------------------
# events


def test_an_event_file_is_previewed_with_its_first_rows_and_counts(as_user, world):
    response = check_events(as_user("olav"))
    text = response.text
    assert "Import these events" in text
    assert re.search(r"Rows</dt><dd>3<", text) and re.search(r"New events</dt><dd>3<", text)
    assert re.search(r"left unchanged\)</dt><dd>0<", text)
    # 12 x 14.00 x (1 - 0.05) = 159.60, shown as money
    assert "159.60" in text
    assert not Event.objects.exists()


def test_confirming_imports_the_events_and_links_to_the_touched_commitments(as_user, in_force):
    client = as_user("olav")
    response = client.post(reverse("imports:events_confirm"), {"token": token_of(check_events(client))})
    assert set(Event.objects.values_list("external_id", flat=True)) == {"E1", "E2", "E3"}
    batch = ImportBatch.objects.get()
    assert (batch.source, batch.rows, batch.created, batch.user) == ("erp", 3, 3, in_force.users["olav"])
    assert reverse("front:commitments") + "?party=ALFKI" in response.text
    assert Commitment.objects.filter(evaluated_at__isnull=False).exists()


def test_importing_the_same_event_file_twice_changes_nothing(as_user, world):
    client = as_user("olav")
    client.post(reverse("imports:events_confirm"), {"token": token_of(check_events(client))})
    second = check_events(client)
    assert re.search(r"New events</dt><dd>0<", second.text)
    assert re.search(r"left unchanged\)</dt><dd>3<", second.text)
    response = client.post(reverse("imports:events_confirm"), {"token": token_of(second)})
    assert Event.objects.count() == 3
    assert list(ImportBatch.objects.order_by("pk").values_list("created", "unchanged")) == [(3, 0), (0, 3)]
    assert "every row was imported before" in response.text


def test_a_bad_event_file_lists_every_problem_and_writes_nothing(as_user, world):
    bad = EVENTS.replace("E2,order,ALFKI", "E2,order,NOBODY").replace("E3,delivery", "E3,teleport")
    response = check_events(as_user("olav"), bad, "bad.csv")
    assert "bad.csv:3: party: Unknown party NOBODY" in response.text
    assert "bad.csv:4: kind: " in response.text
    assert 'name="token"' not in response.text
    assert not Event.objects.exists() and not ImportBatch.objects.exists()


def test_an_xlsx_file_is_read_like_a_csv(as_user, world):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in EVENTS.splitlines():
        sheet.append(line.split(","))
    data = io.BytesIO()
    book.save(data)
    client = as_user("olav")
    preview = check_events(client, data.getvalue(), "events.xlsx")
    assert re.search(r"New events</dt><dd>3<", preview.text)
    client.post(reverse("imports:events_confirm"), {"token": token_of(preview)})
    assert Event.objects.filter(source="erp").count() == 3


def shop_mapping() -> ColumnMapping:
    return ColumnMapping.objects.create(
        name="shop", mapping={"id": "Beleg", "kind": "Art", "party": "Kunde", "at": "Datum", "quantity": "Menge",
                              "unit_price": "Preis"},
        options={"delimiter": ";", "decimal_comma": True, "date_format": "%d.%m.%Y", "defaults": {"currency": "EUR"}})


def test_a_file_of_another_layout_is_read_through_its_mapping(as_user, world):
    mapping = shop_mapping()
    client = as_user("olav")
    preview = check_events(client, SHOP, "shop.csv", source="shop", mapping=mapping.pk)
    # 3 x 1,234.50 = 3,703.50
    assert "3,703.50" in preview.text
    client.post(reverse("imports:events_confirm"), {"token": token_of(preview)})
    s1 = Event.objects.get(source="shop", external_id="S1")
    assert (s1.amount, s1.currency, s1.at.date().isoformat()) == (Decimal("3703.5"), "EUR", "2025-03-01")


def test_without_the_mapping_the_shops_file_is_rejected_at_its_header(as_user, world):
    response = check_events(as_user("olav"), SHOP, "shop.csv")
    assert "shop.csv:1: " in response.text and 'name="token"' not in response.text


def test_the_mapping_deleted_before_confirmation_imports_nothing(as_user, world):
    mapping = shop_mapping()
    client = as_user("olav")
    token = token_of(check_events(client, SHOP, "shop.csv", source="shop", mapping=mapping.pk))
    mapping.delete()
    response = client.post(reverse("imports:events_confirm"), {"token": token}, follow=True)
    assert "mapping was deleted" in response.text
    assert not Event.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(as_user, world, settings, upload_dir):
    settings.PACTA_MAX_UPLOAD_BYTES = 100
    response = check_events(as_user("olav"))
    assert len(EVENTS.encode()) > 100
    assert "the largest file the import takes is 100" in response.text
    assert not upload_dir.exists() or not list(upload_dir.iterdir())  # nothing kept for a confirmation


def test_viewers_may_not_import_events(as_user, world):
    client = as_user("vera")
    assert client.get(reverse("imports:events")).status_code == 403
    assert check_events(client).status_code == 403
    assert not Event.objects.exists()


def test_the_import_page_offers_what_the_reader_may_do(as_user):
    viewer = as_user("vera").get(reverse("front:import")).text
    assert reverse("imports:agreements_export") in viewer
    assert reverse("imports:events") not in viewer and reverse("imports:agreements") + '"' not in viewer
    manager = as_user("mona").get(reverse("front:import")).text
    assert reverse("imports:events") in manager and reverse("imports:agreements") + '"' in manager


# ---------------------------------------------------------------------------
# column mappings


def mapping_post(**overrides):
    data = {"name": "shop", "column_id": "Beleg", "column_kind": "Art", "column_party": "Kunde",
            "column_at": "Datum", "delimiter": ";", "decimal_comma": "on", "date_format": "%d.%m.%Y",
            "defaults": "currency=EUR", "timezone": "Europe/Berlin"}
    return {**data, **overrides}


def test_a_member_saves_a_column_mapping_with_its_options(as_user):
    response = as_user("olav").post(reverse("imports:mapping_create"), mapping_post())
    assert response.status_code == 302
    saved = ColumnMapping.objects.get(name="shop")
    assert saved.mapping == {"id": "Beleg", "kind": "Art", "party": "Kunde", "at": "Datum"}
    assert saved.options == {"delimiter": ";", "decimal_comma": True, "date_format": "%d.%m.%Y",
                             "defaults": {"currency": "EUR"}, "timezone": "Europe/Berlin"}
    assert AuditEntry.objects.filter(action="create_column_mapping", object_id=str(saved.pk)).exists()


def test_a_column_mapping_with_mistakes_is_refused_with_each_one_named(as_user):
    response = as_user("olav").post(reverse("imports:mapping_create"), mapping_post(
        timezone="Mars/Olympus", defaults="colour=red", encoding="klingon"))
    assert response.status_code == 200
    assert "Unknown time zone: Mars/Olympus." in response.text
    assert "Unknown encoding: klingon." in response.text
    assert "Line 1: write column=value" in response.text
    assert not ColumnMapping.objects.exists()


def test_a_mapping_name_is_unique(as_user):
    shop_mapping()
    response = as_user("olav").post(reverse("imports:mapping_create"), mapping_post())
    assert "A mapping of that name exists already." in response.text
    assert ColumnMapping.objects.count() == 1


def test_editing_a_mapping_shows_what_it_holds_and_saves_the_change(as_user):
    mapping = shop_mapping()
    client = as_user("olav")
    form = client.get(reverse("imports:mapping_edit", args=[mapping.pk])).text
    assert 'value="Beleg"' in form and "currency=EUR" in form
    client.post(reverse("imports:mapping_edit", args=[mapping.pk]), mapping_post(delimiter="tab", column_id="Nr"))
    mapping.refresh_from_db()
    assert mapping.mapping["id"] == "Nr" and mapping.options["delimiter"] == "\t"
    assert AuditEntry.objects.filter(action="change_column_mapping").count() == 1


def test_deleting_a_mapping_asks_first(as_user):
    mapping = shop_mapping()
    client = as_user("olav")
    url = reverse("imports:mapping_delete", args=[mapping.pk])
    assert "Delete the column mapping shop?" in client.get(url).text
    assert ColumnMapping.objects.exists()
    client.post(url)
    assert not ColumnMapping.objects.exists()
    assert AuditEntry.objects.filter(action="delete_column_mapping").exists()


def test_viewers_see_the_mappings_but_may_not_change_them(as_user):
    mapping = shop_mapping()
    client = as_user("vera")
    listing = client.get(reverse("imports:mappings")).text
    assert "shop" in listing and reverse("imports:mapping_create") not in listing
    assert client.post(reverse("imports:mapping_create"), mapping_post(name="x")).status_code == 403
    assert client.post(reverse("imports:mapping_delete", args=[mapping.pk])).status_code == 403
    assert ColumnMapping.objects.count() == 1


def test_the_upload_pages_open_for_those_who_may_import(as_user):
    manager = as_user("mona")
    assert 'enctype="multipart/form-data"' in manager.get(reverse("imports:agreements")).text
    mapping = shop_mapping()
    events = as_user("olav").get(reverse("imports:events") + f"?mapping={mapping.pk}").text
    assert f'<option value="{mapping.pk}" selected>shop</option>' in events
    assert 'name="column_quantity"' in as_user("olav").get(reverse("imports:mapping_create")).text
