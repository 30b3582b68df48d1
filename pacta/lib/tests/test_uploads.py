"""Uploaded files are what they say, whole, and their names cannot lead anywhere (pacta.lib.uploads)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, RequestFactory, encode_multipart

from pacta.lib import uploads
from pacta.lib.tests import samples
from pacta.lib.uploads import UploadRefused, check_attachment, check_import_file, display_name


@pytest.mark.parametrize(("sent", "shown"), [
    ("../../etc/passwd", "passwd"),
    ("/etc/passwd", "passwd"),
    ("..\\..\\windows\\win.ini", "win.ini"),
    ("C:\\Users\\olav\\Amendment 2.pdf", "Amendment 2.pdf"),
    ("amend\x00ment.pdf", "amendment.pdf"),
    ("line\r\nbreak.txt", "linebreak.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # the right-to-left override is gone
    ("..", "file"),
    ("...", "file"),
    ("", "file"),
    ("../", "file"),
    (".htaccess", "htaccess"),
    ("  Vertrag\u00a0März.pdf  ", "Vertrag März.pdf"),
    ("Straße.pdf", "Straße.pdf"),
])
def test_a_name_is_cut_to_its_last_part_without_tricks(sent, shown):
    assert display_name(sent) == shown


def test_a_long_name_is_bounded_and_keeps_its_extension():
    shown = display_name("a" * 500 + ".pdf")
    assert len(shown) == uploads.NAME_LENGTH and shown.endswith("a.pdf")


def accepted(data: bytes, name: str):
    return check_attachment(io.BytesIO(data), name)


def refused(data: bytes, name: str, code: str) -> str:
    with pytest.raises(UploadRefused) as caught:
        check_attachment(io.BytesIO(data), name)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message.startswith(display_name(name) + ": ")
    return caught.value.message


@pytest.mark.parametrize(("make", "name", "kind"), [
    (samples.pdf, "Amendment 2.pdf", uploads.PDF),
    (samples.png, "scan.png", uploads.PNG),
    (samples.jpeg, "photo.JPG", uploads.JPEG),
    (samples.jpeg, "photo.jpeg", uploads.JPEG),
    (lambda: "Notes: delivery between 8 and 12 — agreed.\n".encode(), "notes.txt", uploads.TEXT),
    (lambda: "Lieferung zwischen 8 und 12 Uhr, Größe\n".encode("cp1252"), "notiz.txt", uploads.TEXT),
    (lambda: b'<?xml version="1.0"?><order id="10248"/>', "order.txt", uploads.TEXT),
    (samples.eml, "Re delivery window.eml", uploads.EML),
    (samples.docx, "amendment.docx", uploads.DOCX),
    (samples.xlsx, "prices.xlsx", uploads.XLSX),
    (samples.odt, "amendment.odt", uploads.ODT),
])
def test_every_kind_of_attachment_is_taken(make, name, kind):
    assert accepted(make(), name) is kind


@pytest.mark.parametrize(("data", "name"), [
    (samples.EXECUTABLE, "contract.pdf"),
    (samples.EXECUTABLE, "setup.exe"),
    (samples.ELF, "notes.txt"),
    (b"#!/bin/sh\nrm -rf ~\n", "notes.txt"),
    (samples.HTML, "notes.txt"),
    (samples.HTML, "page.html"),
    (b"  \n<html><body>hi</body></html>", "notes.txt"),
    (samples.SVG, "logo.svg"),
    (samples.SVG, "logo.png"),
    (b"<svg onload=alert(1)>", "logo.txt"),
])
def test_programs_web_pages_and_svg_are_refused_whatever_their_name(data, name):
    message = refused(data, name, "dangerous")
    assert "Accepted: PDF, PNG, JPEG" in message


@pytest.mark.parametrize(("data", "name"), [
    (b"just text", "notes.md"),
    (b"just text", "README"),
    (samples.pdf(), "contract.pdfx"),
])
def test_other_extensions_are_refused_with_the_list_of_accepted_ones(data, name):
    assert "Accepted: PDF, PNG, JPEG, plain text, e-mail (.eml), DOCX, XLSX, ODT." in refused(data, name, "type")


@pytest.mark.parametrize(("data", "name", "found"), [
    (samples.png(), "contract.pdf", "it is PNG"),
    (samples.pdf(), "scan.png", "it is PDF"),
    (samples.jpeg(), "scan.png", "it is JPEG"),
    (b"%PDF-1.4 but named as text\n%%EOF", "notes.txt", "it is PDF"),
    (b"plain words", "contract.pdf", "it is text"),
    (samples.xlsx(), "amendment.docx", None),
    (samples.docx(), "prices.xlsx", None),
    (samples.plain_zip(), "amendment.docx", None),
    (samples.odt("application/vnd.oasis.opendocument.spreadsheet"), "amendment.odt", None),
    (b"binary\x00\x01\x02data", "notes.txt", "binary data"),
    (b"Dear Olav,\n\nthanks.\n", "mail.eml", None),
])
def test_content_that_does_not_match_its_extension_is_refused(data, name, found):
    message = refused(data, name, "mismatch")
    if found:
        assert found in message


@pytest.mark.parametrize(("data", "name"), [
    (samples.cut(samples.pdf()), "Amendment 2.pdf"),
    (samples.cut(samples.png()), "scan.png"),
    (samples.cut(samples.jpeg()), "photo.jpg"),
    (samples.cut(samples.docx()), "amendment.docx"),
    (samples.cut(samples.xlsx(), 0.95), "prices.xlsx"),
    (samples.cut(samples.odt()), "amendment.odt"),
])
def test_a_file_cut_short_is_refused_as_incomplete(data, name):
    assert "the file is incomplete" in refused(data, name, "incomplete")


def test_a_damaged_zip_member_is_refused():
    data = bytearray(samples.docx())
    at = data.index(b"word/document.xml") + len("word/document.xml")  # the member's compressed bytes follow
    data[at + 2] ^= 0xFF
    assert "damaged" in refused(bytes(data), "amendment.docx", "incomplete")


def test_a_document_with_macros_is_refused():
    refused(samples.docx(**{"word/vbaProject.bin": b"\x00macro"}), "amendment.docx", "dangerous")


def test_an_empty_file_is_refused():
    refused(b"", "notes.txt", "empty")


def test_a_zip_that_unpacks_to_too_much_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UNPACKED", 100)
    refused(samples.docx(**{"word/media/big.bin": b"\x00" * 1000}), "amendment.docx", "too_large")


def test_the_stored_content_type_is_the_kinds_and_utf8_text_says_so():
    assert uploads.content_type_for(uploads.TEXT, io.BytesIO("Größe".encode())) == "text/plain; charset=utf-8"
    assert uploads.content_type_for(uploads.TEXT, io.BytesIO("Größe".encode("cp1252"))) == "text/plain"
    assert uploads.content_type_for(uploads.PDF) == "application/pdf"


@pytest.mark.parametrize(("stored", "sent"), [
    ("application/pdf", "application/pdf"),
    ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
    ("text/html", "application/octet-stream"),
    ("image/svg+xml", "application/octet-stream"),
    ("application/x-msdownload", "application/octet-stream"),
    ("", "application/octet-stream"),
])
def test_a_download_carries_only_an_allowed_content_type(stored, sent):
    assert uploads.safe_content_type(stored) == sent


# --- import files


def import_refused(data: bytes, name: str, code: str, **kwargs) -> str:
    with pytest.raises(UploadRefused) as caught:
        check_import_file(io.BytesIO(data), name, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value.message


@pytest.mark.parametrize(("data", "name", "kwargs"), [
    (b"id,kind,party\nE1,order,ALFKI\n", "events.csv", {}),
    ("Beleg;Kunde\nS1;Größe\n".encode("cp1252"), "shop.csv", {"encoding": "cp1252"}),
    ("id,kind\nE1,order\n".encode("utf-16"), "events.csv", {"encoding": "utf-16"}),
    (samples.xlsx(), "events.xlsx", {}),
    (b"agreements:\n  - id: X\n", "agreements.yaml", {}),
])
def test_import_files_that_are_what_they_say_pass(data, name, kwargs):
    check_import_file(io.BytesIO(data), name, **kwargs)


def test_a_workbook_named_csv_is_told_to_be_named_xlsx():
    assert "name it .xlsx" in import_refused(samples.xlsx(), "events.csv", "mismatch")


@pytest.mark.parametrize(("data", "name"), [
    (samples.pdf(), "events.csv"),
    (b"id,kind\x00,party\n", "events.csv"),
    (samples.EXECUTABLE, "agreements.yaml"),
    (b"agreements:\n  - id: X\x00\n", "agreements.yml"),
])
def test_an_import_file_that_is_not_text_is_refused(data, name):
    assert "is not text" in import_refused(data, name, "mismatch")


def test_a_workbook_cut_short_is_refused_as_incomplete():
    assert "incomplete" in import_refused(samples.cut(samples.xlsx(), 0.9), "events.xlsx", "incomplete")


@pytest.mark.parametrize(("data", "code"), [(b"id,kind\n", "mismatch"), (samples.docx(), "mismatch")])
def test_an_xlsx_that_is_no_workbook_is_refused(data, code):
    import_refused(data, "events.xlsx", code)


def test_an_empty_import_file_is_refused():
    import_refused(b"", "events.csv", "empty")


# --- requests that did not arrive whole


def multipart_request(body: bytes, announced: int) -> WSGIRequest:
    environ = RequestFactory()._base_environ(PATH_INFO="/", REQUEST_METHOD="POST", CONTENT_TYPE=MULTIPART_CONTENT,
                                             CONTENT_LENGTH=str(announced))
    environ["wsgi.input"] = io.BytesIO(body)
    return WSGIRequest(environ)


def body_with(data: bytes, name: str = "Amendment 2.pdf") -> bytes:
    return encode_multipart(BOUNDARY, {"description": "signed", "file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_request_cut_short_inside_the_file_is_noted(keep):
    body = body_with(samples.pdf() + b"x" * 5000)
    request = multipart_request(body[: int(len(body) * keep)], len(body))
    assert "file" not in request.FILES  # Django drops the file without a word …
    code, message = uploads.upload_problem(request, "file", 1000)
    assert code == "incomplete"  # … the guard noted it
    assert message.startswith("Amendment 2.pdf did not arrive whole")


def test_a_request_cut_short_before_the_file_is_noted():
    body = body_with(samples.pdf())
    request = multipart_request(body[:60], len(body))
    assert not request.FILES
    assert uploads.upload_problem(request, "file", 1000) == (
        "incomplete", "The upload broke off before the file arrived. Nothing was stored; upload it again.")


def test_a_whole_request_has_no_problem():
    body = body_with(samples.pdf())
    request = multipart_request(body, len(body))
    assert request.FILES["file"].read() == samples.pdf()
    assert uploads.upload_problem(request, "file", 1000) is None


def test_a_file_past_the_largest_upload_is_skipped_and_noted(settings):
    settings.PACTA_MAX_UPLOAD_BYTES, settings.PACTA_MAX_ATTACHMENT_BYTES = 5000, 20_000
    body = body_with(b"%PDF-1.4\n" + b"x" * 100_000)
    request = multipart_request(body, len(body))
    assert "file" not in request.FILES and request.POST["description"] == "signed"
    code, message = uploads.upload_problem(request, "file", 20_000)
    assert code == "too_large" and "larger than 19.5" in message


def test_without_a_limit_nothing_is_skipped(settings):
    settings.PACTA_MAX_UPLOAD_BYTES = 0
    body = body_with(b"%PDF-1.4\n" + b"x" * 100_000)
    assert multipart_request(body, len(body)).FILES["file"].size == 100_009
