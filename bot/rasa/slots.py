"""Rasa slot names for the dialogue's answer keys, and answers read back from Rasa's slots.

The mapping (documented in `dialogues/rasa/README.md`):
- a canonical field id has its dots replaced by `__`: `person.national_id` -> `person__national_id`;
- an entry of a repeated group carries its index as a segment: `guardians[1].name` ->
  `guardians__1__name`;
- a question the person skipped holds the marker `{"skipped": true}` (Rasa treats `null` as
  "still to ask", the dialogue stores a skipped answer as null).

Every other value is the dialogue's own JSON answer: a choice id, a list of ids, a boolean, an
ISO date or text. Only the action server reads them; they never influence Rasa's predictions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from dialogues.flow import load

FORM = "referral_form"
LANGUAGE = "language"
REQUESTED = "requested_slot"
OFFER = "kommune_offer"  # kommune numbers offered after an ambiguous name, as in State.offer
EDIT = "edit_pending"  # "endre" without a number: the next answer says which answer to change
# The last question (the consent statement); asked again after any change.
ACKNOWLEDGED = "consent__all"
SKIPPED: dict[str, bool] = {"skipped": True}

_INDEXED = re.compile(r"\[(\d+)\]")
_SLOT_INDEX = re.compile(r"__(\d+)(?=__|$)")


def slot_name(key: str) -> str:
    """`guardians[1].name` -> `guardians__1__name`."""
    return _INDEXED.sub(r".\1", key).replace(".", "__")


def key_of(slot: str) -> str:
    """`guardians__1__name` -> `guardians[1].name` (the inverse of `slot_name`)."""
    return _SLOT_INDEX.sub(r"[\1]", slot).replace("__", ".")


@cache
def all_keys() -> tuple[str, ...]:
    """Every answer key any branch of the flow can ask, in flow order (groups unrolled)."""
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
            for member in block:
                if member.more and index + 1 >= flow.groups[step.group].max:
                    continue  # the last entry of a group never asks "add another?"
                keys.append(member.id.replace("[]", f"[{index}]", 1))
    return tuple(keys)


@cache
def form_slots() -> tuple[str, ...]:
    return tuple(slot_name(k) for k in all_keys())


def is_skipped(value: Any) -> bool:
    return isinstance(value, dict) and value.get("skipped") is True


def to_slot_value(answer: Any) -> Any:
    return SKIPPED if answer is None else answer


def answers_from(
    slots: Mapping[str, Any], *, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The dialogue's `State.answers` from Rasa's slots: unfilled are absent, skipped are null."""
    answers: dict[str, Any] = {}
    for name in form_slots():
        if name in leave_out:
            continue
        value = slots.get(name)
        if value is None:
            continue
        answers[key_of(name)] = None if is_skipped(value) else value
    return answers


def language_of(slots: Mapping[str, Any]) -> Any:
    value = slots.get(LANGUAGE)
    return value if value in ("nb", "nn", "en") else "nb"
