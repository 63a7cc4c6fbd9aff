"""Bar charts as SVG (pygal), for the overview page; no script, no external reference.

A chart is an `<img>` with a text alternative on the page, and the same figures are in a table
beside it: the chart is a convenience for sighted readers, the table is the record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pygal
from pygal.style import Style

SVG_NS = "http://www.w3.org/2000/svg"
# Dark bars on white, text at full contrast (WCAG 1.4.3 / 1.4.11).
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    colors=("#1f4e79",),
    font_family="DejaVu Sans, Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    title_font_size=16,
    value_font_size=13,
)


def bar_chart(title: str, rows: Sequence[tuple[str, float]], *, horizontal: bool = False) -> bytes:
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    top = max((math.ceil(v) for _, v in rows), default=0)
    step = max(1, math.ceil(top / 5))
    chart = kind(
        style=STYLE,
        js=[],  # pygal's tooltips would load a script from its own site
        show_legend=False,
        width=720,
        height=320 if not horizontal else max(160, 48 * len(rows) + 80),
        title=title,
        print_values=True,
        print_values_position="top",
        x_label_rotation=0 if len(rows) <= 8 else 35,
        y_labels=list(range(0, top + step, step)),  # whole counts on the value axis
        truncate_label=-1,
        truncate_legend=-1,
        no_data_text="–",
    )
    chart.x_labels = [label for label, _ in rows]
    chart.add(title, [value for _, value in rows])
    return _without_scripts(chart.render())


def _without_scripts(svg: bytes) -> bytes:
    """pygal writes its configuration as an inline script even without its tooltips; an image
    never runs it and our policy blocks it, but the chart is cleaner without it."""
    from xml.etree import ElementTree as ET

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg)  # noqa: S314 - our own pygal output, not outside input
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}script":
                parent.remove(child)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out
