"""Real files of every kind an attachment may be, made on the spot, and the bad ones beside them."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
from fpdf import FPDF
from PIL import Image


def pdf(text: str = "Amendment 2, signed") -> bytes:
    doc = FPDF()
    doc.set_creation_date(dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.timezone.utc))  # the same bytes every time
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text=text)
    return bytes(doc.output())


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def eml() -> bytes:
    return (b"From: Maria Anders <maria@alfki.example>\r\nTo: olav@example.com\r\n"
            b"Subject: Re: delivery window\r\nDate: Mon, 10 Mar 2025 09:00:00 +0100\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Agreed: deliveries between 8 and 12.\r\n")


def _zip(members: dict[str, bytes | str], first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if first is not None:
            archive.writestr(first, members[first], compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != first:
                archive.writestr(name, data)
    return out.getvalue()


CONTENT_TYPES = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def docx(**extra: bytes) -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": "<Relationships/>",
                 "word/document.xml": "<w:document/>", **extra})


def xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "kind", "party"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def odt(mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    return _zip({"mimetype": mimetype, "content.xml": "<office:document-content/>",
                 "META-INF/manifest.xml": "<manifest:manifest/>"}, first="mimetype")


def plain_zip() -> bytes:
    return _zip({"notes.txt": "nothing of Word here"})


def cut(data: bytes, keep: float = 0.6) -> bytes:
    """The first part of `data`: a file whose upload broke off."""
    return data[: int(len(data) * keep)]


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


class ResentFile(io.BytesIO):
    """A file to post with Django's test client that sends its whole content each time it is posted
    (the client reads a file without rewinding it: a second request would send nothing)."""

    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name = name

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            self.seek(0)
        return super().read(size)
