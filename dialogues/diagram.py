"""The dialogue as a Mermaid flowchart, generated from `flow.json` so it cannot drift.

`ke-intake diagram` writes it to docs/FLOW.md; a test fails when the file is out of date.
"""

from __future__ import annotations

from dialogues.flow import Step, load
from intake.facts import ADULT_AGE, CHILD_HEARD_FROM, CONSENT_AGE

_SECTIONS = {
    "start": "Start",
    "requests": "What is asked for",
    "submitter": "Who files",
    "person": "The person",
    "guardians": "Parents (repeated, 1-2)",
    "need": "The need",
    "services": "Services today",
    "wishes": "Goals and wishes",
    "consent": "Consent",
}


def _escape(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _node(number: int, step: Step) -> str:
    parts = [f"<b>{step.id}</b>", step.kind + (" (optional)" if step.optional else "")]
    if step.when:
        parts.append("if " + step.when)
    label = _escape("<br/>".join(parts)).replace("#lt;br/#gt;", "<br/>")
    label = label.replace("#lt;b#gt;", "<b>").replace("#lt;/b#gt;", "</b>")
    if step.when:
        return f'  s{number}{{{{"{label}"}}}}'
    return f'  s{number}["{label}"]'


def mermaid() -> str:
    flow = load()
    steps = flow.steps
    lines = ["flowchart TD", '  intro(["start message"])']
    section: str | None = None
    for number, step in enumerate(steps):
        if step.section != section:
            if section is not None:
                lines.append("  end")
            section = step.section
            title = _SECTIONS.get(section, section)
            lines.append(f'  subgraph g{number}["{_escape(title)}"]')
        lines.append("  " + _node(number, step))
    lines.append("  end")
    lines.append('  summary(["summary: every answer, edit any"])')
    lines.append('  filed(["FileReferral: sealed into the KE inbox"])')
    lines.append("  intro --> s0")
    for number in range(len(steps) - 1):
        lines.append(f"  s{number} --> s{number + 1}")
    for number, step in enumerate(steps):
        if step.more:
            first = next(i for i, s in enumerate(steps) if s.group == step.group)
            limit = flow.groups[step.group or ""].max
            lines.append(f'  s{number} -- "yes (at most {limit})" --> s{first}')
    lines.append(f"  s{len(steps) - 1} --> summary")
    lines.append('  summary -- "send" --> filed')
    lines.append('  summary -- "edit N" --> summary')
    return "\n".join(lines) + "\n"


def table() -> str:
    """Every step as a row: the field, its kind, when it is asked, and whether it may be skipped."""
    rows = ["| # | field id | kind | asked when | may skip |", "|---|---|---|---|---|"]
    flow = load()
    for number, step in enumerate(flow.steps, start=1):
        kind: str = step.kind
        if step.choices:
            kind += ": " + ", ".join(
                c.id + (f" (if {c.when})" if c.when else "") for c in step.choices
            )
        group = flow.groups[step.group] if step.group else None
        conditions = [c for c in (group.when if group else None, step.when) if c]
        when = " and ".join(f"`{c}`" for c in conditions) or "always"
        if group is not None:
            when += f" (one per entry, {group.min} to {group.max})"
        rows.append(
            f"| {number} | `{step.id}` | {kind} | {when} | {'yes' if step.optional else 'no'} |"
        )
    return "\n".join(rows) + "\n"


def markdown() -> str:
    return (
        "# The referral dialogue\n\n"
        "Generated from `dialogues/data/flow.json` by `ke-intake diagram`; do not edit by hand.\n"
        "Six-sided boxes are asked only when their condition holds; the engine recomputes the\n"
        "plan after every answer, so going back or editing from the summary follows the same\n"
        "map. Commands (back, help, skip, summary, edit, language, cancel, restart) work at\n"
        "every step.\n\n"
        "```mermaid\n" + mermaid() + "```\n\n"
        "## The steps\n\n"
        "Conditions read the answers by field id and a few derived facts: `role`, `age` (from\n"
        "the national id or birth date, on the Norwegian calendar day of the conversation),\n"
        f"`unborn`, `minor` (under {ADULT_AGE} or unborn), `child` (under the consent age,\n"
        f"default {CONSENT_AGE}, or unborn), `to_be_heard` (a child aged {CHILD_HEARD_FROM} up to\n"
        f"the consent age), `adult` and `requests`; the ages are `intake/facts.py`'s.\n\n" + table()
    )
