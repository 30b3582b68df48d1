"""Attachments on the agreement page: who may attach, download and remove; what a download
carries; names that try to lead elsewhere; files too large, of the wrong kind or cut short —
and uploads of the import pages cut short or not what they say."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from pacta.core.actions.attachments import do_add_attachment
from pacta.core.models import Attachment, AuditEntry, Event
from pacta.lib.tests import samples

REF = "ALFKI-2025"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PACTA_UPLOAD_DIR = str(tmp_path / "uploads")
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attach(client, data: bytes, name: str, **fields):
    return client.post(reverse("front:attachment_add", args=[REF]),
                       {"file": SimpleUploadedFile(name, data), "description": "", "version": "", **fields})


def file_errors(response) -> str:
    return " ".join(response.context["form"].errors.get("file", []))


@pytest.fixture
def attached(world):
    return do_add_attachment(world.agreement, SimpleUploadedFile("Vertrag März.pdf", samples.pdf()),
                             acting_user=world.users["olav"], description="signed by both",
                             version=world.agreement.versions.get())


# --- the page


def test_the_agreement_page_lists_attachments_with_a_download_link(as_user, attached):
    page = as_user("olav").get(reverse("front:agreement", args=[REF])).text
    assert 'id="attachments"' in page
    assert f'href="/agreements/{REF}/attachments/{attached.pk}/"' in page
    assert "Vertrag März.pdf" in page and "signed by both" in page and "Olav Owner" in page
    assert reverse("front:attachment_remove", args=[REF, attached.pk]) in page
    assert 'enctype="multipart/form-data"' in page


def test_a_viewer_sees_the_attachments_without_the_upload_form_or_remove(as_user, attached):
    page = as_user("vera").get(reverse("front:agreement", args=[REF])).text
    assert "Vertrag März.pdf" in page
    assert reverse("front:attachment_add", args=[REF]) not in page
    assert reverse("front:attachment_remove", args=[REF, attached.pk]) not in page


def test_without_attachments_the_page_says_what_they_are_for(as_user, world):
    assert "Keep the signed amendments" in as_user("olav").get(reverse("front:agreement", args=[REF])).text


# --- attaching


@pytest.mark.parametrize("user", ["olav", "mona", "admin"])
def test_the_owner_a_manager_and_an_administrator_attach_a_file(as_user, world, media, user):
    version = world.agreement.versions.get()
    response = attach(as_user(user), samples.pdf(), "Amendment 2.pdf", description="signed",
                      version=str(version.pk))
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.version, attachment.uploaded_by.username) == ("Amendment 2.pdf", version, user)
    assert stored_files(media) == [media / attachment.file.name]
    assert AuditEntry.objects.filter(action="add_attachment").count() == 1


@pytest.mark.parametrize("user", ["vera", "nina"])
def test_a_viewer_and_a_member_who_does_not_own_it_are_refused(as_user, world, media, user):
    client = as_user(user)
    assert client.get(reverse("front:attachment_add", args=[REF])).status_code == 403
    assert attach(client, samples.pdf(), "a.pdf").status_code == 403
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_version_of_another_agreement_cannot_be_chosen(as_user, world):
    response = attach(as_user("olav"), samples.pdf(), "a.pdf", version="999999")
    assert response.status_code == 200 and response.context["form"].errors["version"]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("sent", "shown"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("/etc/cron.d/evil.pdf", "evil.pdf"),
    ("..\\..\\Windows\\evil.pdf", "evil.pdf"),
    ("evil\u202eFDP.pdf", "evilFDP.pdf"),
])
def test_a_name_with_a_path_is_kept_as_its_last_part_and_stored_under_pactas_name(as_user, world, media, sent,
                                                                                   shown):
    assert attach(as_user("olav"), samples.pdf(), sent).status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == shown
    [stored] = stored_files(media)
    assert stored.parent.parent == media / "attachments" and shown.removesuffix(".pdf") not in stored.name


def test_a_nul_in_the_name_never_reaches_the_disk(as_user, world, media):
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("x.pdf", samples.pdf()), "description": ""})
    body = body.replace(b'filename="x.pdf"', b'filename="../a\x00b.pdf"')
    response = as_user("olav").generic("POST", reverse("front:attachment_add", args=[REF]), body,
                                       content_type=MULTIPART_CONTENT)
    assert response.status_code == 302
    assert Attachment.objects.get().name == "ab.pdf"
    assert all(p.is_relative_to(media / "attachments") for p in stored_files(media))


def test_a_file_over_the_limit_is_refused_with_the_limit(as_user, world, media, settings):
    settings.PACTA_MAX_ATTACHMENT_BYTES = 100
    response = attach(as_user("olav"), samples.pdf(), "Amendment 2.pdf")
    assert response.status_code == 200
    assert "the largest file taken here is 100\xa0bytes" in file_errors(response)
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_file_past_every_limit_is_skipped_as_it_arrives_and_told(as_user, world, media, settings):
    settings.PACTA_MAX_ATTACHMENT_BYTES, settings.PACTA_MAX_UPLOAD_BYTES = 1000, 2000
    response = attach(as_user("olav"), b"%PDF-1.4\n" + b"x" * 50_000, "big.pdf")
    assert response.status_code == 200
    assert "big.pdf is larger than 1000\xa0bytes" in file_errors(response)
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("data", "name", "words"), [
    (samples.EXECUTABLE, "contract.pdf", "a program or script"),
    (samples.EXECUTABLE, "setup.exe", "a program or script"),
    (samples.HTML, "page.html", "a web page (HTML)"),
    (samples.SVG, "logo.svg", "an SVG image"),
    (samples.png(), "contract.pdf", "is named .pdf but its content is not PDF"),
    (b"just words", "notes.md", "files of type .md are not taken"),
])
def test_a_file_of_the_wrong_kind_is_refused_next_to_the_input(as_user, world, media, data, name, words):
    response = attach(as_user("olav"), data, name)
    assert response.status_code == 200
    assert words in file_errors(response)
    assert not Attachment.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("data", "name"), [
    (samples.cut(samples.pdf()), "Amendment 2.pdf"),
    (samples.cut(samples.xlsx(), 0.9), "prices.xlsx"),
])
def test_a_half_written_file_is_refused_as_incomplete(as_user, world, media, data, name):
    response = attach(as_user("olav"), data, name)
    assert "the file is incomplete" in file_errors(response)
    assert not Attachment.objects.exists() and stored_files(media) == []


def post_cut_short(client, url: str, fields: dict, keep: float = 0.6):
    """POST a multipart body that ends before the length it announced, as a broken connection leaves it."""
    body = encode_multipart(BOUNDARY, fields)
    cut = body[: int(len(body) * keep)]
    return client.generic("POST", url, cut, content_type=MULTIPART_CONTENT, CONTENT_LENGTH=str(len(body)),
                          **{"wsgi.input": io.BytesIO(cut)})


def test_a_request_cut_short_is_told_and_stores_nothing(as_user, world, media):
    response = post_cut_short(as_user("olav"), reverse("front:attachment_add", args=[REF]),
                              {"description": "signed", "file": SimpleUploadedFile("Amendment 2.pdf", samples.pdf())})
    assert response.status_code == 200
    assert "Amendment 2.pdf did not arrive whole" in file_errors(response)
    assert not Attachment.objects.exists() and stored_files(media) == []


# --- downloading


@pytest.mark.parametrize("user", ["vera", "nina", "olav"])
def test_every_signed_in_user_downloads_with_safe_headers(as_user, attached, user):
    response = as_user(user).get(reverse("front:attachment", args=[REF, attached.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Vertrag M_rz.pdf\"; filename*=UTF-8''Vertrag%20M%C3%A4rz.pdf")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_content_type_off_the_allow_list_is_sent_as_octet_stream(as_user, attached):
    Attachment.objects.filter(pk=attached.pk).update(content_type="text/html")
    response = as_user("vera").get(reverse("front:attachment", args=[REF, attached.pk]))
    assert response["Content-Type"] == "application/octet-stream"


def test_an_anonymous_visitor_is_sent_to_sign_in(client, attached):
    for url in (reverse("front:attachment", args=[REF, attached.pk]), reverse("front:attachment_add", args=[REF]),
                reverse("front:attachment_remove", args=[REF, attached.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_attachment_is_found_only_under_its_own_agreement(as_user, attached, world):
    from pacta.core.actions.register import do_create_agreement

    do_create_agreement(acting_user=world.users["mona"], party=world.party, reference="ALFKI-2026",
                        valid_from=attached.agreement.valid_from)
    client = as_user("mona")
    assert client.get(reverse("front:attachment", args=["ALFKI-2026", attached.pk])).status_code == 404
    assert client.get(f"/agreements/{REF}/attachments/..%2F..%2Fsettings.py/").status_code == 404


def test_a_file_missing_from_the_storage_is_a_404_not_a_500(as_user, attached, media):
    (media / attached.file.name).unlink()
    response = as_user("olav").get(reverse("front:attachment", args=[REF, attached.pk]))
    assert response.status_code == 404


# --- removing


def test_removing_asks_first_then_deletes_the_file(as_user, attached, media, django_capture_on_commit_callbacks):
    client = as_user("olav")
    url = reverse("front:attachment_remove", args=[REF, attached.pk])
    assert "Remove the attachment Vertrag März.pdf?" in client.get(url).text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert AuditEntry.objects.filter(action="remove_attachment").count() == 1


@pytest.mark.parametrize("user", ["vera", "nina"])
def test_a_viewer_and_an_outsider_may_not_remove(as_user, attached, media, user):
    client = as_user(user)
    url = reverse("front:attachment_remove", args=[REF, attached.pk])
    assert client.get(url).status_code == 403 and client.post(url).status_code == 403
    assert Attachment.objects.filter(pk=attached.pk).exists() and len(stored_files(media)) == 1


# --- the import pages share the checks


def test_an_event_file_cut_short_in_transit_is_told(as_user, world):
    response = post_cut_short(as_user("olav"), reverse("imports:events"), {
        "source": "erp", "mapping": "",
        "file": SimpleUploadedFile("events.csv", b"id,kind,party,at\n" + b"E1,order,ALFKI,2025-03-01\n" * 500)})
    assert response.status_code == 200
    assert "events.csv did not arrive whole" in file_errors(response)
    assert not Event.objects.exists()


@pytest.mark.parametrize(("data", "name", "words"), [
    (samples.xlsx(), "events.csv", "name it .xlsx"),
    (samples.pdf(), "events.csv", "is not text"),
    (samples.cut(samples.xlsx(), 0.9), "events.xlsx", "the file is incomplete"),
    (b"id,kind,party\n", "events.xlsx", "its content is not XLSX"),
])
def test_an_event_file_that_is_not_what_it_says_is_refused(as_user, world, data, name, words):
    response = as_user("olav").post(reverse("imports:events"), {"source": "erp", "mapping": "",
                                                                "file": SimpleUploadedFile(name, data)})
    assert words in file_errors(response)
    assert "token" not in response.context


def test_an_agreement_file_with_a_nul_is_refused(as_user):
    response = as_user("mona").post(reverse("imports:agreements"),
                                    {"file": SimpleUploadedFile("a.yaml", b"agreements:\n- id: A\x00\n")})
    assert "is not text" in file_errors(response)
