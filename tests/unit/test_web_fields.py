"""An error is tied to every control it is about (WCAG 3.3.1, 4.1.2): at the upload question a
refused file marks the file field invalid and describes it by the error, and at a multi-select
the group of checkboxes is described by the error as well as the question (the acceptance audit
of issue 12 found the file field without `aria-invalid` and the checkboxes without the error)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.conversations import UPLOAD, answer_for, load
from tests.unit.test_web_app import client, csrf, step


def tag(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(0)


def answer(c: Any, html: str, value: str) -> str:
    data = {"csrf": csrf(html)}
    if f'name="choice" value="{value}"' in html:
        data["choice"] = value
    else:
        data["text"] = value
    return c.post("/turn", data=data).text


def test_a_refused_file_marks_the_file_field_and_a_multi_select_names_its_error() -> None:
    c = client()
    script = load("attorney_son", dt.date.today())
    html = c.get("/").text
    first = c.post(
        "/turn",
        data={"csrf": csrf(html), "first": "1", "lang": "nb", "text": "Tromsø"},
    )
    html = first.text
    checked_multi = False
    for _ in range(120):
        asked = step(html)
        assert asked is not None
        if "choices-multi" in html and not checked_multi:
            checked_multi = True
            wrong = answer(c, html, "et romskip")
            assert 'id="answer-error"' in wrong, "an answer that is not a choice is an error"
            fieldset = tag(wrong, r"<fieldset[^>]*>")
            assert "answer-error" in fieldset, fieldset
            html = wrong
        if asked == "attachments":
            break
        value = answer_for(script, asked, 'data-optional="true"' in html)
        assert value is not None and value != UPLOAD, asked
        html = answer(c, html, value)
    assert checked_multi
    refused = c.post(
        "/turn",
        data={"csrf": csrf(html)},
        files={"file": ("fullmakt.pdf", b"just some text", "application/pdf")},
    ).text
    assert step(refused) == "attachments"
    field = tag(refused, r'<input[^>]*id="file"[^>]*>')
    assert 'aria-invalid="true"' in field, field
    assert "answer-error" in tag(field, r'aria-describedby="[^"]*"')
