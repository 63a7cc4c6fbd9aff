"""The in-memory twin of the inbox: same behaviour as SqlInbox, for unit tests and demos."""

from __future__ import annotations

import builtins
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from intake.filing import Filing, ReferenceTaken
from storage.crypto.envelope import RecipientKey
from storage.inbox.audit import AuditEntry, AuditReport, next_entry, utc, verify_chain
from storage.inbox.common import (
    VerifyKeys,
    binding,
    check_event,
    check_key,
    check_status,
    filed_details,
    idempotency_hash,
    key_details,
    recipient_key,
    rewrap_details,
    status_details,
)
from storage.inbox.errors import UnknownReference
from storage.inbox.statuschain import chained, in_chain_order, seed
from storage.inbox.types import (
    AccessAction,
    FilingResult,
    InboxRecord,
    RegisteredKey,
    StatusEvent,
)

_ACCESS = {"open": "opened", "export": "exported"}


@dataclass
class _Row:
    id: uuid.UUID
    reference: str
    recipient: str
    received_at: datetime
    status: str
    outcome: str | None
    channel: str
    key_ids: tuple[str, ...]
    envelope: bytes
    coordinator: str | None
    idempotency_hash: str | None
    events: builtins.list[StatusEvent]


class MemoryInbox:
    def __init__(
        self, *, idempotency_secret: bytes = b"memory", verify_keys: VerifyKeys | None = None
    ) -> None:
        self._secret = idempotency_secret
        self.verify_keys = verify_keys
        self._lock = threading.RLock()
        self._rows: dict[str, _Row] = {}
        self._purged: dict[uuid.UUID, str] = {}  # purged id -> reference
        self._keys: dict[tuple[str, str], RegisteredKey] = {}
        self._audit: builtins.list[AuditEntry] = []
        self._event_ids = 0

    def file(self, filing: Filing) -> FilingResult:
        f = filing
        reference, referral_id, recipient, channel, actor = (
            f.reference,
            f.referral_id,
            f.recipient,
            f.channel,
            f.actor,
        )
        idem = idempotency_hash(self._secret, f.idempotency_key)
        received_at = utc(f.received_at)
        with self._lock:
            for row in self._rows.values():
                if idem is not None and row.idempotency_hash == idem:
                    return FilingResult(row.reference, row.received_at, duplicate=True)
            if reference in self._rows:
                raise ReferenceTaken()
            if any(row.id == referral_id for row in self._rows.values()):
                raise ValueError("referral id already filed")
            event = self._event(referral_id, [], "received", None, received_at, actor, None)
            self._rows[reference] = _Row(
                id=referral_id,
                reference=reference,
                recipient=recipient,
                received_at=received_at,
                status="received",
                outcome=None,
                channel=channel,
                key_ids=tuple(f.key_ids),
                envelope=bytes(f.envelope),
                coordinator=None,
                idempotency_hash=idem,
                events=[event],
            )
            self._append(received_at, actor, "filed", reference, filed_details(f))
        return FilingResult(reference, received_at, duplicate=False)

    def get(self, reference: str) -> InboxRecord | None:
        with self._lock:
            row = self._rows.get(reference)
            return self._record(row) if row else None

    def list(
        self, status: str | None = None, recipient: str | None = None
    ) -> builtins.list[InboxRecord]:
        with self._lock:
            rows = sorted(self._rows.values(), key=lambda r: (r.received_at, r.reference))
            return [
                self._record(r)
                for r in rows
                if (status is None or r.status == status)
                and (recipient is None or r.recipient == recipient)
            ]

    def envelope(self, reference: str) -> bytes:
        with self._lock:
            return self._row(reference).envelope

    def status_events(self, reference: str) -> builtins.list[StatusEvent]:
        with self._lock:
            return sorted(self._row(reference).events, key=lambda e: e.at)

    def status_histories(self, references: Sequence[str]) -> dict[str, builtins.list[StatusEvent]]:
        with self._lock:
            rows = [self._rows[r] for r in references if r in self._rows]
            return {row.reference: sorted(row.events, key=lambda e: e.at) for row in rows}

    def log_access(
        self, reference: str, action: AccessAction, actor: str, at: datetime | None = None
    ) -> None:
        with self._lock:
            self._row(reference)
            self._append(at or _now(), actor, _ACCESS[action], reference, {})

    def log_event(
        self,
        action: str,
        actor: str,
        reference: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        check_event(action)
        with self._lock:
            self._append(at or _now(), actor, action, reference, dict(details or {}))

    def add_note(
        self,
        reference: str,
        note_envelope: bytes,
        actor: str,
        at: datetime,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """A sealed note without a status change; `details` (never personal) join the audit."""
        with self._lock:
            row = self._row(reference)
            event = self._event(
                row.id, row.events, row.status, row.outcome, at, actor, bytes(note_envelope)
            )
            row.events.append(event)
            audit = {"status": row.status, **(details or {})}
            self._append(at, actor, "note_added", reference, audit)

    def delete(self, reference: str, actor: str, at: datetime, reason: str) -> None:
        with self._lock:
            self._purged[self._row(reference).id] = reference
            del self._rows[reference]
            self._append(at, actor, "deleted", reference, {"reason": reason})

    def set_status(
        self,
        reference: str,
        status: str,
        outcome: str | None,
        note_envelope: bytes | None,
        actor: str,
        at: datetime,
    ) -> None:
        check_status(status, outcome)
        with self._lock:
            row = self._row(reference)
            row.status, row.outcome = status, outcome
            event = self._event(row.id, row.events, status, outcome, at, actor, note_envelope)
            row.events.append(event)
            details = status_details(status, outcome, note_envelope is not None)
            self._append(at, actor, "status_changed", reference, details)

    def assign(self, reference: str, coordinator: str | None, actor: str, at: datetime) -> None:
        with self._lock:
            self._row(reference).coordinator = coordinator
            self._append(at, actor, "assigned", reference, {"coordinator": coordinator})

    def replace_envelope(
        self,
        reference: str,
        blob: bytes,
        key_ids: Sequence[str],
        actor: str,
        at: datetime | None = None,
    ) -> None:
        with self._lock:
            row = self._row(reference)
            details = rewrap_details(row.key_ids, key_ids)
            row.envelope, row.key_ids = bytes(blob), tuple(key_ids)
            self._append(at or _now(), actor, "rewrapped", reference, details)

    def replace_note(
        self,
        reference: str,
        event_id: int,
        blob: bytes,
        actor: str,
        at: datetime | None = None,
    ) -> None:
        with self._lock:
            row = self._row(reference)
            for index, event in enumerate(row.events):
                if event.id == event_id and event.note_envelope is not None:
                    row.events[index] = replace(event, note_envelope=bytes(blob))
                    self._append(at or _now(), actor, "rewrapped", reference, {"note": event_id})
                    return
        raise UnknownReference(f"{reference} note {event_id}")

    def _event(
        self,
        referral_id: uuid.UUID,
        earlier: builtins.list[StatusEvent],
        status: str,
        outcome: str | None,
        at: datetime,
        actor: str,
        note: bytes | None,
    ) -> StatusEvent:
        """A new event chained after the newest of `earlier` (storage.inbox.statuschain)."""
        last = in_chain_order(earlier)[-1].hash if earlier else None
        link = chained(last or seed(referral_id), referral_id, status=status, outcome=outcome,
                       at=at, actor=actor, note=note is not None)  # fmt: skip
        return StatusEvent(status, outcome, utc(at), actor, note, self._next_event(),
                           link["prev_hash"], link["hash"])  # fmt: skip

    def _next_event(self) -> int:
        self._event_ids += 1
        return self._event_ids

    def purge(self, now: datetime, retention_days: int, actor: str) -> int:
        cutoff = utc(now) - timedelta(days=retention_days)
        count = 0
        with self._lock:
            for reference in sorted(self._rows):
                row = self._rows[reference]
                if row.status != "closed":
                    continue
                closed_at = max(e.at for e in row.events if e.status == "closed")
                withdrawn = row.outcome == "withdrawn"
                if not withdrawn and closed_at > cutoff:
                    continue
                self._purged[row.id] = reference
                del self._rows[reference]
                reason = "withdrawn" if withdrawn else "retention"
                self._append(now, actor, "deleted", reference, {"reason": reason})
                count += 1
        return count

    def add_recipient_key(
        self,
        recipient: str,
        key_id: str,
        public_bytes: bytes,
        added_at: datetime,
        *,
        actor: str = "keys",
        replace: bool = False,
    ) -> bool:
        check_key(key_id, public_bytes)
        with self._lock:
            current = self._keys.get((recipient, key_id))
            others = sorted(
                k.key_id
                for k in self._keys.values()
                if k.recipient == recipient and k.key_id != key_id and not k.retired
            )
            retire = others if replace else []
            if current is not None and not current.retired and not retire:
                return False
            self._keys[(recipient, key_id)] = RegisteredKey(
                recipient, key_id, bytes(public_bytes), utc(added_at), False
            )
            for other in retire:
                self._keys[(recipient, other)] = _retired(self._keys[(recipient, other)])
            details = key_details(recipient, key_id, retire)
            self._append(added_at, actor, "key_added", None, details)
        return True

    def retire_recipient_key(
        self, recipient: str, key_id: str, *, actor: str, at: datetime
    ) -> bool:
        with self._lock:
            current = self._keys.get((recipient, key_id))
            if current is None or current.retired:
                return False
            self._keys[(recipient, key_id)] = _retired(current)
            details = key_details(recipient, key_id)
            self._append(at, actor, "key_retired", None, details)
        return True

    def recipient_keys(self, recipient: str) -> builtins.list[RecipientKey]:
        with self._lock:
            keys = [k for k in self._keys.values() if k.recipient == recipient and not k.retired]
        keys.sort(key=lambda k: k.key_id)
        keys.sort(key=lambda k: k.added_at, reverse=True)
        return [recipient_key(k.key_id, k.public_bytes) for k in keys]

    def all_recipient_keys(self) -> builtins.list[RegisteredKey]:
        with self._lock:
            keys = sorted(self._keys.values(), key=lambda k: k.key_id)
        keys.sort(key=lambda k: k.added_at, reverse=True)
        keys.sort(key=lambda k: k.recipient)
        return keys

    def audit_entries(self) -> builtins.list[AuditEntry]:
        with self._lock:
            return list(self._audit)

    def verify_audit(self) -> AuditReport:
        return verify_chain(self.audit_entries())

    def _row(self, reference: str) -> _Row:
        row = self._rows.get(reference)
        if row is None:
            raise UnknownReference(reference)
        return row

    def _record(self, row: _Row) -> InboxRecord:
        purged = row.id in self._purged or row.reference in self._purged.values()
        bound = binding(
            row.envelope,
            self.verify_keys,
            referral_id=row.id,
            reference=row.reference,
            recipient=row.recipient,
            channel=row.channel,
            received_at=row.received_at,
        )
        return InboxRecord(
            id=row.id,
            reference=row.reference,
            recipient=row.recipient,
            received_at=row.received_at,
            status=row.status,
            outcome=row.outcome,
            channel=row.channel,
            key_ids=row.key_ids,
            size=len(row.envelope),
            coordinator=row.coordinator,
            signature_ok=bound.signature_ok and not purged,
            mismatched=(*bound.mismatched, "purged") if purged else bound.mismatched,
            envelope_version=bound.version,
        )

    def _append(
        self,
        at: datetime,
        actor: str,
        action: str,
        reference: str | None,
        details: dict[str, Any],
    ) -> None:
        previous = self._audit[-1] if self._audit else None
        self._audit.append(
            next_entry(
                previous, at=at, actor=actor, action=action, reference=reference, details=details
            )
        )


def _retired(key: RegisteredKey) -> RegisteredKey:
    return replace(key, retired=True)


def _now() -> datetime:
    return datetime.now(UTC)
