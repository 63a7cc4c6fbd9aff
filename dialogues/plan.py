"""Which questions apply now: derived facts, conditions, repeated groups, stale answers.

The plan is recomputed from the answers on every turn, so going back, editing or changing a
branch never leaves the conversation in a state the flow data does not describe.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from dialogues import conditions
from dialogues.flow import ChoiceDef, Step, load
from dialogues.state import State
from dialogues.types import Context
from intake.errors import FieldError
from intake.identifiers import age_on, parse_national_id

_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Slot:
    """One question in the current plan: the step and its key (with the group index)."""

    key: str
    step: Step
    index: int | None = None


def step_key(step: Step, index: int | None) -> str:
    return step.id if index is None else step.id.replace("[]", f"[{index}]", 1)


def step_of_key(key: str) -> tuple[Step | None, int | None]:
    """`guardians[1].name` -> (the `guardians[].name` step, 1)."""
    m = _INDEX.search(key)
    index = int(m.group(1)) if m else None
    generic = _INDEX.sub("[]", key, count=1)
    return load().step(generic), index


def birth_date(answers: dict[str, Any]) -> dt.date | None:
    nid = answers.get("person.national_id")
    if isinstance(nid, str):
        try:
            return parse_national_id(nid).birth_date
        except FieldError:
            return None
    raw = answers.get("person.birth_date")
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def facts(answers: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """What conditions may read: facts derived from the answers, plus the answers to the
    questions that apply. An answer left over from another branch (a provider's "not informed"
    after the role became "parent") is not a fact any more, so it cannot steer this branch."""
    env = derived(answers, ctx)
    for step in load().steps:
        if step.group is None and step.id in answers and conditions.holds(step.when, env):
            env[step.id] = answers[step.id]
    return env


def derived(answers: dict[str, Any], ctx: Context) -> dict[str, Any]:
    env: dict[str, Any] = {}
    unborn = answers.get("person.unborn") is True and answers.get("submitter.role") == "parent"
    born = None if unborn else birth_date(answers)
    age = None if born is None else age_on(born, ctx.today)
    requests = answers.get("requests")
    env.update(
        role=answers.get("submitter.role"),
        unborn=unborn,
        age=age,
        minor=unborn or (age is not None and age < 18),
        child=unborn or (age is not None and age < ctx.policy.consent_age),
        adult=age is not None and age >= 18,
        requests=list(requests) if isinstance(requests, list) else [],
        consent_age=ctx.policy.consent_age,
    )
    return env


def allowed_choices(step: Step, env: dict[str, Any]) -> tuple[ChoiceDef, ...]:
    return tuple(c for c in step.choices if conditions.holds(c.when, env))


def is_stale(step: Step, value: Any, env: dict[str, Any]) -> bool:
    """A stored choice the current branch no longer allows (a child became an adult...)."""
    if value is None or step.kind not in ("choice", "multi"):
        return False
    allowed = {c.id for c in allowed_choices(step, env)}
    if step.kind == "choice":
        return value not in allowed
    return not isinstance(value, list) or any(v not in allowed for v in value)


def plan(state: State, ctx: Context) -> list[Slot]:
    flow = load()
    env = facts(state.answers, ctx)
    out: list[Slot] = []
    steps = flow.steps
    i = 0
    while i < len(steps):
        step = steps[i]
        if step.group is None:
            if conditions.holds(step.when, env):
                out.append(Slot(step.id, step))
            i += 1
            continue
        block = [s for s in steps[i:] if s.group == step.group]
        i += len(block)
        out += _group_slots(state, block, env)
    return out


def _group_slots(state: State, block: list[Step], env: dict[str, Any]) -> list[Slot]:
    group = load().groups[block[0].group or ""]
    if not conditions.holds(group.when, env):
        return []
    out: list[Slot] = []
    first = block[0]
    index = 0
    while index < group.max:
        empty = state.answers.get(step_key(first, index), "") is None
        for step in block:
            if step.more and (empty or index + 1 >= group.max):
                continue
            if step is not first and empty:
                continue
            if conditions.holds(step.when, env):
                out.append(Slot(step_key(step, index), step, index))
        more = next((s for s in block if s.more), None)
        if empty or more is None or state.answers.get(step_key(more, index)) is not True:
            break
        index += 1
    return out


def unanswered(state: State, ctx: Context, slots: list[Slot] | None = None) -> Slot | None:
    """The first question of the plan without a (still valid) answer."""
    env = facts(state.answers, ctx)
    for slot in slots if slots is not None else plan(state, ctx):
        if slot.key not in state.answers or is_stale(slot.step, state.answers[slot.key], env):
            return slot
    return None
