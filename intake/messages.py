"""Validation messages in bokmål, nynorsk and English, looked up by key."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["nb", "nn", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "nn", "en")


@cache
def catalogue(language: Language) -> dict[str, str]:
    text = resources.files("intake").joinpath(f"messages/{language}.json").read_text("utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def message(key: str, language: Language = "nb", **params: Any) -> str:
    """The text for a message key; an unknown key falls back to the generic 'invalid format'."""
    template = catalogue(language).get(key) or catalogue(language)["format_invalid"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
