"""Every word the web pages show: the dialogue's own texts (questions, commands, buttons) and
the web's layout texts in `bot/web/texts/{nb,nn,en}.json`. Templates only name keys."""

from __future__ import annotations

from typing import Any

from dialogues import flow
from intake.texts import Catalogue, Language, language_or_default

WEB_TEXTS = Catalogue("bot.web", "texts")


def web_text(language: Language, key: str, /, **params: Any) -> str:
    return WEB_TEXTS.text(language, key, **params)


def dialogue_text(language: Language, key: str, /, **params: Any) -> str:
    """A text of the dialogue itself (command names, button labels, progress)."""
    return flow.text(language, key, **params)


def language_of(value: object, default: Language = "nb") -> Language:
    return language_or_default(value, default)
