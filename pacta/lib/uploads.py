"""Checks of uploaded files, shared by every upload (attachments, import files).

Nothing here knows pacta's domain. What it gives:

- `display_name(name)`: a file name as the uploader's browser sent it, made
  safe to show and to offer as a download name: no folders (`../../etc/passwd`
  is `passwd`, `C:\\x\\y.pdf` is `y.pdf`), no control or direction-override
  characters, no leading dots, bounded in length. It is never a path: files
  are stored under names the server chooses.
- `check_attachment(file, name)`: the file is one of `ATTACHMENT_KINDS`, by its
  content and by its extension alike (a PDF named `.pdf`); programs, web pages
  and SVG images (script risk) are refused whatever they are called; a file
  that was cut short (a PDF without `%%EOF`, a ZIP without its directory, a PNG
  without its end chunk) is refused. Returns the `FileKind`.
- `check_import_file(file, name)`: an import file is what its extension says:
  CSV and YAML are text, XLSX is a complete ZIP workbook.
- `UploadGuard`: the first of Django's upload handlers. It notes on the request
  a file that did not arrive whole (the connection broke off: Django then drops
  the file silently) or that grew past the largest upload pacta takes (the rest
  is discarded, not written to disk); `upload_problem()` says so in words, so
  that a form or the API can tell the user instead of "this field is required".

Every refusal is an `UploadRefused` whose message names the file and says what
is wrong and what to do.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NAME_LENGTH = 200
HEAD = 4096  # bytes read to tell what a file is
TAIL = 2048  # bytes read at the end to tell whether it is complete
# A ZIP-based document (DOCX, XLSX, ODT) may unpack to at most this much: more is
# a "zip bomb", not a document.
MAX_UNPACKED = 512 * 1024 * 1024
PROBLEMS = "pacta_upload_problems"  # the request attribute UploadGuard writes


class UploadRefused(ValueError):
    """An upload that is not taken; the message is for the user."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


# ---------------------------------------------------------------------------
# names


_SEPARATORS = re.compile(r"[/\\]")


