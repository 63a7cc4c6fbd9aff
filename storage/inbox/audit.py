"""The hash-chained audit log: who did what to which referral, and when; never the content.

Each entry carries sha256(prev_hash || canonical entry), so editing, removing, reordering or
inserting an entry breaks the chain from that point on. The chain alone cannot stop someone who
rewrites the whole tail consistently; `AuditReport.head` is the value to note down elsewhere
(e.g. in the municipality's case system) to anchor it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
# The staff actions `Inbox.log_event` may append (bot/staff: sign-ins, views and searches,
# notices); the others are written by the inbox itself.
STAFF_EVENTS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "unlocked",
        "queue_viewed",
        "searched",
        "attachment_downloaded",
        "reopened",
        "staff_added",
        "staff_removed",
        "notice_sent",
        "audit_viewed",
        "overview_viewed",
        "note_key_registered",
    }
)
ACTIONS = STAFF_EVENTS | frozenset(
    {
        "filed",
        "opened",
        "exported",
        "status_changed",
        "assigned",
        "rewrapped",
        "deleted",
        "key_added",
        "key_retired",
        "note_added",
    }
)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    reference: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    count: int
    first_bad_index: int | None
    head: str = GENESIS


def utc(at: datetime) -> datetime:
    """Aware UTC; a naive value (as SQLite returns it) is taken to be UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def details_json(details: Mapping[str, Any]) -> str:
    return json.dumps(dict(details), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(entry: AuditEntry) -> bytes:
    """The bytes that are hashed: every field but the hashes, in a fixed form."""
    fields = {
        "action": entry.action,
        "actor": entry.actor,
        "at": utc(entry.at).strftime(_TIME_FORMAT),
        "details": dict(entry.details),
        "reference": entry.reference,
        "seq": entry.seq,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The entry's hash; "" for a `prev_hash` that is not 64 hex digits (a damaged row)."""
    if not is_hex64(prev_hash):
        return ""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(entry)).hexdigest()


def next_entry(
    previous: AuditEntry | tuple[int, str] | None,
    *,
    at: datetime,
    actor: str,
    action: str,
    reference: str | None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """The entry that follows `previous` (an entry, its (seq, hash), or None for the first),
    hash included."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if isinstance(previous, AuditEntry):
        previous = (previous.seq, previous.hash)
    prev_seq, prev_hash = previous if previous else (0, GENESIS)
    draft = AuditEntry(
        seq=prev_seq + 1,
        at=utc(at),
        actor=actor,
        action=action,
        reference=reference,
        # Round-trip through JSON so the stored and the hashed form are the same values.
        details=json.loads(details_json(details or {})),
        prev_hash=prev_hash,
    )
    return AuditEntry(**{**draft.__dict__, "hash": chain_hash(prev_hash, draft)})


def verify_chain(entries: Sequence[AuditEntry]) -> AuditReport:
    """Check sequence numbers, links and hashes; report the index of the first bad entry."""
    prev_hash = GENESIS
    for index, entry in enumerate(entries):
        good = (
            entry.seq == index + 1
            and entry.prev_hash == prev_hash
            and is_hex64(entry.hash)
            and entry.hash == chain_hash(prev_hash, entry)
        )
        if not good:
            return AuditReport(ok=False, count=len(entries), first_bad_index=index, head=prev_hash)
        prev_hash = entry.hash
    return AuditReport(ok=True, count=len(entries), first_bad_index=None, head=prev_hash)


def is_hex64(value: object) -> bool:
    """A hash as the chains store it: 64 lower-case hex digits (every filing checks two)."""
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None
