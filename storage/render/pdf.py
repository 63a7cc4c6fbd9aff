"""The referral as a PDF laid out like the KE's paper referral form, for the case archive.

DejaVu Sans is embedded (subset) so Norwegian and Sami letters print; the built-in PDF fonts
only know Latin-1 and would drop á, č, đ, ŋ, š, ŧ and ž.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container
from importlib import resources
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.util import Padding

from storage.render.document import Checks, Document, Field, Item, Note, Section, Table

FONT = "DejaVu"
GREY = (235, 235, 235)
LABEL_GREY = (246, 246, 246)
DARK = (60, 60, 60)
RED = (170, 0, 0)
WHITE = (255, 255, 255)
MISSING = "\u25a1"  # a white square where the font has no glyph
LINE = 5.0  # mm per text line at body size
TALL_MM = 120.0  # answers taller than this flow across pages instead of sitting in a table row


class _FormPDF(FPDF):
    def __init__(self, doc: Document, page_label: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.page_label = page_label  # e.g. "Side {page} av {pages}"
        fonts = resources.files("storage.render").joinpath("fonts")
        with resources.as_file(fonts / "DejaVuSans.ttf") as regular_file:
            self.add_font(FONT, "", str(regular_file))
        with resources.as_file(fonts / "DejaVuSans-Bold.ttf") as bold_file:
            self.add_font(FONT, "B", str(bold_file))
        # The bold face covers less than the regular one; only what both draw is printable.
        regular: Any = self.fonts["dejavu"]
        bold: Any = self.fonts["dejavuB"]
        self.glyphs: frozenset[int] = frozenset(regular.cmap) & frozenset(bold.cmap)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def header(self) -> None:
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*DARK)
        self.cell(self.epw / 2, 4, self.doc.reference or "", new_x=XPos.RIGHT)
        self.cell(self.epw / 2, 4, self.doc.confidential, align=Align.R)
        self.ln(7)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*DARK)
        text = self.page_label.format(page=self.page_no(), pages="{nb}")
        self.cell(0, 4, text, align=Align.C)
        self.set_text_color(0, 0, 0)


def printable(value: Any, glyphs: Container[int]) -> Any:
    """`value` (a document, section, item, tuple or str) with every character the font cannot
    draw replaced by a visible box: fpdf2 would drop it silently, and log the character."""
    if isinstance(value, str):
        return "".join(c if ord(c) in glyphs or c in "\n\t" else MISSING for c in value)
    if isinstance(value, tuple):
        return tuple(printable(v, glyphs) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: printable(getattr(value, f.name), glyphs) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def render_pdf(doc: Document, *, page_label: str, compress: bool = True) -> bytes:
    """PDF bytes; `compress=False` leaves content streams readable for tests and debugging."""
    pdf = _FormPDF(doc, page_label)
    doc = printable(doc, pdf.glyphs)
    pdf.doc = doc
    pdf.set_compression(compress)
    # Document metadata must not carry personal data: the reference is enough to find the case.
    pdf.set_title(doc.title)
    if doc.reference:
        pdf.set_subject(doc.reference)
    pdf.set_creator("ke-intake")
    pdf.add_page()
    _title(pdf, doc)
    for warning in doc.warnings:
        _warning(pdf, warning)
    if doc.case is not None:
        _section(pdf, doc.case)
    for section in doc.sections:
        _section(pdf, section)
    if doc.footer:
        pdf.ln(3)
        pdf.set_font(FONT, "", 8.5)
        pdf.set_draw_color(*DARK)
        pdf.multi_cell(0, 4.5, doc.footer, border=1, padding=2, align=Align.L)
    out: Any = pdf.output()
    return bytes(out)


def _title(pdf: FPDF, doc: Document) -> None:
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 7, doc.title, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, doc.recipient_line, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _warning(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*RED)
    pdf.set_draw_color(*RED)
    pdf.multi_cell(
        0, LINE, text, border=1, padding=2, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(3)


def _section(pdf: FPDF, section: Section) -> None:
    # Keep a heading with at least a couple of lines of its content.
    if pdf.will_page_break(LINE * 4):
        pdf.add_page()
    pdf.set_font(FONT, "B", 10.5)
    pdf.set_fill_color(*GREY)
    pdf.cell(0, 7, section.title, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    fields: list[Field] = []
    for item in section.items:
        if isinstance(item, Field):
            fields.append(item)
            continue
        _fields(pdf, fields)
        fields = []
        _item(pdf, item)
    _fields(pdf, fields)
    pdf.ln(3)


def _fields(pdf: FPDF, fields: list[Field]) -> None:
    """Label/answer rows as a two-column form table. An answer too tall for one table row
    (a table row cannot cross a page) flows under its label across pages instead."""
    batch: list[Field] = []
    for f in fields:
        if _too_tall(pdf, f.value):
            _table(pdf, batch)
            batch = []
            _flowing(pdf, f)
        else:
            batch.append(f)
    _table(pdf, batch)


def _too_tall(pdf: FPDF, value: str) -> bool:
    pdf.set_font(FONT, "", 9)
    height: Any = pdf.multi_cell(pdf.epw * 0.66, LINE, value, dry_run=True, output="HEIGHT")
    return float(height) > TALL_MM


def _table(pdf: FPDF, fields: list[Field]) -> None:
    if not fields:
        return
    pdf.set_font(FONT, "", 9)
    label_style = FontFace(family=FONT, size_pt=8, color=DARK, fill_color=LABEL_GREY)
    # Without an explicit white, fpdf2 carries the label fill over into the answer cell.
    value_style = FontFace(family=FONT, size_pt=9, color=(0, 0, 0), fill_color=WHITE)
    pdf.set_draw_color(170, 170, 170)
    with pdf.table(
        col_widths=(34, 66),
        first_row_as_headings=False,
        text_align=(Align.L, Align.L),
        line_height=LINE,
        padding=(1, 1.5),
        v_align="TOP",
        borders_layout=TableBordersLayout.ALL,
    ) as table:
        for f in fields:
            row = table.row()
            row.cell(f.label, style=label_style)
            row.cell(f.value, style=value_style)
    pdf.set_draw_color(0, 0, 0)


def _flowing(pdf: FPDF, field: Field) -> None:
    pdf.set_draw_color(170, 170, 170)
    pdf.set_fill_color(*LABEL_GREY)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*DARK)
    pdf.multi_cell(
        0,
        LINE,
        field.label,
        border=1,
        fill=True,
        align=Align.L,
        padding=Padding(1, 1.5, 1, 1.5),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(
        0,
        LINE,
        field.value,
        border="LRB",
        align=Align.L,
        padding=Padding(1, 1.5, 1, 1.5),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(0, 0, 0)


def _item(pdf: FPDF, item: Item) -> None:
    if isinstance(item, Checks):
        pdf.set_font(FONT, "", 10)
        boxes = "     ".join(f"{'☒' if on else '☐'} {label}" for label, on in item.options)
        pdf.multi_cell(0, 6, boxes, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    elif isinstance(item, Table):
        pdf.set_font(FONT, "", 8.5)
        heading = FontFace(family=FONT, emphasis="B", size_pt=8, fill_color=LABEL_GREY)
        pdf.set_draw_color(170, 170, 170)
        with pdf.table(
            headings_style=heading,
            text_align="LEFT",
            line_height=4.5,
            padding=(1, 1.5),
            v_align="TOP",
        ) as table:
            table.row(item.headers)
            body = FontFace(family=FONT, size_pt=8.5, color=(0, 0, 0), fill_color=WHITE)
            for values in item.rows:
                table.row(values, style=body)
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(1)
    elif isinstance(item, Note):
        pdf.set_font(FONT, "B" if item.warning else "", 8)
        pdf.set_text_color(*(RED if item.warning else DARK))
        pdf.multi_cell(0, 4, item.text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
