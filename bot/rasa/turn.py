"""One message of a Rasa conversation = one turn of the dialogue engine.

Rasa keeps the engine's `State` as JSON in one slot (`dialogue_state`); every message the
person sends reaches `action_referral_turn`, which reads that state, hands the text to
`engine.step` unchanged (answers, commands, declines, "endre 3", a language name: the engine
reads them all, as in every other channel), carries out the engine's effects through the
channel runtime (`bot.runtime`), and answers with the engine's replies and the new state.
Back, the summary, edits, the acknowledgement after an edit, repeated groups and the wording
for the submitter's role therefore all come from the engine.

A conversation with no state yet begins with the engine's language question (Rasa cannot tell
the person's language); a first message that names a language begins in it at once.

Nothing here imports rasa_sdk: the action (`bot.rasa.actions`) only translates.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.runtime.context import Runtime
from bot.runtime.filing import Filed, Filer, file_effect
from bot.runtime.wording import text as wording
from dialogues import engine
from dialogues.state import State, StateError
from dialogues.types import FileReferral, Reply, UserInput
from intake.texts import Language, language_or_default

log = logging.getLogger(__name__)

STATE = "dialogue_state"  # the engine's State as JSON
LANGUAGE = "language"  # the conversation's language, kept beside the state for Rasa's own use
REFERENCE = "referral_reference"  # the receipt's reference once filed
SLOTS = (STATE, LANGUAGE, REFERENCE)
# Rasa sends the whole tracker; the state slot of a long conversation is a few kilobytes.
MAX_STATE_CHARS = 256 * 1024


class MalformedSlots(ValueError):
    """The slots Rasa sent cannot be the ones this server set (no values in the message)."""


@dataclass(frozen=True)
class Message:
    """One message for Rasa to send: text and buttons (title, payload)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    messages: tuple[Message, ...]
    slots: dict[str, Any]


class OutdatedState(Exception):
    """A state this server wrote but can no longer read (an engine upgrade since)."""


def state_of(slots: Mapping[str, Any]) -> State | None:
    """The engine state kept in the slots, None when the conversation has none yet.

    Not a JSON object of at most `MAX_STATE_CHARS`: `MalformedSlots` (the server answers 400).
    An object the engine cannot read as its state: `OutdatedState` (the conversation starts
    afresh, rather than every later message failing until the session expires)."""
    raw = slots.get(STATE)
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_STATE_CHARS:
        raise MalformedSlots("the dialogue state slot is not a state")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedSlots("the dialogue state slot is not a state") from None
    if not isinstance(data, dict):
        raise MalformedSlots("the dialogue state slot is not a state")
    try:
        return State.from_json(raw)
    except StateError:
        raise OutdatedState from None


def said(latest_message: Any) -> str:
    """The text of the person's message ("" when there is none, e.g. an empty button)."""
    if not isinstance(latest_message, Mapping):
        return ""
    value = latest_message.get("text")
    return value if isinstance(value, str) else ""


def message_of(reply: Reply, language: Language) -> Message:
    """The reply as a Rasa message: the error first, then where the person is ("Spørsmål 4
    av ca. 12") above the question; the choices as buttons whose payload is the choice id,
    which the engine reads as if it were typed."""
    body = reply.text
    if reply.progress is not None and reply.step:
        index, total = reply.progress
        body = f"{wording(language, 'progress', i=index, n=total)}\n{body}"
    if reply.error:
        body = f"{reply.error}\n\n{body}"
    return Message(body, tuple((choice.label, choice.id) for choice in reply.choices))


def take_turn(
    slots: Mapping[str, Any], text: str, runtime: Runtime, filer: Filer | None
) -> Outcome:
    """The engine's answer to `text`, given the conversation kept in `slots`."""
    notice: list[Reply] = []
    try:
        state = state_of(slots)
    except OutdatedState:
        log.warning("rasa: stored engine state unreadable; starting afresh")
        language = language_or_default(slots.get(LANGUAGE))
        notice = [Reply(text=wording(language, "restart.done"))]
        state, text = None, language
    if state is None:
        state = runtime.new_state("nb")
        user_input = UserInput(command="language", arg=text)
    else:
        user_input = UserInput(text=text)
    ctx = runtime.context()
    state, replies, effects = engine.step(state, user_input, ctx)
    replies = notice + replies
    reference = slots.get(REFERENCE) if isinstance(slots.get(REFERENCE), str) else None
    for effect in effects:
        if isinstance(effect, FileReferral):
            outcome = file_effect(effect, state, ctx, filer=filer, fetch=_no_uploads)
            log.info("rasa: filing %s", type(outcome).__name__)
            state = outcome.state
            replies = [r for r in replies if r.text] + list(outcome.replies)
            if isinstance(outcome, Filed):
                reference = outcome.reference
    messages = tuple(message_of(r, state.language) for r in replies if r.text or r.choices)
    log.info("rasa: turn at %s", engine.current_step(state) or state.mode)
    return Outcome(
        messages, {STATE: state.to_json(), LANGUAGE: state.language, REFERENCE: reference}
    )


def _no_uploads(ref: str) -> bytes:
    # A Rasa text channel cannot upload: the engine takes "sendes senere" at that question.
    raise LookupError("no attachment can come through Rasa")
