"""Modes "ask" and "edit": an answer to the question asked, judged, stored, and the next asked.

`store` and `fail` are also how a command (skip, done) answers or refuses the question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dialogues import parse
from dialogues.plan import Slot
from dialogues.state import UNSET
from dialogues.types import Command, UserInput
from dialogues.validators import VALIDATORS
from intake.errors import AmbiguousKommune, FieldError
from intake.messages import message

if TYPE_CHECKING:
    from dialogues.turn import Turn


def _empty(ui: UserInput) -> bool:
    """Nothing given: a blank line, or no text, choice, choices, file or command at all."""
    if ui.text is not None:
        return not ui.text.strip()
    return ui.choice is None and ui.choices is None and ui.file is None and ui.command is None


def _how(slot: Slot) -> str:
    if slot.step.kind == "multi":
        return "multi.how.all" if slot.step.allow_all else "multi.how"
    return "choice.how"


def on_input(turn: Turn, ui: UserInput, _command: Command | None, _arg: str | None) -> None:
    slot = turn.current()
    if slot is None:
        turn.next()
        return
    state = turn.state
    if _empty(ui):
        # An empty answer keeps what "back" undid, or skips an optional question.
        if slot.key in state.prior:
            store(turn, slot, state.prior[slot.key])
            return
        if slot.step.kind == "multi" and state.picks:
            store(turn, slot, list(state.picks))
            return
        if state.mode == "edit" and slot.key in state.answers:
            # editing from the summary: an empty answer keeps the current one
            store(turn, slot, state.answers[slot.key])
            return
        if slot.step.optional:
            store(turn, slot, None)
            return
        fail(turn, slot, turn.t("skip.required"))
        return
    if slot.step.kind == "multi" and ui.choice is not None and ui.text is None:
        _toggle(turn, slot, ui.choice)
        return
    if slot.step.kind == "multi" and slot.step.allow_all and parse.means_all(ui):
        store(turn, slot, [c.id for c in turn.plan.allowed(slot.step)])
        return
    try:
        value = _parse_value(turn, slot, ui)
    except AmbiguousKommune as exc:
        state.offer = [number for number, _ in exc.candidates]
        fail(turn, slot, message(exc.key, turn.lang, **exc.params))
        return
    except FieldError as exc:
        if exc.key == "choice_invalid" and not parse.numbers(ui):
            # "ja" or a word that is no choice: say how the question is answered.
            fail(turn, slot, turn.t(_how(slot)))
            return
        fail(turn, slot, message(exc.key, turn.lang, **exc.params))
        return
    step_ = slot.step
    if step_.must_be is not None and value != step_.must_be:
        fail(turn, slot, message(step_.must_be_error or "required", turn.lang))
        return
    store(turn, slot, value)


def _toggle(turn: Turn, slot: Slot, choice: str) -> None:
    """A multi-select's button: pick or unpick one choice, or "done"."""
    state = turn.state
    allowed = [c.id for c in turn.plan.allowed(slot.step)]
    if choice == "done":
        turn.command("done", None)
        return
    if choice not in allowed:
        fail(turn, slot, message("choice_invalid", turn.lang))
        return
    picks = state.picks
    if choice in picks:
        picks.remove(choice)
    else:
        picks.append(choice)
    turn.ask(slot)


def _parse_value(turn: Turn, slot: Slot, ui: UserInput) -> Any:
    step_ = slot.step
    kind = step_.kind
    if kind == "yes_no":
        return parse.yes_no(ui)
    if kind in ("choice", "multi"):
        options = turn.plan.allowed(step_)
        if kind == "choice":
            return parse.one_choice(ui, step_, options)
        return parse.many_choices(ui, step_, options)
    if kind == "file":
        if ui.file is not None:
            return parse.upload(ui.file)
        if parse.follows(ui):
            return "follows"
        raise FieldError("authority_document_required")
    raw = ui.text if ui.text is not None else ui.choice
    if raw is None:
        raise FieldError("text_empty")
    offer = turn.state.offer
    if slot.key == "kommune" and offer:
        word = raw.strip()
        if word.isdigit() and 1 <= int(word) <= len(offer):
            return offer[int(word) - 1]
    validator = VALIDATORS.get(step_.validator or "short_text", VALIDATORS["short_text"])
    return validator(raw, turn.ctx)


def fail(turn: Turn, slot: Slot, error: str) -> None:
    """Ask the question again with what was wrong; the third time, with advice."""
    fails = turn.state.fails
    fails[slot.key] = fails.get(slot.key, 0) + 1
    turn.ask(slot, error=error)


def store(turn: Turn, slot: Slot, value: Any) -> None:
    """Keep the answer (with what it replaced, for "back") and ask the next question."""
    state = turn.state
    answers = state.answers
    previous = answers.get(slot.key, UNSET)
    others: dict[str, Any] = {}
    answers[slot.key] = value
    if slot.step.on_false == "decline_individual_plan" and value is False:
        others["requests"] = answers.get("requests", UNSET)
        requests = [r for r in answers.get("requests") or [] if r != "individual_plan"]
        if "coordinator" not in requests and "child_coordinator" not in requests:
            requests.append("coordinator")
        answers["requests"] = requests
        turn.say(turn.worded("decline_ip"))
    if slot.step.kind == "file" and isinstance(value, dict):
        turn.say("file.received", filename=value.get("filename", ""))
    state.history.append([slot.key, previous, others])
    for scratch in (state.fails, state.prior):
        scratch.pop(slot.key, None)
    state.picks, state.offer = [], []
    turn.changed()
    state.mode = "ask"
    turn.next()
