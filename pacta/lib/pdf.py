"""A small PDF writer for reports people hand on: headings, paragraphs, lists, tables.

    from pacta.lib.pdf import Heading, Paragraph, Bullets, Table, render_pdf
    data = render_pdf("Top-customers audit", [
        Heading("QUICK-Stop"),
        Paragraph("Three special agreements, one deviation."),
        Table(["Promise", "Status"], [["On time", "kept"], ["Rebate", "broken"]]),
    ])

The text is set in Source Sans Pro (SIL Open Font License), a TrueType font
shipped by the PyPI package `font-source-sans-pro`, so every machine that
installs pacta's requirements has it: Unicode text (ø, ü, €, ł, →) needs no
system font. fpdf2 embeds only the glyphs used.

This module knows nothing of pacta's domain. It translates only its own
footer ("page 1 of 2"), in the active language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import font_source_sans_pro
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace

FONT_DIR = Path(font_source_sans_pro.font_directory)
FAMILY = "SourceSans"
FONT_FILES = {"": "SourceSansPro-Regular.ttf", "B": "SourceSansPro-Bold.ttf", "I": "SourceSansPro-It.ttf",
              "BI": "SourceSansPro-BoldIt.ttf"}

BODY_SIZE = 10
TABLE_SIZE = 9
HEADING_SIZES = {1: 15, 2: 12.5, 3: 11}
MUTED = (90, 90, 90)
HEADER_FILL = (225, 230, 238)
STRIPE_FILL = (246, 247, 250)


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is the largest (the document's title is above level 1)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text; `muted` sets it in grey (notes, explanations)."""

    text: str
    bold: bool = False
    muted: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short items, one bullet each."""

    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    """A table with a header row repeated on every page it runs over.

    `widths` are relative column widths (default: equal); `align` gives each
    column "L", "R" or "C" (default: left; put numbers right).
    """

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float] | None = None
    align: Sequence[str] | None = None


@dataclass(frozen=True)
class Spacer:
    """Vertical space, in millimetres."""

    height: float = 4


Block = Heading | Paragraph | Bullets | Table | Spacer


class _Document(FPDF):
    """FPDF with pacta's font, a running title in the header and page numbers in the footer."""

    def __init__(self, *, title_text: str, subtitle: str = "", footer_note: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.title_text, self.subtitle, self.footer_note = title_text, subtitle, footer_note
        for style, name in FONT_FILES.items():
            self.add_font(FAMILY, style=style, fname=str(FONT_DIR / name))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()
        self.set_font(FAMILY, size=BODY_SIZE)

    def header(self):
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.title_text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_text_color(0, 0, 0)

    def footer(self):
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        # {nb} is fpdf2's alias for the page count, filled in when the document closes.
        pages = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        if self.footer_note:
            self.cell(0, 5, self.footer_note, align="L")
            self.set_x(self.l_margin)
        self.cell(0, 5, pages, align="R")
        self.set_text_color(0, 0, 0)


def _text_width(doc: _Document) -> float:
    return doc.w - doc.l_margin - doc.r_margin


def _title(doc: _Document) -> None:
    doc.set_font(FAMILY, style="B", size=18)
    doc.multi_cell(0, 8, doc.title_text, new_x="LMARGIN", new_y="NEXT")
    if doc.subtitle:
        doc.set_font(FAMILY, size=BODY_SIZE)
        doc.set_text_color(*MUTED)
        doc.multi_cell(0, 5, doc.subtitle, new_x="LMARGIN", new_y="NEXT")
        doc.set_text_color(0, 0, 0)
    doc.ln(3)


def _heading(doc: _Document, block: Heading) -> None:
    size = HEADING_SIZES.get(block.level, HEADING_SIZES[3])
    # Keep a heading with at least a few lines of what follows it.
    if doc.will_page_break(size * 0.5 + 20):
        doc.add_page()
    doc.ln(2)
    doc.set_font(FAMILY, style="B", size=size)
    doc.multi_cell(0, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
    doc.ln(1)


def _paragraph(doc: _Document, block: Paragraph) -> None:
    doc.set_font(FAMILY, style="B" if block.bold else "", size=BODY_SIZE)
    if block.muted:
        doc.set_text_color(*MUTED)
    doc.multi_cell(0, 5, block.text, new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color(0, 0, 0)
    doc.ln(1.5)


def _bullets(doc: _Document, block: Bullets) -> None:
    doc.set_font(FAMILY, size=BODY_SIZE)
    indent = 5
    for item in block.items:
        doc.set_x(doc.l_margin)
        doc.cell(indent, 5, "•")
        doc.multi_cell(_text_width(doc) - indent, 5, item, new_x="LMARGIN", new_y="NEXT")
    doc.ln(1.5)


def _table(doc: _Document, block: Table) -> None:
    columns = len(block.header)
    widths = tuple(block.widths) if block.widths else (1,) * columns
    align = tuple(block.align) if block.align else ("L",) * columns
    doc.set_font(FAMILY, size=TABLE_SIZE)
    with doc.table(
        col_widths=widths,
        text_align=align,
        line_height=4.6,
        padding=(1, 1.5),
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
        cell_fill_color=STRIPE_FILL,
        cell_fill_mode=TableCellFillMode.ROWS,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
        repeat_headings=1,
    ) as table:
        for row in [block.header, *block.rows]:
            cells = table.row()
            for value in list(row)[:columns] + [""] * (columns - len(row)):
                cells.cell(str(value))
    doc.ln(3)


_RENDERERS = {Heading: _heading, Paragraph: _paragraph, Bullets: _bullets, Table: _table}


def render_pdf(title: str, blocks: Iterable[Block], *, subtitle: str = "", footer: str = "",
               author: str = "", created: dt.datetime | None = None) -> bytes:
    """The blocks as an A4 PDF document, titled `title` (also its metadata title).

    `subtitle` is printed under the title (e.g. the period and "as of"),
    `footer` at the bottom left of every page, beside the page number.
    `created` fixes the document's creation date (for reproducible files).
    """
    doc = _Document(title_text=title, subtitle=subtitle, footer_note=footer)
    doc.set_title(title)
    doc.set_creator("pacta")
    if author:
        doc.set_author(author)
    if created is not None:
        doc.set_creation_date(created)
    doc.add_page()
    _title(doc)
    for block in blocks:
        if isinstance(block, Spacer):
            doc.ln(block.height)
            continue
        renderer = _RENDERERS.get(type(block))
        if renderer is None:
            raise TypeError(f"not a PDF block: {block!r}")
        renderer(doc, block)
    return bytes(doc.output())


__all__ = ["Block", "Bullets", "Heading", "Paragraph", "Spacer", "Table", "render_pdf"]
