"""Errors the inbox raises on purpose; messages name references and ids, never content."""

from __future__ import annotations

from intake.errors import IntakeError


class InboxError(IntakeError):
    """Base class of the inbox's own errors."""


class UnknownReference(InboxError, KeyError):
    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(f"no referral with reference {reference}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class InvalidStatus(InboxError, ValueError):
    """A status or outcome outside REFERRAL.md's lists, or an outcome without `closed`."""
