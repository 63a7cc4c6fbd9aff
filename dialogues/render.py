"""Turning a question, an answer or the summary into `Reply` values, in the person's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

from dialogues.flow import ROLES, ChoiceDef, Step, condition, load, text, texts, variant
from dialogues.plan import Plan, Slot, step_key
from dialogues.state import State
from dialogues.types import Choice, Reply
from intake.kommuner import kommuner
from intake.messages import Language


def _n(slot: Slot) -> int:
    return (slot.index or 0) + 1


def worded(state: State, key: str, **params: Any) -> str:
    """The text for `key` in the wording for the submitter's role (see `flow.variant`)."""
    role = state.answers.get("submitter.role")
    return text(state.language, variant(state.language, key, role), **params)


def label(state: State, slot: Slot) -> str:
    return text(state.language, slot.step.label, n=_n(slot))


def choices_for(state: State, slot: Slot, plan: Plan) -> tuple[Choice, ...]:
    if slot.key == "kommune" and state.offer:
        table = kommuner()
        return tuple(Choice(n, table.get(n, n)) for n in state.offer)
    step = slot.step
    if not step.choices:  # (a question without choices has no buttons)
        return ()
    options = plan.allowed(step)
    role = state.answers.get("submitter.role")
    if not (role is None or (isinstance(role, str) and role in ROLES)):
        return _labelled(state, step, options)
    # The same buttons for every conversation in one language, role and branch: made once.
    key = (state.language, role, step.id, step.kind, tuple(c.id for c in options))
    wordings = texts(state.language)
    hit = _CHOICES.get(key)
    if hit is None or hit[0] is not wordings:
        hit = _CHOICES[key] = (wordings, _labelled(state, step, options))
    return hit[1]


def _labelled(state: State, step: Step, options: tuple[ChoiceDef, ...]) -> tuple[Choice, ...]:
    return tuple(Choice(c.id, worded(state, step.choice_key(c.id))) for c in options)


_CHOICES: dict[
    tuple[str, str | None, str, str, tuple[str, ...]], tuple[Mapping[str, str], tuple[Choice, ...]]
] = {}


def value_text(state: State, step: Step, value: Any) -> str:
    lang = state.language
    if value is None:
        return text(lang, "summary.skipped")
    if isinstance(value, bool):
        return text(lang, "c.yes" if value else "c.no")
    if step.kind == "choice" and isinstance(value, str):
        return worded(state, step.choice_key(value))
    if step.kind == "multi" and isinstance(value, list):
        return ", ".join(worded(state, step.choice_key(str(v))) for v in value)
    if step.id == "kommune" and isinstance(value, str):
        return f"{value} {kommuner().get(value, '')}".strip()
    if step.kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    if step.kind == "file":
        if isinstance(value, dict):
            return str(value.get("filename", ""))
        return text(lang, "value.follows")
    return str(value)


def ask(
    state: State,
    slot: Slot,
    plan: Plan,
    *,
    error: str | None = None,
) -> Reply:
    """The question `slot` asks, with its choices and its place in `plan`."""
    lang = state.language
    step = slot.step
    head, tail = _wording(state, slot, plan)
    parts = list(head)
    if step.kind == "multi" and state.picks:
        picked = ", ".join(worded(state, step.choice_key(p)) for p in state.picks)
        parts.append(text(lang, "selected", items=picked))
    parts += tail
    if slot.key in state.prior:
        previous = value_text(state, step, state.prior[slot.key])
        parts.append(text(lang, "hint.prior", value=previous))
    elif state.mode == "edit" and slot.key in state.answers:
        parts.append(
            text(lang, "hint.current", value=value_text(state, step, state.answers[slot.key]))
        )
    if state.fails.get(slot.key, 0) >= 3:
        if step.optional:
            parts.append(text(lang, "fail.skip"))
        parts.append(text(lang, "fail.advice"))
    position, planned = _place(slot.key, plan.slots)
    total = _estimate(state, plan, planned)
    return Reply(
        text="\n".join(parts),
        step=slot.key,
        kind=step.kind,
        choices=choices_for(state, slot, plan),
        multi=step.kind == "multi",
        selected=tuple(state.picks) if step.kind == "multi" else (),
        optional=step.optional,
        progress=(position, max(total, position)),
        error=error,
    )


