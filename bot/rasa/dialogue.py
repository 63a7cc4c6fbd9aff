"""The bridge from Rasa's slots to the one dialogue engine.

A Rasa form asks one slot at a time; the engine asks one question at a time. To judge an answer
we hand the engine the answers so far, focused on the question Rasa asked, and call the engine's
public `step`: the same parsing, validators, `must_be` checks and side effects (declining a plan
turns the request into "coordinator only") as in every other channel, so nothing can drift.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from bot.rasa import slots as s
from dialogues import engine, parse
from dialogues.plan import Slot, facts, is_stale, plan, step_of_key
from dialogues.state import State
from dialogues.types import Choice, Command, Context, Reply, UserInput
from intake.messages import Language

log = logging.getLogger(__name__)

# Commands the Rasa project answers with its own actions (rules take over after a rejection).
HANDED_TO_RULES: frozenset[Command] = frozenset(
    {"help", "back", "summary", "cancel", "language", "edit", "restart", "start"}
)


@dataclass(frozen=True)
class Outcome:
    """An answer judged by the engine. `changes` are slot values to set (the answer itself and
    anything the engine changed with it); `error` is the re-ask reply carrying the message."""

    accepted: bool
    changes: dict[str, Any] = field(default_factory=dict)
    notes: tuple[Reply, ...] = ()
    error: str | None = None
    choices: tuple[Choice, ...] = ()  # e.g. the municipalities an ambiguous name may mean
    offer: tuple[str, ...] = ()


def state_from(slots: Mapping[str, Any], *, leave_out: frozenset[str] = frozenset()) -> State:
    state = State(language=cast(Language, s.language_of(slots)), draft_id="rasa")
    state.answers = s.answers_from(slots, leave_out=leave_out)
    offer = slots.get(s.OFFER)
    state.offer = [str(n) for n in offer] if isinstance(offer, list) else []
    state.mode = "ask"
    return state


def command_in(text: str, key: str | None = None) -> Command | None:
    """The command typed instead of an answer to `key`, read as the engine reads it (at a name
    question "Endre" is a name, and only "/endre" the command)."""
    step = step_of_key(key)[0] if key else None
    name_answer = step is not None and step.validator == "name"
    command, _ = parse.as_command(UserInput(text=text), name_answer=name_answer)
    return command


def slot_for(state: State, key: str, ctx: Context) -> Slot | None:
    return next((slot for slot in plan(state, ctx) if slot.key == key), None)


def judge_answer(state: State, key: str, raw: Any, ctx: Context) -> Outcome:
    """The engine's verdict on `raw` as the answer to `key`, given the other answers in `state`."""
    if slot_for(state, key, ctx) is None:
        log.warning("answer for a question the plan does not ask: %s", key)
        return Outcome(accepted=False)
    probe = state.copy()
    probe.mode, probe.focus = "edit", key
    probe.answers.pop(key, None)
    text = raw if isinstance(raw, str) else str(raw)
    after, replies, _effects = engine.step(probe, UserInput(text=text), ctx)
    failed = next((r for r in replies if r.error), None)
    if failed is not None or key not in after.answers:
        said = failed.error if failed is not None else (replies[0].text if replies else None)
        return Outcome(
            accepted=False,
            error=said,
            choices=failed.choices if failed is not None and after.offer else (),
            offer=tuple(after.offer),
        )
    changes = {
        s.slot_name(k): s.to_slot_value(v)
        for k, v in after.answers.items()
        if k == key or probe.answers.get(k, _MISSING) != v
    }
    for removed in set(probe.answers) - set(after.answers):
        changes[s.slot_name(removed)] = None
    notes = tuple(r for r in replies if not r.step and not r.error)
    return Outcome(accepted=True, changes=changes, notes=notes)


_MISSING = object()


def edit_target(state: State, arg: str | None, ctx: Context) -> tuple[str | None, list[Reply]]:
    """The engine's reading of "endre 3" / "edit Fornavn": the key to ask again, or (no match,
    no number) the replies that show the answers and ask which one."""
    after, replies, _ = engine.step(state, UserInput(command="edit", arg=arg), ctx)
    if after.mode == "edit" and after.focus:
        return after.focus, []
    return None, [r for r in replies if r.step in ("", "summary")]


def required_keys(state: State, ctx: Context) -> list[str]:
    return [slot.key for slot in plan(state, ctx)]


def stale_keys(state: State, ctx: Context) -> list[str]:
    """Answers the current branch no longer accepts (the engine asks them again)."""
    env = facts(state.answers, ctx)
    return [
        slot.key
        for slot in plan(state, ctx)
        if slot.key in state.answers and is_stale(slot.step, state.answers[slot.key], env)
    ]
