"""Every word a channel shows that is not a reply of the engine: looked up, never written here.
The sentences live with the dialogue's texts; the problems' with `intake`'s messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dialogues import flow
from intake.messages import message
from intake.rules import Violation
from intake.texts import Language, language_or_default


def text(language: Language, key: str, **params: Any) -> str:
    return flow.text(language, key, **params)


def problem(language: Language, violation: Violation) -> str:
    """What a rule's violation says to the person."""
    return message(violation.key, language, **violation.params)


def problems(language: Language, violations: Iterable[Violation]) -> str:
    return "; ".join(problem(language, v) for v in violations)


def language_of(code: str | None, default: str = "nb") -> Language:
    """A client's language tag (Telegram's language_code, a browser's first Accept-Language)
    -> ours: Norwegian variants to bokmål unless nynorsk, other languages to English, none to
    `default`."""
    fallback = language_or_default(default)
    if not code:
        return fallback
    code = code.lower()
    if code.startswith("nn"):
        return "nn"
    if code.startswith(("nb", "no")):
        return "nb"
    return "en"