def _wording(state: State, slot: Slot, plan: Plan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the question says before the picks so far (its text, example and multi-select
    hint) and after them (the file and optional hints): the same in every conversation for
    one language, role and question (a question that lists what a yes sets reads the facts:
    made each time), so made once while the texts tables are the same."""
    role = state.answers.get("submitter.role")
    cached = not slot.step.sets and (role is None or (isinstance(role, str) and role in ROLES))
    if not cached:
        return _worded_parts(state, slot, plan)
    key = (state.language, role, slot.key)
    wordings = texts(state.language)
    hit = _WORDING.get(key)
    if hit is None or hit[0] is not wordings or hit[1] is not slot.step:
        hit = _WORDING[key] = (wordings, slot.step, _worded_parts(state, slot, plan))
    return hit[2]


def _worded_parts(state: State, slot: Slot, plan: Plan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    lang = state.language
    step = slot.step
    head = [worded(state, step.text, n=_n(slot), items=_items(state, step, plan))]
    if step.example:
        head.append(text(lang, "example", example=worded(state, step.example)))
    if step.kind == "multi":
        head.append(text(lang, "hint.multi.all" if step.allow_all else "hint.multi"))
    tail = []
    if step.kind == "file":
        tail.append(text(lang, "hint.file"))
    if step.optional:
        specific = f"hint.optional.{step.id}"
        # At a yes/no question "nei" is an answer, so the hint names only "hopp over".
        general = "hint.optional.yes_no" if step.kind == "yes_no" else "hint.optional"
        tail.append(text(lang, specific if specific in texts(lang) else general))
    return tuple(head), tuple(tail)


# (language, role, question key) -> (the texts table, the step, its wording's two parts).
_WORDING: dict[
    tuple[str, str | None, str],
    tuple[Mapping[str, str], Step, tuple[tuple[str, ...], tuple[str, ...]]],
] = {}


def _place(key: str, slots: list[Slot]) -> tuple[int, int]:
    """(the place of the question `key` among the questions the plan counts, how many it
    counts): a question usually answered with another one is counted only when it is asked."""
    counted = position = 0
    for s in slots:
        if s.key == key:
            counted += 1
            position = position or counted
        elif s.step.asked_with is None:
            counted += 1
    return position or counted, counted


def _items(state: State, step: Step, plan: Plan) -> str:
    """What a yes to this question sets, one line each (the consent statement's list)."""
    if not step.sets:
        return ""
    table = texts(state.language)
    lines = [
        table[f"consent.item.{key}"]
        for key, _value, when in step.sets_for(True)
        if (when is None or condition(when)(plan.env)) and f"consent.item.{key}" in table
    ]
    return "\n".join(lines)


# The age assumed for the estimate before the person's age is known: a parent files for a child.
_TYPICAL_AGE = {"parent": 9}


def _estimate(state: State, plan: Plan, planned: int) -> int:
    """How many questions to expect. Before the role and the age are known the plan cannot
    tell, so the estimate is the longest plan those could give: it only shrinks as they come."""
    answers = state.answers
    role = answers.get("submitter.role")
    known_age = plan.env.get("age") is not None or plan.env.get("unborn") is True
    if role is not None and known_age:
        return planned
    roles = sorted(ROLES) if role is None else [role]
    if answers.keys() <= _ROLE_ONLY and (role is None or (isinstance(role, str) and role in ROLES)):
        return max(planned, *(_projected_before_any(plan, r) for r in roles))
    return max(planned, *(_projected(answers, plan, r) for r in roles))


_ROLE_ONLY = frozenset({"submitter.role"})
# (role, consent age) -> the projection of a conversation where nothing but the role is answered.
_BEFORE_ANY: dict[tuple[str, int], int] = {}


def _projected_before_any(plan: Plan, role: str) -> int:
    """`_projected` while nothing but the role is answered (the first question): the same for
    every conversation with that role under that consent age (the typical age is exact on any
    day), so worked out once."""
    key = (role, plan.ctx.policy.consent_age)
    hit = _BEFORE_ANY.get(key)
    if hit is None:
        hit = _BEFORE_ANY[key] = _projected({}, plan, role)
    return hit


def _projected(given: dict[str, Any], plan: Plan, role: object) -> int:
    ctx = plan.ctx
    answers = dict(given)
    answers["submitter.role"] = role
    # (Projected with another role, the age is still unknown when the birth date is.)
    if plan.born is None and answers.get("person.unborn") is not True:
        age = _TYPICAL_AGE.get(str(role), 45)
        answers["person.national_id"] = None
        answers["person.birth_date"] = _years_before(ctx.today, age).isoformat()
    # A typical person names two services, and a child two parents.
    answers.setdefault("current_services[0].service", "-")
    answers.setdefault("current_services[0].more", True)
    answers.setdefault("guardians[0].more", True)
    return sum(1 for s in Plan(answers, ctx, earlier=plan).slots if s.step.asked_with is None)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 28 February for a 29 February in a year without one."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def summary_entries(slots: list[Slot]) -> list[Slot]:
    """What the summary can list (every answer but "another one?"), grouped by section in the
    order the sections first come; `number` is what "endre 5" refers to."""
    entries = [s for s in slots if not s.step.more]
    order = {section: i for i, section in enumerate(_sections())}
    return sorted(entries, key=lambda s: order.get(s.step.section, len(order)))


@cache
def _sections() -> tuple[str, ...]:
    return tuple(dict.fromkeys(step.section for step in load().steps))


@cache
def _numbers() -> dict[str, int]:
    """A fixed number for every answer any branch can ask (groups unrolled to their largest
    size), so an answer keeps its number when other answers or the branch change."""
    flow = load()
    keys: list[str] = []
    steps = flow.steps
    i = 0
    while i < len(steps):
        step = steps[i]
        if step.group is None:
            keys.append(step.id)
            i += 1
            continue
        block = [s for s in steps[i:] if s.group == step.group]
        i += len(block)
        for index in range(flow.groups[step.group].max):
            keys += [step_key(s, index) for s in block if not s.more]
    return {key: number for number, key in enumerate(keys, start=1)}


def number(slot: Slot) -> int:
    return _numbers().get(slot.key, 0)


def summary_choices(state: State) -> tuple[Choice, ...]:
    lang = state.language
    return tuple(Choice(c, text(lang, f"c.summary.{c}")) for c in ("send", "edit", "cancel"))


def summary(
    state: State, slots: list[Slot], *, error: str | None = None, partial: bool = False
) -> Reply:
    """The answers grouped by section, each with its fixed number; questions left unanswered
    are not listed but counted. `partial` (answers so far) is information only."""
    lang = state.language
    lines = [text(lang, "summary.head_partial" if partial else "summary.head")]
    section = None
    skipped = 0
    for slot in summary_entries(slots):
        value = state.answers.get(slot.key)
        if value is None:
            skipped += slot.key in state.answers
            continue
        if slot.step.section != section:
            section = slot.step.section
            lines.append("")
            lines.append(worded(state, f"section.{section}"))
        lines.append(f"{number(slot)}. {label(state, slot)}: {value_text(state, slot.step, value)}")
    if skipped:
        lines.append("")
        lines.append(text(lang, "summary.skipped_count", count=skipped))
    if partial:
        return Reply(text="\n".join(lines))
    lines.append("")
    lines.append(text(lang, "summary.foot"))
    return Reply(
        text="\n".join(lines),
        step="summary",
        kind="choice",
        choices=summary_choices(state),
        error=error,
    )


def progress_text(language: Language, progress: tuple[int, int] | None) -> str:
    """'Spørsmål 4 av ca. 12' for adapters that show progress as text."""
    if progress is None:
        return ""
    return text(language, "progress", i=progress[0], n=progress[1])
