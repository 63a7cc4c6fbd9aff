"""Every command (`COMMANDS`), and the modes a command opens: "language" (waiting for a
language) and "confirm_cancel" / "confirm_restart" (waiting for yes or no)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dialogues import answering, parse, render, summary
from dialogues.flow import ROLES, text
from dialogues.state import UNSET, State
from dialogues.types import Choice, Command, DiscardDraft, LanguageChanged, Reply, UserInput
from intake.errors import FieldError
from intake.messages import LANGUAGES, message

if TYPE_CHECKING:
    from dialogues.turn import Turn


def _start(turn: Turn, arg: str | None) -> None:
    if arg in ROLES and "submitter.role" not in turn.state.answers:
        turn.state.answers["submitter.role"] = arg
        turn.changed()
        if arg == "provider":
            turn.say("intro.provider")
    else:
        turn.say("resume")
    turn.show()


def _back(turn: Turn, _arg: str | None) -> None:
    state = turn.state
    history = state.history
    if not history:
        turn.say("back.first")
        turn.show()
        return
    while True:
        key = _undo(turn, history.pop())
        # An answer from a branch that no longer applies is undone too, silently.
        if not history or any(slot.key == key for slot in turn.plan.slots):
            break
    state.picks, state.offer = [], []
    if key in state.answers:
        state.mode, state.focus = "edit", key
    else:
        state.mode, state.focus = "ask", None
    turn.show()


def _undo(turn: Turn, entry: list[Any]) -> str:
    """Put back what one answer replaced; the undone answer becomes a hint."""
    answers = turn.state.answers
    key, previous, others = entry
    value = answers.pop(key, None)
    if previous != UNSET:
        answers[key] = previous
    for other, old in dict(others).items():
        if old == UNSET:
            answers.pop(other, None)
        else:
            answers[other] = old
    if value is not None:
        turn.state.prior[key] = value
    turn.changed()
    return str(key)


def _help(turn: Turn, _arg: str | None) -> None:
    if turn.state.mode in ("summary", "choose_edit"):
        turn.say("help.summary")
    else:
        slot = turn.current()
        key = slot.step.help if slot is not None and slot.step.help else "help.generic"
        turn.say(turn.worded(key))
    turn.say("help.commands")
    turn.show()


def _skip(turn: Turn, _arg: str | None) -> None:
    slot = turn.current() if turn.state.mode in ("ask", "edit") else None
    if slot is None:
        turn.show()
        return
    answering.decline(turn, slot)


def _done(turn: Turn, _arg: str | None) -> None:
    state = turn.state
    slot = turn.current() if state.mode in ("ask", "edit") else None
    if slot is not None and slot.step.kind == "multi":
        if state.picks:
            answering.store(turn, slot, list(state.picks))
        elif slot.step.optional:
            answering.store(turn, slot, None)
        else:
            answering.refuse_skip(turn, slot)
        return
    if slot is not None and slot.step.more:
        answering.store(turn, slot, False)
        return
    turn.say("done.not_here")
    turn.show()


def _summary(turn: Turn, _arg: str | None) -> None:
    state = turn.state
    if turn.plan.first_open() is None:
        state.mode, state.focus = "summary", None
        turn.show()
        return
    turn.replies.append(render.summary(state, turn.answered_slots(), partial=True))
    turn.say("summary.incomplete")
    turn.show()


def _edit(turn: Turn, arg: str | None) -> None:
    if arg:
        target = summary.edit_target(turn, arg)
        if target is not None:
            summary.start_edit(turn, target)
            return
        turn.say("edit.unknown")
    summary.choose_edit(turn)


def _language(turn: Turn, arg: str | None) -> None:
    lang = parse.language_of(arg)
    if lang is not None:
        set_language(turn, lang)
        turn.show()
        return
    turn.state.resume = turn.state.mode
    turn.state.mode = "language"
    ask_language(turn)


def _cancel(turn: Turn, _arg: str | None) -> None:
    turn.state.resume = turn.state.mode
    turn.state.mode = "confirm_cancel"
    _ask_stop(turn, "cancel.ask")


def _restart(turn: Turn, _arg: str | None) -> None:
    turn.state.resume = turn.state.mode
    turn.state.mode = "confirm_restart"
    _ask_stop(turn, "restart.ask")


COMMANDS: dict[Command, Callable[[Turn, str | None], None]] = {
    "start": _start,
    "back": _back,
    "help": _help,
    "skip": _skip,
    "done": _done,
    "summary": _summary,
    "edit": _edit,
    "language": _language,
    "cancel": _cancel,
    "restart": _restart,
}


# -- mode "language" -----------------------------------------------------------------------


def ask_language(turn: Turn, error: str | None = None) -> None:
    choices = tuple(Choice(code, text(code, "language.name")) for code in LANGUAGES)
    turn.replies.append(
        Reply(
            text=turn.t("language.ask"),
            step="language",
            kind="choice",
            choices=choices,
            error=error,
        )
    )


def on_language(turn: Turn, ui: UserInput, command: Command | None, _arg: str | None) -> None:
    raw = ui.choice or ui.text or ui.arg
    lang = parse.language_of(raw)
    if lang is None and raw and raw.strip() in ("1", "2", "3"):
        lang = LANGUAGES[int(raw.strip()) - 1]
    if lang is None and command is None:
        ask_language(turn, error=message("choice_invalid", turn.lang))
        return
    turn.state.mode = turn.state.resume
    if turn.state.mode == "new":  # asked before anything else: begin in the language picked
        turn.begin("language", lang)
        return
    if lang is not None:
        set_language(turn, lang)
    turn.show()


def set_language(turn: Turn, lang: str, *, announce: bool = True) -> None:
    for code in LANGUAGES:
        if code == lang:
            turn.state.language = code
            turn.effects.append(LanguageChanged(code))
            if announce:
                turn.say("language.changed")
            return


# -- modes "confirm_cancel" and "confirm_restart" ------------------------------------------


def _ask_stop(turn: Turn, key: str, error: str | None = None) -> None:
    choices = (Choice("yes", turn.t("c.yes")), Choice("no", turn.t("c.no")))
    turn.replies.append(
        Reply(text=turn.t(key), step="confirm", kind="yes_no", choices=choices, error=error)
    )


def on_confirm(turn: Turn, ui: UserInput, command: Command | None, _arg: str | None) -> None:
    cancelling = turn.state.mode == "confirm_cancel"
    if command in ("cancel", "restart"):
        yes: bool | None = True
    elif command is not None:
        yes = False
    else:
        try:
            yes = parse.yes_no(ui)
        except FieldError:
            yes = None
    if yes is None:
        _ask_stop(turn, "cancel.ask" if cancelling else "restart.ask", message("yes_no", turn.lang))
        return
    if not yes:
        turn.state.mode = turn.state.resume
        turn.say("stop.kept")
        turn.show()
        return
    if cancelling:
        lang, draft = turn.lang, turn.state.draft_id
        turn.state = State(language=lang, draft_id=draft, mode="cancelled")
        turn.changed()
        turn.effects.append(DiscardDraft())
        turn.say("cancel.done")
        return
    turn.say("restart.done")
    turn.reset(None)
