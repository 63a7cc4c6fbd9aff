"""The KE inbox: sealed referrals with readable routing columns, status, keys and audit log."""

from storage.audit import AuditEntry, AuditReport
from storage.inbox.errors import InboxError, InvalidStatus, UnknownReference
from storage.inbox.memory import MemoryInbox
from storage.inbox.sql import SqlInbox
from storage.inbox.types import (
    OUTCOMES,
    STATUSES,
    FilingResult,
    Inbox,
    InboxRecord,
    RegisteredKey,
    StatusEvent,
)

__all__ = [
    "OUTCOMES",
    "STATUSES",
    "AuditEntry",
    "AuditReport",
    "FilingResult",
    "Inbox",
    "InboxError",
    "InboxRecord",
    "InvalidStatus",
    "MemoryInbox",
    "RegisteredKey",
    "SqlInbox",
    "StatusEvent",
    "UnknownReference",
]


def _conforms(memory: MemoryInbox, sql: SqlInbox) -> tuple[Inbox, Inbox]:
    """Never called: mypy checks here that both twins implement the Inbox protocol."""
    return memory, sql