def display_name(name: str | None, *, default: str = "file", max_length: int = NAME_LENGTH) -> str:
    """The last part of `name` with every character that could mislead or harm removed.

    Backslashes count as folder separators too (Windows browsers send whole
    paths); control, format (e.g. the right-to-left override that makes
    `invoice\u202efdp.exe` read as `invoice.exe.pdf`) and private-use characters
    go; leading dots and spaces go (no `..`, no hidden files); an empty result
    becomes `default`. The name is cut to `max_length` characters, keeping its
    extension.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = _SEPARATORS.split(text)[-1]
    text = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text
                   if not unicodedata.category(c).startswith(("C", "Zl", "Zp")))
    text = text.strip().lstrip(". ").rstrip(" ")
    if not text or set(text) <= {"."}:
        return default
    if len(text) > max_length:
        suffix = PurePosixPath(text).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        text = text[: max_length - len(suffix)].rstrip(". ") + suffix
    return text


def suffix_of(name: str) -> str:
    """The extension of a (display) name, lower case, with its dot: `.pdf`; empty if none."""
    return PurePosixPath(display_name(name)).suffix.lower()


# ---------------------------------------------------------------------------
# what a file is


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str | Promise
    content_type: str
    suffixes: tuple[str, ...]

    def __str__(self) -> str:
        return str(self.label)


PDF = FileKind("pdf", "PDF", "application/pdf", (".pdf",))
PNG = FileKind("png", "PNG", "image/png", (".png",))
JPEG = FileKind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg"))
TEXT = FileKind("text", gettext_lazy("plain text"), "text/plain", (".txt",))
EML = FileKind("eml", gettext_lazy("e-mail (.eml)"), "message/rfc822", (".eml",))
DOCX = FileKind("docx", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = FileKind("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
ODT = FileKind("odt", "ODT", "application/vnd.oasis.opendocument.text", (".odt",))

ATTACHMENT_KINDS = (PDF, PNG, JPEG, TEXT, EML, DOCX, XLSX, ODT)
ATTACHMENT_SUFFIXES = tuple(s for k in ATTACHMENT_KINDS for s in k.suffixes)
# The content types a download may carry; anything else is sent as application/octet-stream.
SAFE_CONTENT_TYPES = frozenset(k.content_type for k in ATTACHMENT_KINDS)
OCTET_STREAM = "application/octet-stream"

_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "archive"),
    (b"Rar!", "archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # old Word/Excel files, MSI installers
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"\xfe\xed\xfa\xce", "executable"),
    (b"\xfe\xed\xfa\xcf", "executable"),
    (b"\xce\xfa\xed\xfe", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"\xca\xfe\xba\xbe", "executable"),
    (b"\x00asm", "executable"),
    (b"#!", "executable"),
)
# Markup a browser would render as a page (WHATWG MIME sniffing's list, shortened).
_HTML_START = re.compile(
    rb"<(!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p|!--)[\s>/]",
    re.IGNORECASE,
)
_SCRIPTY = re.compile(rb"<(svg|html|script|iframe|object|embed)[\s>/]", re.IGNORECASE)
_DANGEROUS = {
    "executable": gettext_lazy("a program or script"),
    "html": gettext_lazy("a web page (HTML)"),
    "svg": gettext_lazy("an SVG image"),
}
_DESCRIPTIONS = {
    "pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "gif": "GIF", "zip": gettext_lazy("a ZIP archive"),
    "gzip": gettext_lazy("a compressed archive"), "archive": gettext_lazy("a compressed archive"),
    "ole": gettext_lazy("an old Microsoft Office file"), "xml": "XML", "text": gettext_lazy("text"),
    "binary": gettext_lazy("binary data"), **_DANGEROUS,
}


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is: pdf, png, jpeg, gif, zip, gzip, archive, ole,
    executable, html, svg, xml, text or binary (empty bytes: "empty")."""
    if not head:
        return "empty"
    for signature, code in _SIGNATURES:
        if head.startswith(signature):
            return code
    markup = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if markup.startswith(b"<"):
        lowered = markup[:HEAD].lower()
        if b"<svg" in lowered:
            return "svg"
        if _HTML_START.match(markup) or _SCRIPTY.search(lowered):
            return "html"
        if markup.startswith(b"<?xml"):
            return "xml"
    if b"\x00" in head:
        return "binary"
    return "text"


def _read_at(file, offset: int, size: int, *, from_end: bool = False) -> bytes:
    file.seek(0, 2)
    end = file.tell()
    start = max(0, end - size) if from_end else min(offset, end)
    file.seek(start)
    data = file.read(size)
    file.seek(0)
    return data


def _size(file) -> int:
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def _chunks(file, size: int = 1 << 16):
    file.seek(0)
    for block in iter(lambda: file.read(size), b""):
        yield block
    file.seek(0)


def _refuse(name: str, message, code: str, **params) -> UploadRefused:
    return UploadRefused(f"{name}: {str(message) % params}", code)


def _cut_short(name: str, what) -> UploadRefused:
    return _refuse(name, gettext_lazy("the file is incomplete: the %(what)s ends too early, as happens when an "
                                      "upload or download breaks off. Nothing was stored; upload the whole file "
                                      "again."), "incomplete", what=what)


def _not_what_it_says(name: str, kind: FileKind, found: str) -> UploadRefused:
    return _refuse(name, gettext_lazy("the file is named %(suffix)s but its content is not %(kind)s (it is "
                                      "%(found)s). Upload the file itself, with its own extension."), "mismatch",
                   suffix=suffix_of(name), kind=kind, found=_DESCRIPTIONS.get(found, found))


# --- one check per kind: the content is that kind, and complete


def _check_pdf(file, name: str, head: bytes) -> None:
    if sniff(head) != "pdf":
        raise _not_what_it_says(name, PDF, sniff(head))
    if b"%%EOF" not in _read_at(file, 0, TAIL, from_end=True):
        raise _cut_short(name, "PDF")


