"""Scripted people as data: each JSON file answers questions by field id only.

A script knows nothing about the order of questions: the driver looks up the step it is asked
(`guardians[1].name`, `summary`, ...) and answers from the table; an optional question that is
not in the table is skipped, and "add another?" is answered no. Placeholders: `{fnr:45}` a
synthetic fødselsnummer of a 45-year-old, `{dnr:30}` a synthetic D-nummer, `{upload}` the
power-of-attorney document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.synthetic import born_years_ago, synthetic_id

HERE = Path(__file__).parent
PEOPLE = ("nn_adult_self", "mother_child", "provider_elderly", "attorney_son", "english_dnumber")
UPLOAD = "{upload}"
# A tiny but real PDF: the attachment a son scans of his power of attorney.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
_ID = re.compile(r"^\{(fnr|dnr):(\d+)\}$")


@dataclass(frozen=True)
class Script:
    name: str
    about: str
    language: str
    preset: str | None
    answers: dict[str, str]
    expect: dict[str, Any]


def load(name: str, today: dt.date) -> Script:
    data = json.loads((HERE / f"{name}.json").read_text("utf-8"))
    answers = {k: _fill(v, today) for k, v in data["answers"].items()}
    return Script(
        name, data["about"], data["language"], data.get("preset"), answers, data["expect"]
    )


def _fill(value: str, today: dt.date) -> str:
    m = _ID.match(value)
    if not m:
        return value
    born = born_years_ago(today, int(m.group(2)))
    return synthetic_id(born, d_number=m.group(1) == "dnr")


def answer_for(script: Script, step: str, optional: bool) -> str | None:
    """The text a person types for `step`, or None when the script has no answer to give."""
    if step == "summary":
        return "send"
    if step in script.answers:
        return script.answers[step]
    if step.endswith(".more"):
        return "nei" if script.language != "en" else "no"
    if optional:
        return "hopp over" if script.language != "en" else "skip"
    return None


def dig(data: Any, path: str) -> Any:
    """`guardians.1.name` in the referral's JSON."""
    node = data
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node
