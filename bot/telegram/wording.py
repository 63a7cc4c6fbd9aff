"""Where the adapter finds every word it shows: the dialogue's own texts. The adapter only names
keys; the sentences live in `dialogues/texts/{nb,nn,en}.json`."""

from __future__ import annotations

from typing import Any

from dialogues import flow
from intake.messages import LANGUAGES, Language

# Button labels and channel notices, by the adapter's purpose -> text key.
KEYS = {
    "done": "btn.done",
    "skip": "btn.skip",
    "resume": "tg.resume",
    "start_over": "tg.start_over",
    "resume_prompt": "tg.resume_prompt",
    "stale": "tg.button_outdated",
    "slow_down": "tg.slow_down",
    "removed": "tg.removed",
    "removed_none": "tg.removed_none",
    "removed_left": "tg.removed_left",
    "unsupported": "tg.unsupported",
    "progress": "progress",
    "keep_chat": "tg.keep_chat",
    "keep_on": "tg.keep_chat.on",
    "keep_off": "tg.keep_chat.off",
    "kept": "tg.kept",
}

COMMANDS = ("start", "help", "back", "summary", "cancel", "language")


def text(language: Language, purpose: str, **params: Any) -> str:
    return flow.text(language, KEYS.get(purpose, purpose), **params)


def command_description(language: Language, command: str) -> str:
    return flow.text(language, f"cmd.{command}")


def language_of(code: str | None, default: str = "nb") -> Language:
    """A Telegram client's language_code -> our language; Norwegian variants map to bokmål
    unless nynorsk, other languages to English."""
    fallback: Language = next((code for code in LANGUAGES if code == default), "nb")
    if not code:
        return fallback
    code = code.lower()
    if code.startswith("nn"):
        return "nn"
    if code.startswith(("nb", "no")):
        return "nb"
    return "en"
