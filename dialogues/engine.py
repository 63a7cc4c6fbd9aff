"""The one dialogue engine: `step(state, input, ctx) -> (state, replies, effects)`.

Pure and synchronous: no I/O, no clock (ctx.today/ctx.now), no settings but `ctx`. It never
raises: a bug shows a short apology and the current question again, with every answer kept.
"""

from __future__ import annotations

import logging

from dialogues import plan, render
from dialogues.flow import ROLES, text
from dialogues.state import State
from dialogues.turn import Turn, fresh_state
from dialogues.types import Context, Effect, Reply, UserInput
from intake.kommuner import in_sami_area
from intake.messages import Language

_log = logging.getLogger(__name__)

__all__ = [
    "ROLES",
    "State",
    "current_step",
    "filed",
    "filing_failed",
    "new_state",
    "step",
]


def new_state(*, language: Language, draft_id: str, preset_role: str | None = None) -> State:
    """A fresh conversation; `preset_role` (e.g. "provider") answers the role question."""
    return fresh_state(language=language, draft_id=draft_id, preset_role=preset_role)


def current_step(state: State) -> str:
    """The field id asked now, or "summary", "done", "" (nothing pending)."""
    if state.mode in ("ask", "edit"):
        return state.focus or ""
    if state.mode in ("summary", "choose_edit"):
        return "summary"
    if state.mode == "done":
        return "done"
    return ""


def step(
    state: State, user_input: UserInput, ctx: Context
) -> tuple[State, list[Reply], list[Effect]]:
    try:
        # One call works out the plan once per set of answers, not once per question on it.
        with plan.memo():
            turn = Turn(state.copy(), ctx)
            turn.run(user_input)
        return turn.state, turn.replies, turn.effects
    except Exception as exc:  # the promise: never raise into an adapter
        _log.error("dialogue step failed at %s: %s", current_step(state), type(exc).__name__)
        return (
            state,
            [Reply(text=text(state.language, "error.internal"), step=current_step(state))],
            [],
        )


def filed(state: State, reference: str, ctx: Context) -> tuple[State, list[Reply]]:
    """The messages after the adapter filed the referral and got its reference."""
    new = state.copy()
    new.mode, new.reference, new.focus = "done", reference, None
    lang = new.language
    parts = [
        text(lang, "filed.reference", reference=reference),
        text(lang, "filed.contact"),
        text(lang, "filed.interim"),
        text(lang, "filed.complaint"),
    ]
    if ctx.can_delete_chat:
        parts.append(text(lang, "filed.chat_deleted"))
    kommune = new.answers.get("kommune")
    if isinstance(kommune, str) and in_sami_area(kommune):
        parts.append(text(lang, "filed.sami"))
    return new, [Reply(text="\n\n".join(parts), step="done", reference=reference)]


def filing_failed(state: State, ctx: Context) -> tuple[State, list[Reply]]:
    """Filing did not go through: nothing is lost, the person can try to send again."""
    new = state.copy()
    new.mode = "summary"
    reply = Reply(
        text=text(new.language, "filing.failed"),
        step="summary",
        kind="choice",
        choices=render.summary_choices(new),
    )
    return new, [reply]