def _check_png(file, name: str, head: bytes) -> None:
    if sniff(head) != "png":
        raise _not_what_it_says(name, PNG, sniff(head))
    if not _read_at(file, 0, 12, from_end=True).endswith(b"IEND\xaeB`\x82"):
        raise _cut_short(name, "PNG")


def _check_jpeg(file, name: str, head: bytes) -> None:
    if sniff(head) != "jpeg":
        raise _not_what_it_says(name, JPEG, sniff(head))
    if not _read_at(file, 0, TAIL, from_end=True).rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        raise _cut_short(name, "JPEG")


_TEXT_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _is_text(file) -> bool:
    """The file reads as text: UTF-8, or an 8-bit code page, with no control characters but
    tab, line feed, form feed, carriage return and escape."""
    return not any(_TEXT_CONTROLS.search(block) for block in _chunks(file))


def _is_utf8(file) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in _chunks(file):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        file.seek(0)
        return False
    return True


def _check_text(file, name: str, head: bytes, kind: FileKind = TEXT) -> None:
    found = sniff(head)
    if found not in ("text", "xml"):
        raise _not_what_it_says(name, kind, found)
    if not _is_text(file):
        raise _not_what_it_says(name, kind, "binary")


_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+:)")
_MAIL_HEADERS = re.compile(rb"^(from|to|subject|date|message-id|received|return-path|mime-version):",
                           re.IGNORECASE | re.MULTILINE)


def _check_eml(file, name: str, head: bytes) -> None:
    _check_text(file, name, head, EML)
    block = _read_at(file, 0, 64 * 1024).replace(b"\r\n", b"\n").lstrip(b"\n")
    headers = block.split(b"\n\n", 1)[0]
    if not _HEADER_LINE.match(headers) or not _MAIL_HEADERS.search(headers):
        raise _refuse(name, gettext_lazy("the file is named .eml but is not an e-mail: it does not start with "
                                         "mail headers such as From:, To:, Subject: and Date:. Save the message "
                                         "from the mail program (\"Save as\")."), "mismatch")


def _zip_checker(kind: FileKind, required: tuple[str, ...], mimetype: str | None = None):
    def check(file, name: str, head: bytes) -> None:
        found = sniff(head)
        if found != "zip":
            raise _not_what_it_says(name, kind, found)
        members = open_zip(file, name, kind)
        if any(m not in members for m in required):
            raise _refuse(name, gettext_lazy("the file is a ZIP archive but not a %(kind)s document (it lacks "
                                             "%(member)s)."), "mismatch", kind=kind,
                          member=next(m for m in required if m not in members))
        if mimetype is not None:
            with zipfile.ZipFile(file) as archive:
                declared = archive.read("mimetype").strip()
            file.seek(0)
            if declared != mimetype.encode():
                raise _refuse(name, gettext_lazy("the file is a ZIP archive but not a %(kind)s document (it "
                                                 "declares itself %(declared)s)."), "mismatch", kind=kind,
                              declared=declared.decode("ascii", "replace")[:80])
        if any(m.lower().endswith("vbaproject.bin") for m in members):
            raise _refuse(name, gettext_lazy("the document contains macros (program code); save it without "
                                             "macros."), "dangerous")
    return check


def open_zip(file, name: str, kind) -> set[str]:
    """The member names of a complete, undamaged ZIP archive of reasonable unpacked size."""
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            unpacked = sum(i.file_size for i in infos)
            damaged = archive.testzip() if unpacked <= MAX_UNPACKED else None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError):
        raise _cut_short(name, kind) from None
    finally:
        file.seek(0)
    if unpacked > MAX_UNPACKED:
        raise _refuse(name, gettext_lazy("the archive unpacks to more than %(limit)s; it is not taken."),
                      "too_large", limit=filesizeformat(MAX_UNPACKED))
    if damaged is not None:
        raise _refuse(name, gettext_lazy("the file is damaged (%(member)s does not match its checksum). Upload "
                                         "the whole file again."), "incomplete", member=damaged)
    return {i.filename for i in infos}


