"""Attachments through the API: list, download, upload (multipart, `admin` scope) with the same checks as
the web page — wrong kinds, files cut short, requests cut short, files too large — every answer as the
schema documents it."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from pacta.accounts.models import Role
from pacta.conftest import make_user
from pacta.core.actions.api import do_create_api_token
from pacta.core.actions.attachments import do_add_attachment
from pacta.core.models import Attachment, AuditEntry
from pacta.lib.tests import samples

PATH = "/agreements/ALFKI-2025/attachments"
# The same content type as Django's test client's, but not the same object: the client then sends the
# body as given instead of encoding a dict.
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, data: bytes, name: str, **fields):
    """POST the file as multipart through the schema-checking client."""
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile(name, data), **fields})
    return client.post(PATH, raw=body, content_type=MULTIPART)


@pytest.fixture
def attached(world):
    return do_add_attachment(world.agreement, SimpleUploadedFile("Vertrag März.pdf", samples.pdf()),
                             acting_user=world.olav, version=world.agreement.versions.get())


def test_a_file_is_uploaded_listed_and_downloaded(api_client, tokens, world, media):
    client = api_client(tokens["admin"])
    created = upload(client, samples.pdf(), "../Amendment 1.pdf", description="signed", version="1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["version"], body["size"], body["content_type"], body["uploaded_by"]) == (
        "Amendment 1.pdf", 1, len(samples.pdf()), "application/pdf", "olav")
    assert body["sha256"] == hashlib.sha256(samples.pdf()).hexdigest()
    assert body["download"] == f"/api/v1{PATH}/{body['id']}"
    assert AuditEntry.objects.filter(action="add_attachment", user=world.olav).count() == 1

    listed = api_client(tokens["vera"]).get(PATH)
    assert [a["name"] for a in listed.json()] == ["Amendment 1.pdf"]

    download = api_client(tokens["read"]).get(f"{PATH}/{body['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == samples.pdf()
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == "attachment; filename=\"Amendment 1.pdf\"; filename*=UTF-8''Amendment%201.pdf"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_download_off_the_allow_list_is_octet_stream(api_client, tokens, attached):
    Attachment.objects.filter(pk=attached.pk).update(content_type="text/html; charset=utf-8")
    response = api_client(tokens["read"]).get(f"{PATH}/{attached.pk}")
    assert response["Content-Type"] == "application/octet-stream"
    assert "filename*=UTF-8''Vertrag%20M%C3%A4rz.pdf" in response["Content-Disposition"]


def test_an_attachment_of_another_agreement_or_none_is_a_404(api_client, tokens, attached, media):
    client = api_client(tokens["read"])
    assert client.get(f"/agreements/NOPE/attachments/{attached.pk}").status_code == 404
    assert client.get(f"{PATH}/{attached.pk + 1}").status_code == 404
    (media / attached.file.name).unlink()
    missing = client.get(f"{PATH}/{attached.pk}")
    assert missing.status_code == 404 and "missing from the server's storage" in missing.json()["detail"]


def test_uploading_needs_the_admin_scope_and_the_right_to_change(api_client, tokens, world, media):
    assert upload(api_client(tokens["read"]), samples.pdf(), "a.pdf").status_code == 403
    assert upload(api_client(tokens["events"]), samples.pdf(), "a.pdf").status_code == 403
    otto = make_user("otto", Role.MEMBER)
    raw = do_create_api_token(acting_user=otto, name="test", scopes=["admin"])[1]
    response = upload(api_client(raw), samples.pdf(), "a.pdf")
    assert response.status_code == 403
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert upload(api_client(tokens["mona"]), samples.pdf(), "a.pdf").status_code == 201


def test_anonymous_requests_are_a_401(api_client, attached):
    client = api_client(None)
    assert client.get(PATH).status_code == 401
    assert client.get(f"{PATH}/{attached.pk}").status_code == 401
    assert upload(client, samples.pdf(), "a.pdf").status_code == 401


@pytest.mark.parametrize(("data", "name", "words"), [
    (samples.EXECUTABLE, "contract.pdf", "a program or script"),
    (samples.SVG, "logo.svg", "an SVG image"),
    (samples.HTML, "notes.txt", "a web page"),
    (samples.png(), "contract.pdf", "its content is not PDF"),
    (samples.cut(samples.pdf()), "Amendment.pdf", "the file is incomplete"),
    (samples.cut(samples.docx()), "Amendment.docx", "the file is incomplete"),
])
def test_a_refused_file_is_a_422_on_the_field_file(api_client, tokens, world, media, data, name, words):
    response = upload(api_client(tokens["admin"]), data, name)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "file" and words in error["message"]
    assert not Attachment.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(("fields", "field"), [({"version": "7"}, "version"), ({"version": "²"}, "version"),
                                               ({"description": "x" * 501}, "description")])
def test_bad_fields_are_a_422_naming_the_field(api_client, tokens, world, fields, field):
    response = upload(api_client(tokens["admin"]), samples.pdf(), "a.pdf", **fields)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == field


def test_a_request_without_a_file_says_how_to_send_it(api_client, tokens, world):
    body = encode_multipart(BOUNDARY, {"description": "signed"})
    response = api_client(tokens["admin"]).post(PATH, raw=body, content_type=MULTIPART)
    assert response.status_code == 422 and "multipart field file" in response.json()["errors"][0]["message"]


def test_a_file_over_the_limit_is_a_413(api_client, tokens, world, media, settings):
    settings.PACTA_MAX_ATTACHMENT_BYTES = 100
    response = upload(api_client(tokens["admin"]), samples.pdf(), "a.pdf")
    assert response.status_code == 413 and "the largest file taken here is 100\xa0bytes" in response.json()["detail"]
    assert stored_files(media) == []


def test_a_request_cut_short_is_a_400_and_stores_nothing(api_client, tokens, world, media):
    client = api_client(tokens["admin"])
    body = encode_multipart(BOUNDARY, {"description": "signed", "file": SimpleUploadedFile("a.pdf", samples.pdf())})
    cut = body[: len(body) // 2]
    response = client.client.generic("POST", f"/api/v1{PATH}", cut, content_type=MULTIPART_CONTENT,
                                     CONTENT_LENGTH=str(len(body)), headers={"Authorization": f"Bearer {client.token}"},
                                     **{"wsgi.input": io.BytesIO(cut)})
    client.check("POST", f"/api/v1{PATH}", response)
    assert response.status_code == 400 and "a.pdf did not arrive whole" in response.json()["detail"]
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_an_upload_must_be_multipart(api_client, tokens, world):
    response = api_client(tokens["admin"]).post(PATH, {"file": "JVBERi0="})
    assert response.status_code == 415 and "multipart/form-data" in response.json()["detail"]
