"""The inbox port: what every inbox (in memory, SQLite, PostgreSQL) offers, and its values.

Only what a KE may see without its private key is readable here: ids, reference, recipient,
times, status, channel, key ids and sizes. Everything about the person stays in the envelope.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from intake.filing import Filing
from storage.crypto.envelope import RecipientKey
from storage.inbox.audit import AuditEntry, AuditReport

if TYPE_CHECKING:
    from storage.inbox.common import VerifyKeys

STATUSES = ("received", "in_review", "coordinator_appointed", "closed")
OUTCOMES = ("plan_started", "coordinator_only", "declined", "forwarded", "withdrawn")
AccessAction = Literal["open", "export"]


@dataclass(frozen=True)
class InboxRecord:
    id: uuid.UUID
    reference: str
    recipient: str
    received_at: datetime
    status: str
    outcome: str | None
    channel: str
    key_ids: tuple[str, ...]
    size: int
    coordinator: str | None
    # True when the envelope carries a valid filing signature from a known intake key and every
    # column its header signs (storage.inbox.common.BOUND_COLUMNS) agrees with this row; False
    # for a forged or moved envelope, a swapped reference, an edited channel or time.
    signature_ok: bool
    # The bound columns that disagree with the signed header (empty when all agree, or when the
    # signature could not be checked at all).
    mismatched: tuple[str, ...] = ()
    # The envelope's format version (1 did not sign reference, channel or time); None unread.
    envelope_version: int | None = None


@dataclass(frozen=True)
class FilingResult:
    reference: str
    received_at: datetime
    duplicate: bool


@dataclass(frozen=True)
class StatusEvent:
    status: str
    outcome: str | None
    at: datetime
    actor: str
    note_envelope: bytes | None
    id: int | None = None  # set by the inbox; names the event for replace_note
    # The status chain (storage.inbox.statuschain): the previous event's hash and this one's.
    prev_hash: str | None = None
    hash: str | None = None


@dataclass(frozen=True)
class RegisteredKey:
    recipient: str
    key_id: str
    public_bytes: bytes
    added_at: datetime
    retired: bool


class Inbox(Protocol):
    # The intake's keys a filing signature is checked against (None: not checked).
    verify_keys: VerifyKeys | None

    def file(self, filing: Filing) -> FilingResult: ...

    def get(self, reference: str) -> InboxRecord | None: ...

    def list(
        self, status: str | None = None, recipient: str | None = None
    ) -> builtins.list[InboxRecord]: ...

    def envelope(self, reference: str) -> bytes: ...

    def status_events(self, reference: str) -> builtins.list[StatusEvent]: ...

    def status_histories(
        self, references: Sequence[str]
    ) -> dict[str, builtins.list[StatusEvent]]: ...

    def log_access(
        self, reference: str, action: AccessAction, actor: str, at: datetime | None = None
    ) -> None: ...

    def log_event(
        self,
        action: str,
        actor: str,
        reference: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None: ...

    def add_note(
        self,
        reference: str,
        note_envelope: bytes,
        actor: str,
        at: datetime,
        details: Mapping[str, Any] | None = None,
    ) -> None: ...

    def delete(self, reference: str, actor: str, at: datetime, reason: str) -> None: ...

    def set_status(
        self,
        reference: str,
        status: str,
        outcome: str | None,
        note_envelope: bytes | None,
        actor: str,
        at: datetime,
    ) -> None: ...

    def assign(self, reference: str, coordinator: str | None, actor: str, at: datetime) -> None: ...

    def replace_envelope(
        self,
        reference: str,
        blob: bytes,
        key_ids: Sequence[str],
        actor: str,
        at: datetime | None = None,
    ) -> None: ...

    def replace_note(
        self,
        reference: str,
        event_id: int,
        blob: bytes,
        actor: str,
        at: datetime | None = None,
    ) -> None: ...

    def purge(self, now: datetime, retention_days: int, actor: str) -> int: ...

    def add_recipient_key(
        self,
        recipient: str,
        key_id: str,
        public_bytes: bytes,
        added_at: datetime,
        *,
        actor: str = "keys",
        replace: bool = False,
    ) -> bool: ...

    def retire_recipient_key(
        self, recipient: str, key_id: str, *, actor: str, at: datetime
    ) -> bool: ...

    def recipient_keys(self, recipient: str) -> builtins.list[RecipientKey]: ...

    def all_recipient_keys(self) -> builtins.list[RegisteredKey]: ...

    def audit_entries(self) -> builtins.list[AuditEntry]: ...

    def verify_audit(self) -> AuditReport: ...
