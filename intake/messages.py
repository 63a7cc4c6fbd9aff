"""Validation messages in bokmål, nynorsk and English (`messages/*.json`), looked up by key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intake.texts import LANGUAGES, Catalogue, Language

MESSAGES = Catalogue("intake", "messages")


def catalogue(language: Language) -> Mapping[str, str]:
    return MESSAGES.table(language)


def message(key: str, language: Language = "nb", /, **params: Any) -> str:
    """The message for `key` (the key of a `FieldError` or a rule's `Violation`)."""
    return MESSAGES.text(language, key, **params)


__all__ = ["LANGUAGES", "MESSAGES", "Language", "catalogue", "message"]