_CHECKS = {
    "pdf": _check_pdf,
    "png": _check_png,
    "jpeg": _check_jpeg,
    "text": _check_text,
    "eml": _check_eml,
    "docx": _zip_checker(DOCX, ("[Content_Types].xml", "word/document.xml")),
    "xlsx": _zip_checker(XLSX, ("[Content_Types].xml", "xl/workbook.xml")),
    "odt": _zip_checker(ODT, ("mimetype", "content.xml"), mimetype=ODT.content_type),
}


def kind_for(name: str) -> FileKind | None:
    suffix = suffix_of(name)
    return next((k for k in ATTACHMENT_KINDS if suffix in k.suffixes), None)


def accepted_kinds() -> str:
    """The kinds an attachment may be, for messages and help texts: "PDF, PNG, JPEG, …"."""
    return ", ".join(str(k) for k in ATTACHMENT_KINDS)


def check_attachment(file, name: str) -> FileKind:
    """The kind of the uploaded `file` (a binary file object), or UploadRefused.

    `name` is the uploader's file name (its extension must match the content).
    """
    shown = display_name(name)
    head = _read_at(file, 0, HEAD)
    found = sniff(head)
    if found == "empty":
        raise _refuse(shown, gettext_lazy("the file is empty."), "empty")
    if found in _DANGEROUS:
        raise _refuse(shown, gettext_lazy("the file is %(what)s, which could run code on your computer or in "
                                          "the browser; it is not taken. Accepted: %(kinds)s."), "dangerous",
                      what=_DANGEROUS[found], kinds=accepted_kinds())
    kind = kind_for(shown)
    if kind is None:
        suffix = suffix_of(shown)
        raise _refuse(shown, gettext_lazy("files of type %(suffix)s are not taken. Accepted: %(kinds)s."),
                      "type", suffix=suffix or _("(no extension)"), kinds=accepted_kinds())
    _CHECKS[kind.code](file, shown, head)
    return kind


def content_type_for(kind: FileKind, file=None) -> str:
    """The content type stored for a file of `kind` (UTF-8 text says its charset)."""
    if kind is TEXT and file is not None and _is_utf8(file):
        return "text/plain; charset=utf-8"
    return kind.content_type


def safe_content_type(stored: str) -> str:
    """The content type a download may be sent with: the stored one if it is on the allow-list."""
    base = (stored or "").split(";")[0].strip().lower()
    return stored if base in SAFE_CONTENT_TYPES else OCTET_STREAM


