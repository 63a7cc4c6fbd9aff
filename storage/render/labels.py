"""Staff-facing labels for a referral, in bokmål, nynorsk and English (`labels/*.json`)."""

from __future__ import annotations

from typing import Any

from intake.texts import LANGUAGES, Catalogue, Language

LABELS = Catalogue("storage.render", "labels")


class Labels:
    """Look up `group.key` texts; an unknown enum value is shown as is rather than failing,
    so a referral from a newer schema still renders."""

    def __init__(self, language: Language = "nb") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language: {language}")
        self.language: Language = language

    def t(self, path: str, /, **params: Any) -> str:
        return LABELS.text(self.language, path, **params)

    def enum(self, group: str, value: str) -> str:
        # A value the labels do not name (a newer schema's) is data, not a missing text.
        key = f"enum.{group}.{value}"
        return LABELS.text(self.language, key) if LABELS.has(key, self.language) else str(value)

    def yes_no(self, value: bool | None) -> str | None:
        if value is None:
            return None
        return self.t("document.yes") if value else self.t("document.no")


__all__ = ["LABELS", "LANGUAGES", "Labels", "Language"]
