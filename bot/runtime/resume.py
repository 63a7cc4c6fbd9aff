"""After a gap, a person is asked whether to continue or start over: the same offer in every
channel that keeps a conversation between visits (Telegram, the web chat).

    if resume.due(state, seen=last_seen, now=now, after=gap) and ui.command is None:
        show resume.offer(state.language)     # a choice Reply, step "resume"
    ...
    ui = resume.answer(choice_id)             # "resume" -> start, "start_over" -> restart

The engine itself resumes on `start` (saying where it stopped) and starts again on `restart`.
"""

from __future__ import annotations

import datetime as dt

from bot.runtime.wording import text
from dialogues.state import State
from dialogues.types import Choice, Reply, UserInput
from intake.texts import Language

STEP = "resume"  # the Reply step of the offer; its choices are the keys of ANSWERS
ANSWERS: dict[str, UserInput] = {
    "resume": UserInput(command="start"),
    "start_over": UserInput(command="restart"),
}
# Where a gap interrupts something worth offering to continue (not a sent or cancelled one).
ACTIVE_MODES = frozenset({"ask", "edit", "summary", "choose_edit", "language"})


def due(state: State, *, seen: dt.datetime, now: dt.datetime, after: dt.timedelta) -> bool:
    """Whether a person last seen at `seen` comes back after a gap, mid-conversation."""
    return now - seen >= after and state.mode in ACTIVE_MODES


def offer(language: Language) -> Reply:
    return Reply(
        text=text(language, "resume.prompt"),
        step=STEP,
        kind="choice",
        choices=(
            Choice("resume", text(language, "resume.continue")),
            Choice("start_over", text(language, "resume.start_over")),
        ),
    )


def answer(choice: str | None) -> UserInput | None:
    """The engine input a choice on the offer means (None: not one of its choices)."""
    return ANSWERS.get(choice or "")