def download_response(file, name: str, content_type: str) -> FileResponse:
    """A stored file as a download: never shown in the browser, never sniffed into something else.

    `Content-Disposition: attachment` with the name in UTF-8 (`filename*`) and
    a plain ASCII fallback; the content type only if it is on the allow-list;
    `X-Content-Type-Options: nosniff`; a sandboxing Content-Security-Policy in
    case a browser renders it anyway."""
    shown = display_name(name)
    fallback = shown.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response = FileResponse(file, content_type=safe_content_type(content_type))
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(shown, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


# ---------------------------------------------------------------------------
# import files


CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
YAML_SUFFIXES = (".yaml", ".yml")
_WIDE_ENCODINGS = ("utf-16", "utf16", "utf-32", "utf32")


def check_import_file(file, name: str, *, encoding: str | None = None) -> None:
    """An event file (CSV or XLSX) or an agreement file (YAML) is what its extension says, and
    whole; else UploadRefused. Its rows are checked by the importer, with their lines."""
    shown = display_name(name)
    suffix = suffix_of(shown)
    head = _read_at(file, 0, HEAD)
    found = sniff(head)
    if found == "empty":
        raise _refuse(shown, gettext_lazy("the file is empty."), "empty")
    if suffix in XLSX_SUFFIXES:
        if found != "zip":
            raise _not_what_it_says(shown, XLSX, found)
        members = open_zip(file, shown, XLSX)
        if "xl/workbook.xml" not in members:
            raise _refuse(shown, gettext_lazy("the file is a ZIP archive but not an Excel workbook."), "mismatch")
        return
    wide = (encoding or "").lower().replace("_", "-").startswith(_WIDE_ENCODINGS)
    if suffix not in CSV_SUFFIXES + YAML_SUFFIXES or wide:
        return  # UTF-16 text has NUL bytes; the importer decodes it and says where it fails
    if found == "zip" and suffix in CSV_SUFFIXES:
        raise _refuse(shown, gettext_lazy("the file is named %(suffix)s but is a ZIP archive, such as an Excel "
                                          "workbook: name it .xlsx, or save it as CSV."), "mismatch", suffix=suffix)
    if found not in ("text", "xml", "html") or any(b"\x00" in block for block in _chunks(file)):
        what = gettext_lazy("a CSV file") if suffix in CSV_SUFFIXES else gettext_lazy("a YAML file")
        raise _refuse(shown, gettext_lazy("the file is named %(suffix)s but is not text (it is %(found)s); %(what)s "
                                          "is text."), "mismatch", suffix=suffix,
                      found=_DESCRIPTIONS[found if found not in ("text", "xml", "html") else "binary"], what=what)


# ---------------------------------------------------------------------------
# uploads that did not arrive whole


def largest_upload() -> int:
    """The largest file any upload of pacta takes (0: no limit)."""
    limits = [int(getattr(settings, n, 0) or 0) for n in ("PACTA_MAX_UPLOAD_BYTES", "PACTA_MAX_ATTACHMENT_BYTES")]
    return 0 if 0 in limits else max(limits)


class UploadGuard(FileUploadHandler):
    """Notes on the request each file that did not arrive whole, for `upload_problem()`.

    Django drops a file whose part of the request ends early (the client went
    away, a proxy cut the body) without a word; this handler, first in
    `FILE_UPLOAD_HANDLERS`, sees it happen. A file past `largest_upload()` is
    skipped at once (its rest is read and thrown away, never written to disk).
    It passes every byte on to the next handler and stores nothing itself.
    """

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0

    def _note(self, code: str) -> None:
        problems = getattr(self.request, PROBLEMS, None)
        if problems is None:
            problems = {}
            setattr(self.request, PROBLEMS, problems)
        file_name = getattr(self, "file_name", None)
        problems.setdefault(self.field_name, (code, display_name(file_name) if file_name else ""))

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        limit = largest_upload()
        if limit and self.received > limit:
            self._note("too_large")
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None

    def upload_interrupted(self):
        if getattr(self, "field_name", None):
            self._note("incomplete")

    def upload_complete(self):
        stream = getattr(self.request, "_stream", None)
        position, limit = getattr(stream, "_pos", None), getattr(stream, "limit", None)
        if isinstance(position, int) and isinstance(limit, int) and position < limit:
            # The body ended before the length it announced: whatever part it was in is incomplete.
            self.field_name = getattr(self, "field_name", None) or ""
            self._note("incomplete")


def upload_problem(request, field_name: str, limit: int) -> tuple[str, str] | None:
    """(code, message) when the file of `field_name` did not arrive whole, or went past `limit`.

    The codes: "incomplete" (the request was cut short), "too_large"."""
    getattr(request, "FILES", None)  # the body is parsed (and the guard has seen it) before we look
    problems = getattr(request, PROBLEMS, None) or {}
    found = problems.get(field_name) or problems.get("")
    if found is None:
        return None
    code, name = found
    if code == "too_large":
        return code, too_large_message(name, None, limit)
    if not name:
        return code, _("The upload broke off before the file arrived. Nothing was stored; upload it again.")
    return code, _("%(file)s did not arrive whole: the upload broke off before the end of the file. Nothing was "
                   "stored; upload it again.") % {"file": name}


def too_large_message(name: str, size: int | None, limit: int) -> str:
    if size is None:
        return _("%(file)s is larger than %(limit)s, the largest file taken here.") % {
            "file": name, "limit": filesizeformat(limit)}
    return _("%(file)s is %(size)s; the largest file taken here is %(limit)s.") % {
        "file": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
