"""Modes "summary" and "choose_edit": sending the referral (judged by the model and the rules
first), and choosing an answer to edit (by its number or its label)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialogues import parse, render
from dialogues.build import attachment_refs, judge, key_for
from dialogues.plan import Slot
from dialogues.types import Command, FileReferral, UserInput
from intake.messages import message
from intake.rules import Violation

if TYPE_CHECKING:
    from dialogues.turn import Turn

# What "send" is, besides a yes and the send button's own wording.
_SENDS = frozenset({"send", "send inn", "sende", "submit"})


def on_input(turn: Turn, ui: UserInput, _command: Command | None, _arg: str | None) -> None:
    raw = ui.choice if ui.choice is not None else (ui.text or "")
    word = parse.fold(raw)
    choosing = turn.state.mode == "choose_edit"
    if choosing or word.isdigit():
        target = edit_target(turn, word) if word else None
        if target is not None:
            start_edit(turn, target)
            return
        if choosing:
            turn.say("edit.unknown")
            turn.say("edit.which")
            return
    if word in ("edit", parse.fold(turn.t("c.summary.edit"))):
        turn.command("edit", None)
        return
    if word in ("cancel", parse.fold(turn.t("c.summary.cancel"))):
        turn.command("cancel", None)
        return
    if word in _SENDS or word == parse.fold(turn.t("c.summary.send")) or word in parse.YES:
        send(turn)
        return
    turn.say("summary.hint")


def choose_edit(turn: Turn) -> None:
    """List the answers so far and wait for the number of the one to change."""
    state = turn.state
    state.resume = state.mode if state.mode != "choose_edit" else "summary"
    state.mode = "choose_edit"
    turn.replies.append(render.summary(state, turn.answered_slots(), partial=True))
    turn.say("edit.which")


def edit_target(turn: Turn, arg: str) -> Slot | None:
    """The answer "endre 5" or "endre telefon" means: the summary's fixed number, or a label
    (the whole label first, then a label holding the word; the first in the summary wins)."""
    entries = render.summary_entries(turn.answered_slots())
    word = parse.fold(arg)
    if word.isdigit():
        number = parse.number_in(word, max(render.number(s) for s in entries) if entries else 0)
        return next((s for s in entries if render.number(s) == number), None)
    for slot in entries:
        if slot.key == arg.strip() or parse.fold(render.label(turn.state, slot)) == word:
            return slot
    if len(word) >= 3:
        for slot in entries:
            if word in parse.fold(render.label(turn.state, slot)).split():
                return slot
        for slot in entries:
            if word in parse.fold(render.label(turn.state, slot)):
                return slot
    return None


def start_edit(turn: Turn, slot: Slot) -> None:
    state = turn.state
    state.mode, state.focus = "edit", slot.key
    state.picks = list(state.answers.get(slot.key) or []) if slot.step.kind == "multi" else []
    state.offer = []
    turn.ask(slot)


def send(turn: Turn) -> None:
    """File the referral when the model and the rules accept it, else ask what they refuse.
    Also how an interrupted filing is taken up again (same draft id, same idempotency key)."""
    state = turn.state
    if turn.plan.first_open() is not None:
        turn.next()
        return
    referral, violations = judge(state, turn.plan)
    if violations or referral is None:
        route(turn, violations[0] if violations else None)
        return
    state.mode, state.focus = "filing", None
    turn.effects.append(
        FileReferral(
            referral,
            idempotency_key=state.draft_id,
            attachment_refs=attachment_refs(state),
        )
    )
    turn.say("sending")


def route(turn: Turn, violation: Violation | None) -> None:
    """Send the person to the question a rule violation concerns, with its message."""
    state = turn.state
    msg = (
        message(violation.key, turn.lang, **violation.params)
        if violation is not None
        else message("format_invalid", turn.lang)
    )
    field = violation.field if violation is not None else ""
    slots = turn.plan.slots
    key = key_for(field, slots, violation.key if violation is not None else "")
    slot = next((s for s in slots if s.key == key), None)
    if slot is None:
        state.mode = "summary"
        turn.replies.append(render.summary(state, slots, error=msg))
        return
    turn.say("check.problem")
    state.mode, state.focus = "edit", slot.key
    turn.ask(slot, error=msg)
