"""Staff-facing labels for a referral, in bokmål, nynorsk and English (`labels/*.json`)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

Language = Literal["nb", "nn", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "nn", "en")


@cache
def _catalogue(language: Language) -> dict[str, Any]:
    text = resources.files("storage.render").joinpath(f"labels/{language}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class Labels:
    """Look up `group.key` texts; an unknown enum value is shown as is rather than failing,
    so a referral from a newer schema still renders."""

    def __init__(self, language: Language = "nb") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language: {language}")
        self.language: Language = language
        self._data = _catalogue(language)

    def t(self, path: str, **params: Any) -> str:
        group, key = path.split(".", 1)
        template: str = self._data[group][key]
        return template.format(**params) if params else template

    def enum(self, group: str, value: str) -> str:
        texts: dict[str, str] = self._data["enum"].get(group, {})
        return texts.get(str(value), str(value))

    def yes_no(self, value: bool | None) -> str | None:
        if value is None:
            return None
        return self.t("document.yes") if value else self.t("document.no")
