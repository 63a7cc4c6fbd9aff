"""Which questions apply now: derived facts, conditions, repeated groups, stale answers.

The plan is recomputed from the answers on every turn, so going back, editing or changing a
branch never leaves the conversation in a state the flow data does not describe. The flow is
laid out for it once, at import (`_LAYOUT`); its conditions were compiled when it was loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dialogues import conditions, planner
from dialogues.conditions import Test
from dialogues.flow import ChoiceDef, Flow, Group, Step, load
from dialogues.state import State
from dialogues.types import Context
from intake.errors import FieldError
from intake.facts import age_lines
from intake.identifiers import age_on, national_id_birth_date

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
    known = _KEYS.get(key)  # (every key a plan can hold, worked out with the layout)
    if known is not None:
        return known
    m = _INDEX.search(key)
    index = int(m.group(1)) if m else None
    generic = _INDEX.sub("[]", key, count=1)
    return load().step(generic), index


@dataclass(frozen=True, slots=True)
class _Row:
    """One repetition of a group, its slots ready-made (slots are immutable)."""

    first_key: str  # the key of the group's first question at this index
    more_key: str | None  # the key of its "another one?" question
    first: tuple[tuple[Slot, Test | None], ...]  # asked while the first question is skipped
    full: tuple[tuple[Slot, Test | None], ...]  # asked once it is answered (None: no condition)
    # `first` and `full` as their slots alone, when none of their questions has a condition
    # (none in today's flow): asked as they are.
    first_slots: tuple[Slot, ...] | None = None
    full_slots: tuple[Slot, ...] | None = None


@dataclass(frozen=True, slots=True)
class _Part:
    """A stretch of the flow: consecutive questions under one condition, or a group."""

    test: Test | None  # the questions' or the group's condition (None: none)
    run: tuple[Slot, ...] = ()  # outside groups: the questions
    rows: tuple[_Row, ...] | None = None  # a group: its repetitions
    when: str | None = None  # the source of `test`


@dataclass(frozen=True, slots=True)
class _Layout:
    # Questions outside groups whose answers a condition reads, with their own condition
    # (its source and its test).
    facts: tuple[tuple[str, str | None, Test | None], ...]
    parts: tuple[_Part, ...]
    # The answers that can change the facts or the questions: read by a condition, read by
    # `derived`, or a group row's first or "another one?" question. Any other answer changes
    # only which question is open (`Plan.after`).
    steering: frozenset[str]
    # The keys of every choice and multi-select question (the answers that can go stale).
    choice_keys: frozenset[str]
    # `parts` as (test, run, rows), as the plain reading of the layout takes them.
    flat: tuple[tuple[Test | None, tuple[Slot, ...], tuple[_Row, ...] | None], ...] = ()


_CHOICE_KINDS = frozenset({"choice", "multi"})


def _group_part(group: Group, block: list[Step]) -> _Part:
    first = block[0]
    more = next((s for s in block if s.more), None)
    rows = []
    for index in range(group.max):
        slots = [(Slot(step_key(s, index), s, index), s.test) for s in block]
        last = index + 1 >= group.max
        # Skipping the first question ends the group: no other question, no "more".
        skipped = tuple(pair for pair in slots if pair[0].step is first and not first.more)
        # "Another one?" is not asked on the last row the group allows.
        full = tuple(pair for pair in slots if not (pair[0].step.more and last))
        rows.append(
            _Row(
                step_key(first, index),
                None if more is None else step_key(more, index),
                skipped,
                full,
                _untested(skipped),
                _untested(full),
            )
        )
    return _Part(group.test, rows=tuple(rows), when=group.when)


def _untested(pairs: tuple[tuple[Slot, Test | None], ...]) -> tuple[Slot, ...] | None:
    """The slots of `pairs` when none has a condition, else None."""
    return None if any(test is not None for _slot, test in pairs) else tuple(s for s, _ in pairs)


def _read_by_conditions(flow: Flow) -> frozenset[str]:
    sources = [s.when for s in flow.steps] + [c.when for s in flow.steps for c in s.choices]
    sources += [g.when for g in flow.groups.values()]
    return frozenset(name for source in sources if source for name in conditions.names(source))


def _layout(flow: Flow) -> _Layout:
    """The flow laid out for planning, once (`_LAYOUT`)."""
    parts: list[_Part] = []
    whens: list[str | None] = []  # the condition of each part outside groups, to join runs
    steps = flow.steps
    i = 0
    while i < len(steps):
        step = steps[i]
        if step.group is None:
            # Consecutive questions under the same condition (or none) are one run: the
            # condition is judged once against facts that do not change while planning.
            slot = Slot(step.id, step)
            last = parts[-1] if parts else None
            if last is not None and last.rows is None and whens[-1] == step.when:
                parts[-1] = _Part(last.test, run=(*last.run, slot), when=last.when)
            else:
                parts.append(_Part(step.test, run=(slot,), when=step.when))
                whens.append(step.when)
            i += 1
            continue
        block = [s for s in steps[i:] if s.group == step.group]
        i += len(block)
        parts.append(_group_part(flow.groups[step.group], block))
        whens.append(None)
    read = _read_by_conditions(flow)
    # An answer no condition reads cannot steer the plan: it is left out of the facts.
    single = tuple((s.id, s.when, s.test) for s in steps if s.group is None and s.id in read)
    rows = [row for part in parts for row in part.rows or ()]
    controls = {row.first_key for row in rows} | {row.more_key for row in rows if row.more_key}
    keys = [slot for part in parts for slot in part.run]
    keys += [slot for row in rows for slot, _test in row.full]
    choice_keys = frozenset(slot.key for slot in keys if slot.step.kind in _CHOICE_KINDS)
    flat = tuple((part.test, part.run, part.rows) for part in parts)
    return _Layout(single, tuple(parts), read | _DERIVED_FROM | controls, choice_keys, flat)


def _nid_birth_date(nid: str) -> dt.date | None:
    try:
        return national_id_birth_date(nid)
    except FieldError:
        return None


def birth_date(answers: dict[str, Any]) -> dt.date | None:
    nid = answers.get("person.national_id")
    if isinstance(nid, str):
        return _nid_birth_date(nid)
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
    return _facts(answers, ctx, birth_date(answers))


def _facts(answers: dict[str, Any], ctx: Context, born: dt.date | None) -> dict[str, Any]:
    """`facts`, with the birth date the answers give (`birth_date`) already worked out."""
    env = _derived(answers, ctx, born)
    _FACTS(answers, env)
    return env


# Every answer `derived` reads (a change to one of them means planning again).
_DERIVED_FROM = frozenset(
    {"person.unborn", "submitter.role", "person.national_id", "person.birth_date", "requests"}
)
# The answers the birth date is read from (`birth_date`).
_BORN_FROM = ("person.national_id", "person.birth_date")


def derived(answers: dict[str, Any], ctx: Context) -> dict[str, Any]:
    return _derived(answers, ctx, birth_date(answers))


def _derived(answers: dict[str, Any], ctx: Context, born: dt.date | None) -> dict[str, Any]:
    role = answers.get("submitter.role")
    unborn = answers.get("person.unborn") is True and role == "parent"
    age = None if unborn or born is None else age_on(born, ctx.today)
    requests = answers.get("requests")
    consent_age = ctx.policy.consent_age
    minor, child, adult, to_be_heard = age_lines(unborn, age, consent_age)
    return {
        "role": role,
        "unborn": unborn,
        "age": age,
        "minor": minor,
        "child": child,
        "adult": adult,
        "to_be_heard": to_be_heard,
        "requests": list(requests) if isinstance(requests, list) else [],
        "consent_age": consent_age,
    }


def allowed_choices(step: Step, env: dict[str, Any]) -> tuple[ChoiceDef, ...]:
    return tuple(c for c in step.choices if c.test is None or c.test(env))


def is_stale(step: Step, value: Any, plan: Plan) -> bool:
    """A stored choice the current branch no longer allows (a child became an adult...)."""
    if value is None or step.kind not in _CHOICE_KINDS:
        return False
    allowed = step.fixed_choices
    if allowed is None:
        # Only the stored choices' own conditions, when they are text (as stored).
        if step.kind == "choice" and type(value) is str:
            return not plan.offers(step, value)
        if step.kind == "multi" and type(value) is list:
            for v in value:
                if type(v) is not str:
                    break  # (judged below against every choice offered)
                if not plan.offers(step, v):
                    return True
            else:
                return False
        allowed = plan.allowed_ids(step)
    if step.kind == "choice":
        return value not in allowed
    return not isinstance(value, list) or not all(map(allowed.__contains__, value))


class Plan:
    """The questions that apply to one set of answers, and the facts their conditions read,
    worked out once. A turn keeps its plan until it changes an answer (`Turn.changed`), which
    plans again, or (`after`) keeps the facts and questions when the answer cannot change them.

    `earlier`: this turn's plan before its answers changed; its birth date is taken again when
    the answers it is read from are the same, so a turn checks a national id once."""

    __slots__ = (
        "_allowed",
        "_born_from",
        "_open",
        "_start",
        "answers",
        "born",
        "ctx",
        "env",
        "slots",
    )

    def __init__(
        self, answers: dict[str, Any], ctx: Context, *, earlier: Plan | None = None
    ) -> None:
        self.answers = answers
        self.ctx = ctx
        source = (answers.get(_BORN_FROM[0]), answers.get(_BORN_FROM[1]))
        self.born: dt.date | None  # the birth date the answers give (`birth_date`)
        if earlier is not None and earlier._born_from == source:
            self.born = earlier.born
        else:
            self.born = birth_date(answers)
        self._born_from: tuple[Any, Any] = source
        self.env = _facts(answers, ctx, self.born)
        self.slots = _PLAN(answers, self.env)
        # The first open question and its place, once found; where the search for it starts.
        self._open: tuple[Slot | None, int] | None = None
        self._start = 0
        # The choices each step offers on this branch, by step id (worked out when asked).
        self._allowed: dict[str, tuple[Step, tuple[ChoiceDef, ...], frozenset[str]]] = {}

    def after(self, *keys: str) -> Plan | None:
        """This plan once answers to `keys` have been stored in its answers, when none of them
        can change the facts or the questions (see `_Layout.steering`); else None, and the
        answers must be planned again (an answer with the facts it gave besides its own, such
        as a postcode in an address line, keeps the plan when none of them steers)."""
        if not _LAYOUT.steering.isdisjoint(keys):
            return None
        # The same answers (changed in place), facts and questions: this plan, its open question
        # found again. The questions before the one that was open are still answered, and (no
        # choice among `keys`, the facts the same) still valid: the search starts there.
        found = self._open
        self._start = found[1] if found is not None and _LAYOUT.choice_keys.isdisjoint(keys) else 0
        self._open = None
        return self

    def first_open(self) -> Slot | None:
        """The first question of the plan without a (still valid) answer."""
        if self._open is None:
            self._open = self._unanswered(self._start)
        return self._open[0]

    def _unanswered(self, start: int) -> tuple[Slot | None, int]:
        """The first question from `start` on without a (still valid) answer, and its place."""
        answers = self.answers
        choices = _LAYOUT.choice_keys
        slots = self.slots
        for place in range(start, len(slots)):
            slot = slots[place]
            key = slot.key
            if key not in answers:
                return slot, place
            if key in choices:  # (only a choice can go stale)
                step, value = slot.step, answers[key]
                fixed = step.fixed_choices
                if fixed is None or value is None:
                    if is_stale(step, value, self):
                        return slot, place
                elif step.kind == "choice":  # (`is_stale`, written out: the usual cases)
                    if value not in fixed:
                        return slot, place
                elif not isinstance(value, list) or not all(map(fixed.__contains__, value)):
                    return slot, place
        return None, len(slots)

    def _choices(self, step: Step) -> tuple[Step, tuple[ChoiceDef, ...], frozenset[str]]:
        hit = self._allowed.get(step.id)
        if hit is None or hit[0] is not step:
            choices = allowed_choices(step, self.env)
            hit = self._allowed[step.id] = (step, choices, frozenset(c.id for c in choices))
        return hit

    def allowed(self, step: Step) -> tuple[ChoiceDef, ...]:
        """The choices `step` offers on this branch."""
        return self._choices(step)[1]

    def offers(self, step: Step, choice_id: str) -> bool:
        """Whether `step` offers the choice `choice_id` on this branch (`choice_id in
        allowed_ids(step)`, judging that choice's condition alone)."""
        env = self.env
        for choice in step.choices:
            if choice.id == choice_id and (choice.test is None or choice.test(env)):
                return True
        return False

    def allowed_ids(self, step: Step) -> frozenset[str]:
        """The ids of the choices `step` offers on this branch."""
        return self._choices(step)[2]


def plan(state: State, ctx: Context) -> list[Slot]:
    """The questions that apply to `state`'s answers, in order."""
    return Plan(state.answers, ctx).slots


def _group_slots(
    answers: dict[str, Any], rows: tuple[_Row, ...], env: dict[str, Any]
) -> list[Slot]:
    out: list[Slot] = []
    for row in rows:
        empty = answers.get(row.first_key, "") is None
        untested = row.first_slots if empty else row.full_slots
        if untested is not None:
            out += untested
        else:
            for slot, test in row.first if empty else row.full:
                if test is None or test(env):
                    out.append(slot)
        if empty or row.more_key is None or answers.get(row.more_key) is not True:
            break
    return out


_LAYOUT = _layout(load())
# The answers conditions read, added to the derived facts (those given whose question applies).
_FACTS: Callable[[dict[str, Any], dict[str, Any]], None] = planner.write_facts(_LAYOUT.facts)
# The questions that apply, from the answers and their facts: every part's condition, then its
# questions or its group's (`dialogues.planner` writes it from the layout, once).
_PLAN: Callable[[dict[str, Any], dict[str, Any]], list[Slot]] = planner.write(
    [(p.when, p.test, p.run, p.rows) for p in _LAYOUT.parts], _group_slots
)
_KEYS: dict[str, tuple[Step | None, int | None]] = {
    slot.key: (slot.step, slot.index)
    for part in _LAYOUT.parts
    for slot in (*part.run, *(s for row in part.rows or () for s, _test in row.full))
}
