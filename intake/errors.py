"""Errors the domain raises. Messages carry a key and parameters, never the offending input."""

from __future__ import annotations

from typing import Any


class IntakeError(Exception):
    """Base class of every error ke-intake raises on purpose."""


class FieldError(IntakeError, ValueError):
    """An answer or field value that fails its validator.

    It is a ValueError so pydantic reports it like any other validation error. `key` names a
    message in `intake/messages/*.json`; `params` fill its placeholders. The input itself is never
    stored here, so an error can be logged or shown without leaking what the person typed.
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)


class AmbiguousKommune(FieldError):
    """A municipality name that matches more than one municipality (e.g. Herøy)."""

    def __init__(self, candidates: list[tuple[str, str]]) -> None:
        super().__init__("kommune_ambiguous", names=", ".join(name for _, name in candidates))
        self.candidates = candidates


class KommuneNearMiss(AmbiguousKommune):
    """No municipality has that name, but one or a few are spelt nearly so ("Bergn")."""

    def __init__(self, candidates: list[tuple[str, str]]) -> None:
        super().__init__(candidates)
        self.key = "kommune_near"
