"""The KE inbox: sealed referrals with readable routing columns, status, keys and audit log.

- `SqlInbox(engine, idempotency_secret=..., verify_keys=...)` on SQLite or PostgreSQL (tables in
  `schema.py`, created by the Alembic migrations in `migrations/`; engines in `db.py`), and
  `MemoryInbox`, its twin; both satisfy the `Inbox` protocol and pass one contract test.
- Readable without the KE's private key: id, reference, recipient, times, status and outcome,
  channel, key ids, size and coordinator. The referral itself, and staff notes on status changes,
  are sealed envelopes. A client's idempotency key is stored only as a keyed hash.
- Every write is one transaction together with its entry in the hash-chained audit log
  (`audit.py`); filing is idempotent on the client's key, also under concurrent retries.
- `InboxRecord.signature_ok` tells whether the envelope carries a valid filing signature (from
  `verify_keys`) for this row's referral and recipient, so a forged or moved envelope shows.
- `rewrap.rewrap_inbox` re-seals envelopes to a recipient's current keys after a rotation.
"""

from storage.inbox.audit import AuditEntry, AuditReport
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
