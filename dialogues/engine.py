"""The one dialogue engine: `step(state, input, ctx) -> (state, replies, effects)`.

Pure and synchronous: no I/O, no clock (ctx.today/ctx.now), no settings but `ctx`. It never
raises: a bug shows a short apology and the current question again, with every answer kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from dialogues import plan, render, summary
from dialogues.build import key_for
from dialogues.flow import ROLES, text
from dialogues.state import State
from dialogues.turn import Turn, fresh_state
from dialogues.types import Context, Effect, Reply, UserInput
from intake.kommuner import in_sami_area
from intake.messages import Language
from intake.rules import Violation

_log = logging.getLogger(__name__)

__all__ = [
    "ROLES",
    "State",
    "current_step",
    "filed",
    "filing_failed",
    "filing_refused",
    "new_state",
    "resume_filing",
    "revisit_keys",
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


def resume_filing(state: State, ctx: Context) -> tuple[State, list[Reply], list[Effect]]:
    """For a conversation saved in mode "filing" whose filing never came back (the process
    stopped): the same `FileReferral` again (same idempotency key: at most one referral in the
    inbox), or what the rules refuse by now. Any other state is returned unchanged."""
    if state.mode != "filing":
        return state, [], []
    return step(state, UserInput(), ctx)


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


def filing_refused(
    state: State, violations: Sequence[Violation], ctx: Context
) -> tuple[State, list[Reply]]:
    """Filing refused the referral (a rule judged at filing time, e.g. an age that changed at
    midnight): ask again the question the first problem concerns, with its message, as the
    engine does when it finds the problem itself before sending."""
    turn = Turn(state.copy(), ctx)
    turn.state.mode = "summary"
    summary.route(turn, violations[0] if violations else None)
    return turn.state, turn.replies


def revisit_keys(state: State, violations: Sequence[Violation], ctx: Context) -> tuple[str, ...]:
    """The questions the problems concern, in the order of the problems (each once)."""
    slots = plan.plan(state, ctx)
    keys = (key_for(v.field, slots, v.key) for v in violations)
    return tuple(dict.fromkeys(k for k in keys if k is not None))
