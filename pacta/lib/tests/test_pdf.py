"""The PDF writer: a document that parses back, Unicode text in an embedded font, tables over pages.

The text itself is read back with poppler's `pdftotext` where the machine has
it (Debian's poppler-utils); the structure is checked on every machine.
"""

import re
import shutil
import subprocess
import warnings

import pytest

from pacta.lib.pdf import Bullets, Heading, Paragraph, Spacer, Table, render_pdf

UNICODE = "Königlich Essen, Mère Paillarde, Løsning, Wolski Zajazd łódź: 1.234,56 € → kept"
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


def sample(rows: int = 3) -> bytes:
    return render_pdf("Top-customers audit", [
        Heading("QUICK-Stop"),
        Paragraph(UNICODE),
        Bullets(["registered by laura", "executed by andrew"]),
        Spacer(2),
        Table(["Promise", "Money"], [[f"order {n}", f"{n},00 €"] for n in range(rows)], widths=[3, 1],
              align=["L", "R"]),
        Heading("Notes", level=2),
        Paragraph("Nothing else.", muted=True),
    ], subtitle="1997", footer="pacta")


def test_it_writes_a_complete_pdf_document():
    data = sample()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    # startxref points at the cross-reference table: a reader can find every object.
    offset = int(re.search(rb"startxref\s+(\d+)\s+%%EOF", data).group(1))
    assert data[offset:offset + 4] == b"xref"
    assert page_count(data) == 1


def test_it_embeds_the_shipped_font_and_misses_no_glyph():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fpdf2 warns about every character the font lacks
        data = render_pdf("ø ü €", [Paragraph(UNICODE)])
    assert b"SourceSansPro" in data
    assert b"/FontFile2" in data  # the TrueType program itself travels with the document


def test_the_title_is_the_documents_metadata_in_unicode():
    data = render_pdf("Mère Paillarde", [])
    # PDF text strings outside ASCII are UTF-16BE with a byte-order mark, written in hex.
    expected = ("\ufeff" + "Mère Paillarde").encode("utf-16-be").hex().encode()
    assert expected in data.lower()


def test_a_long_table_runs_over_several_pages():
    assert page_count(sample(rows=3)) == 1
    assert page_count(sample(rows=150)) >= 3


def test_an_unknown_block_is_refused():
    with pytest.raises(TypeError):
        render_pdf("x", ["just a string"])


@needs_pdftotext
def test_the_text_reads_back_with_its_accents_and_euro_sign(tmp_path):
    text = pdftotext(sample(), tmp_path)
    for expected in ("Top-customers audit", "QUICK-Stop", "Königlich Essen", "Mère Paillarde", "Løsning",
                     "łódź", "1.234,56 €", "→ kept", "registered by laura", "order 2", "2,00 €", "Nothing else."):
        assert expected in text


@needs_pdftotext
def test_the_table_header_is_repeated_on_every_page_and_pages_are_numbered(tmp_path):
    data = sample(rows=150)
    pages = pdftotext(data, tmp_path).split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == page_count(data)
    for number, page in enumerate(pages, start=1):
        assert re.search(r"Promise\s+Money", page)
        assert f"Page {number} of {len(pages)}" in page
