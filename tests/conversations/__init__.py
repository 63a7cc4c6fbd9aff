"""Scripted people as data: each JSON file answers questions by field id only.

A script knows nothing about the order of questions: the driver looks up the step it is asked
(`guardians[1].name`, `summary`, ...) and answers from the table; an optional question that is
not in the table is skipped, and "add another?" is answered no. Placeholders: `{fnr:45}` a
synthetic fødselsnummer of a 45-year-old, `{dnr:30}` a synthetic D-nummer, `{upload}` the
power-of-attorney document. A list answers a question asked more than once in turn ("bergn",
then "ja" to "Mente du Bergen?"). People answer in their own words: an optional question the
script does not know is declined with a plain "nei" / "no".
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
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
    answers: dict[str, str | list[str]]
    expect: dict[str, Any]
    asked: dict[str, int] = field(default_factory=dict)  # how often each step was answered


def load(name: str, today: dt.date) -> Script:
    data = json.loads((HERE / f"{name}.json").read_text("utf-8"))
    answers = {
        k: [_fill(x, today) for x in v] if isinstance(v, list) else _fill(v, today)
        for k, v in data["answers"].items()
    }
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
        given = script.answers[step]
        if isinstance(given, str):
            return given
        attempt = script.asked.get(step, 0)
        script.asked[step] = attempt + 1
        return given[min(attempt, len(given) - 1)]
    if step.endswith(".more") or optional:
        return "nei" if script.language != "en" else "no"
    return None


def dig(data: Any, path: str) -> Any:
    """`guardians.1.name` in the referral's JSON."""
    node = data
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def expects_retry(script: Script, step: str) -> bool:
    """The script answers `step` again (a list with answers left): a refusal is expected."""
    given = script.answers.get(step)
    return isinstance(given, list) and script.asked.get(step, 0) < len(given)
