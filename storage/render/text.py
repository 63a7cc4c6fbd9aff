"""The referral as plain text for a terminal: the form's sections, labels aligned, long answers
wrapped under their label."""

from __future__ import annotations

import textwrap

from storage.render.document import DASH, Checks, Document, Field, Item, Section, Table

LABEL_MAX = 32
INDENT = "  "
NBSP = "\u00a0"
GLUE_MAX = 40


def _glue(cell: str) -> str:
    return cell.replace(" ", NBSP) if len(cell) <= GLUE_MAX else cell


def render_text(doc: Document, *, width: int = 100) -> str:
    lines: list[str] = [doc.title.upper(), doc.recipient_line, doc.confidential]
    for warning in doc.warnings:
        lines += ["", f"!! {warning}"]
    if doc.case is not None:
        lines += _section(doc.case, width)
    for section in doc.sections:
        lines += _section(section, width)
    if doc.footer:
        lines += ["", *textwrap.wrap(doc.footer, width)]
    return "\n".join(lines) + "\n"


def _section(section: Section, width: int) -> list[str]:
    lines = ["", f"== {section.title} =="]
    fitting = [len(i.label) for i in section.items if isinstance(i, Field)]
    label_width = max((n for n in fitting if n <= LABEL_MAX), default=0)
    for item in section.items:
        lines += _item(item, label_width, width)
    return lines


def _item(item: Item, label_width: int, width: int) -> list[str]:
    if isinstance(item, Field):
        return _field(item, label_width, width)
    if isinstance(item, Checks):
        boxes = "   ".join(f"[{'x' if on else ' '}] {label}" for label, on in item.options)
        return [INDENT + boxes]
    if isinstance(item, Table):
        out: list[str] = []
        for row in item.rows:
            # Short cells (a phone number, a name) are kept on one line: no-break spaces while
            # wrapping, ordinary ones in the output.
            pairs = zip(item.headers, row, strict=True)
            cells = [_glue(f"{h}: {v}") for h, v in pairs if v != DASH]
            wrapped = textwrap.wrap(
                " · ".join(cells),
                width,
                initial_indent=INDENT + "- ",
                subsequent_indent=INDENT + "  ",
            )
            out += [line.replace(NBSP, " ") for line in wrapped]
        return out
    prefix = "!! " if item.warning else ""
    return textwrap.wrap(prefix + item.text, width, initial_indent=INDENT, subsequent_indent=INDENT)


def _field(item: Field, label_width: int, width: int) -> list[str]:
    if len(item.label) > label_width:
        # A long label (a question, really) gets its own line; the answer goes underneath.
        head = [INDENT + item.label + ":"]
        first_indent = value_indent = INDENT * 2
    else:
        head = []
        value_indent = INDENT + " " * (label_width + 2)
        first_indent = INDENT + f"{item.label + ':':<{label_width + 2}}"
    body: list[str] = []
    for n, paragraph in enumerate(item.value.splitlines() or [""]):
        indent = first_indent if n == 0 else value_indent
        wrapped = textwrap.wrap(
            paragraph, width, initial_indent=indent, subsequent_indent=value_indent
        )
        body += wrapped or [indent.rstrip()]
    return head + body
