"""Where the adapter finds every word it shows: the dialogue's own texts. The adapter only names
keys; the sentences live in `dialogues/texts/{nb,nn,en}.json`."""

from __future__ import annotations

from typing import Any

from bot.runtime.wording import language_of
from dialogues import flow
from intake.messages import Language

# Button labels and channel notices, by the adapter's purpose -> text key.
KEYS = {
    "done": "btn.done",
    "skip": "btn.skip",
    "stale": "tg.button_outdated",
    "slow_down": "tg.slow_down",
    "send_again": "tg.send_again",
    "send_again_button": "tg.send_again_button",
    "unreadable": "tg.unreadable",
    "failed": "tg.failed",
    "unavailable": "tg.unavailable",
    "draft_lost": "tg.draft_lost",
    "removed": "tg.removed",
    "removed_none": "tg.removed_none",
    "removed_left": "tg.removed_left",
    "unsupported": "tg.unsupported",
    "progress": "progress",
    "keep_chat": "tg.keep_chat",
    "keep_on": "tg.keep_chat.on",
    "keep_off": "tg.keep_chat.off",
    "kept": "tg.kept",
    "late": "tg.late",
    "late_dropped": "tg.late_dropped",
}

__all__ = ["COMMANDS", "KEYS", "command_description", "language_of", "text"]

COMMANDS = ("start", "help", "back", "summary", "cancel", "language")


def text(language: Language, purpose: str, **params: Any) -> str:
    return flow.text(language, KEYS.get(purpose, purpose), **params)


def command_description(language: Language, command: str) -> str:
    return flow.text(language, f"cmd.{command}")
