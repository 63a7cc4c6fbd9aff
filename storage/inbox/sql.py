"""The inbox on SQLAlchemy Core: SQLite by default, PostgreSQL in production.

Every write is one transaction that also appends its audit entry. Audit appends are serialised
(SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a lock on `audit_log`) so the hash chain stays a chain
under concurrent filings.
"""

from __future__ import annotations

import builtins
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from intake.filing import ReferenceTaken
from storage.crypto.envelope import RecipientKey
from storage.inbox.audit import AuditEntry, AuditReport, details_json, next_entry, utc, verify_chain
from storage.inbox.common import (
    VerifyKeys,
    check_event,
    check_key,
    check_status,
    idempotency_hash,
    join_ids,
    recipient_key,
    signature_ok,
    split_ids,
)
from storage.inbox.db import writing
from storage.inbox.errors import UnknownReference
from storage.inbox.schema import audit_log, recipient_keys, referrals, status_events
from storage.inbox.types import (
    AccessAction,
    FilingResult,
    InboxRecord,
    RegisteredKey,
    StatusEvent,
)

log = logging.getLogger(__name__)
_ACCESS = {"open": "opened", "export": "exported"}
_LISTED = [c for c in referrals.c if c.name != "idempotency_hash"]


class SqlInbox:
    def __init__(
        self,
        engine: Engine,
        *,
        idempotency_secret: bytes,
        verify_keys: VerifyKeys | None = None,
    ) -> None:
        self.engine = engine
        self._secret = idempotency_secret
        self.verify_keys = verify_keys

    # -- filing ------------------------------------------------------------------------------

    def file(
        self,
        envelope: bytes,
        *,
        referral_id: uuid.UUID,
        reference: str,
        recipient: str,
        channel: str,
        received_at: datetime,
        key_ids: Sequence[str],
        idempotency_key: str | None,
        actor: str,
    ) -> FilingResult:
        idem = idempotency_hash(self._secret, idempotency_key)
        if idem and (earlier := self._filed_with(idem)):
            return earlier
        try:
            with writing(self.engine) as conn:
                self._lock(conn)
                conn.execute(
                    referrals.insert().values(
                        id=referral_id,
                        reference=reference,
                        recipient=recipient,
                        received_at=received_at,
                        status="received",
                        outcome=None,
                        channel=channel,
                        key_ids=join_ids(key_ids),
                        size=len(envelope),
                        coordinator=None,
                        envelope=envelope,
                        idempotency_hash=idem,
                    )
                )
                conn.execute(
                    status_events.insert().values(
                        referral_id=referral_id,
                        status="received",
                        outcome=None,
                        at=received_at,
                        actor=actor,
                        note=None,
                    )
                )
                details = {"recipient": recipient, "channel": channel, "size": len(envelope)}
                self._append(conn, received_at, actor, "filed", reference, details)
        except IntegrityError:
            # A concurrent duplicate won the race, or the reference is taken: tell which.
            if idem and (earlier := self._filed_with(idem)):
                return earlier
            if self.get(reference) is not None:
                raise ReferenceTaken() from None
            raise
        return FilingResult(reference, utc(received_at), duplicate=False)

    def _filed_with(self, idem: str) -> FilingResult | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(referrals.c.reference, referrals.c.received_at).where(
                    referrals.c.idempotency_hash == idem
                )
            ).first()
        return FilingResult(row.reference, row.received_at, duplicate=True) if row else None

    # -- reading -----------------------------------------------------------------------------

    def get(self, reference: str) -> InboxRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(*_LISTED).where(referrals.c.reference == reference)
            ).first()
        return self._record(row) if row else None

    def list(
        self, status: str | None = None, recipient: str | None = None
    ) -> builtins.list[InboxRecord]:
        query = sa.select(*_LISTED).order_by(referrals.c.received_at, referrals.c.reference)
        if status is not None:
            query = query.where(referrals.c.status == status)
        if recipient is not None:
            query = query.where(referrals.c.recipient == recipient)
        with self.engine.connect() as conn:
            return [self._record(row) for row in conn.execute(query)]

    def envelope(self, reference: str) -> bytes:
        with self.engine.connect() as conn:
            blob = conn.execute(
                sa.select(referrals.c.envelope).where(referrals.c.reference == reference)
            ).scalar()
        if blob is None:
            raise UnknownReference(reference)
        return bytes(blob)

    def status_events(self, reference: str) -> builtins.list[StatusEvent]:
        with self.engine.connect() as conn:
            referral_id = self._id_of(conn, reference)
            rows = conn.execute(
                sa.select(status_events)
                .where(status_events.c.referral_id == referral_id)
                .order_by(status_events.c.at, status_events.c.id)
            )
            return [
                StatusEvent(
                    r.status, r.outcome, r.at, r.actor, bytes(r.note) if r.note else None, r.id
                )
                for r in rows
            ]

    def _record(self, row: Any) -> InboxRecord:
        blob = bytes(row.envelope)
        return InboxRecord(
            id=row.id,
            reference=row.reference,
            recipient=row.recipient,
            received_at=row.received_at,
            status=row.status,
            outcome=row.outcome,
            channel=row.channel,
            key_ids=split_ids(row.key_ids),
            size=row.size,
            coordinator=row.coordinator,
            signature_ok=signature_ok(blob, self.verify_keys, row.id, row.recipient),
        )

    # -- staff actions -----------------------------------------------------------------------

    def log_access(
        self, reference: str, action: AccessAction, actor: str, at: datetime | None = None
    ) -> None:
        with writing(self.engine) as conn:
            self._lock(conn)
            self._id_of(conn, reference)
            self._append(conn, at or _now(), actor, _ACCESS[action], reference, {})

    def log_event(
        self,
        action: str,
        actor: str,
        reference: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        check_event(action)
        with writing(self.engine) as conn:
            self._lock(conn)
            self._append(conn, at or _now(), actor, action, reference, dict(details or {}))

    def add_note(self, reference: str, note_envelope: bytes, actor: str, at: datetime) -> None:
        with writing(self.engine) as conn:
            self._lock(conn)
            referral_id = self._id_of(conn, reference)
            row = conn.execute(
                sa.select(referrals.c.status, referrals.c.outcome).where(
                    referrals.c.id == referral_id
                )
            ).one()
            conn.execute(
                status_events.insert().values(
                    referral_id=referral_id,
                    status=row.status,
                    outcome=row.outcome,
                    at=at,
                    actor=actor,
                    note=note_envelope,
                )
            )
            self._append(conn, at, actor, "note_added", reference, {"status": row.status})

    def delete(self, reference: str, actor: str, at: datetime, reason: str) -> None:
        with writing(self.engine) as conn:
            self._lock(conn)
            referral_id = self._id_of(conn, reference)
            conn.execute(status_events.delete().where(status_events.c.referral_id == referral_id))
            conn.execute(referrals.delete().where(referrals.c.id == referral_id))
            self._append(conn, at, actor, "deleted", reference, {"reason": reason})
        if self.engine.dialect.name == "sqlite":
            self._checkpoint()

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
        with writing(self.engine) as conn:
            self._lock(conn)
            referral_id = self._id_of(conn, reference)
            conn.execute(
                referrals.update()
                .where(referrals.c.id == referral_id)
                .values(status=status, outcome=outcome)
            )
            conn.execute(
                status_events.insert().values(
                    referral_id=referral_id,
                    status=status,
                    outcome=outcome,
                    at=at,
                    actor=actor,
                    note=note_envelope,
                )
            )
            details = {"status": status, "outcome": outcome, "note": note_envelope is not None}
            self._append(conn, at, actor, "status_changed", reference, details)

    def assign(self, reference: str, coordinator: str | None, actor: str, at: datetime) -> None:
        with writing(self.engine) as conn:
            self._lock(conn)
            referral_id = self._id_of(conn, reference)
            conn.execute(
                referrals.update()
                .where(referrals.c.id == referral_id)
                .values(coordinator=coordinator)
            )
            self._append(conn, at, actor, "assigned", reference, {"coordinator": coordinator})

    def replace_envelope(
        self,
        reference: str,
        blob: bytes,
        key_ids: Sequence[str],
        actor: str,
        at: datetime | None = None,
    ) -> None:
        with writing(self.engine) as conn:
            self._lock(conn)
            referral_id = self._id_of(conn, reference)
            old = conn.execute(
                sa.select(referrals.c.key_ids).where(referrals.c.id == referral_id)
            ).scalar_one()
            conn.execute(
                referrals.update()
                .where(referrals.c.id == referral_id)
                .values(envelope=blob, key_ids=join_ids(key_ids), size=len(blob))
            )
            details = {"from_key_ids": list(split_ids(old)), "to_key_ids": list(key_ids)}
            self._append(conn, at or _now(), actor, "rewrapped", reference, details)

    def replace_note(
        self,
        reference: str,
        event_id: int,
        blob: bytes,
        actor: str,
        at: datetime | None = None,
    ) -> None:
        """Swap a status event's sealed note for a re-sealed one (key rotation)."""
        e = status_events.c
        with writing(self.engine) as conn:
            self._lock(conn)
            referral_id = self._id_of(conn, reference)
            changed = conn.execute(
                status_events.update()
                .where(e.id == event_id, e.referral_id == referral_id, e.note.is_not(None))
                .values(note=blob)
            ).rowcount
            if not changed:
                raise UnknownReference(f"{reference} note {event_id}")
            self._append(conn, at or _now(), actor, "rewrapped", reference, {"note": event_id})

    def purge(self, now: datetime, retention_days: int, actor: str) -> int:
        """Delete withdrawn referrals and those closed more than `retention_days` ago."""
        cutoff = now - timedelta(days=retention_days)
        closed_at = sa.func.max(status_events.c.at).label("closed_at")
        query = (
            sa.select(referrals.c.id, referrals.c.reference, referrals.c.outcome, closed_at)
            .join(status_events, status_events.c.referral_id == referrals.c.id)
            .where(referrals.c.status == "closed", status_events.c.status == "closed")
            .group_by(referrals.c.id, referrals.c.reference, referrals.c.outcome)
            .order_by(referrals.c.reference)
        )
        count = 0
        with writing(self.engine) as conn:
            self._lock(conn)
            for row in conn.execute(query).all():
                withdrawn = row.outcome == "withdrawn"
                if not withdrawn and row.closed_at > cutoff:
                    continue
                conn.execute(status_events.delete().where(status_events.c.referral_id == row.id))
                conn.execute(referrals.delete().where(referrals.c.id == row.id))
                reason = "withdrawn" if withdrawn else "retention"
                self._append(conn, now, actor, "deleted", row.reference, {"reason": reason})
                count += 1
        if count and self.engine.dialect.name == "sqlite":
            self._checkpoint()
        return count

    def _checkpoint(self) -> None:
        """Fold the WAL into the main file so deleted pages (zeroed by secure_delete) go too."""
        raw = self.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    # -- recipient keys ----------------------------------------------------------------------

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
        """Register a key (True), or say it is already current (False). `replace` retires the
        recipient's other keys: the start of a new key generation."""
        check_key(key_id, public_bytes)
        k = recipient_keys.c
        with writing(self.engine) as conn:
            self._lock(conn)
            row = conn.execute(
                sa.select(k.retired).where(k.recipient == recipient, k.key_id == key_id)
            ).first()
            others = conn.execute(
                sa.select(k.key_id).where(
                    k.recipient == recipient, k.key_id != key_id, k.retired.is_(False)
                )
            ).scalars()
            retire = sorted(others) if replace else []
            if row is not None and not row.retired and not retire:
                return False
            if row is None:
                conn.execute(
                    recipient_keys.insert().values(
                        recipient=recipient,
                        key_id=key_id,
                        public_key=public_bytes,
                        added_at=added_at,
                        retired=False,
                    )
                )
            else:
                conn.execute(
                    recipient_keys.update()
                    .where(k.recipient == recipient, k.key_id == key_id)
                    .values(retired=False, added_at=added_at)
                )
            if retire:
                conn.execute(
                    recipient_keys.update()
                    .where(k.recipient == recipient, k.key_id.in_(retire))
                    .values(retired=True)
                )
            details = {"recipient": recipient, "key_id": key_id, "retired": retire}
            self._append(conn, added_at, actor, "key_added", None, details)
        return True

    def retire_recipient_key(
        self, recipient: str, key_id: str, *, actor: str, at: datetime
    ) -> bool:
        k = recipient_keys.c
        with writing(self.engine) as conn:
            self._lock(conn)
            changed = conn.execute(
                recipient_keys.update()
                .where(k.recipient == recipient, k.key_id == key_id, k.retired.is_(False))
                .values(retired=True)
            ).rowcount
            if changed:
                details = {"recipient": recipient, "key_id": key_id}
                self._append(conn, at, actor, "key_retired", None, details)
        return bool(changed)

    def recipient_keys(self, recipient: str) -> builtins.list[RecipientKey]:
        k = recipient_keys.c
        query = (
            sa.select(k.key_id, k.public_key)
            .where(k.recipient == recipient, k.retired.is_(False))
            .order_by(k.added_at.desc(), k.key_id)
        )
        with self.engine.connect() as conn:
            return [recipient_key(r.key_id, bytes(r.public_key)) for r in conn.execute(query)]

    def all_recipient_keys(self) -> builtins.list[RegisteredKey]:
        k = recipient_keys.c
        query = sa.select(recipient_keys).order_by(k.recipient, k.added_at.desc(), k.key_id)
        with self.engine.connect() as conn:
            return [
                RegisteredKey(r.recipient, r.key_id, bytes(r.public_key), r.added_at, r.retired)
                for r in conn.execute(query)
            ]

    # -- audit -------------------------------------------------------------------------------

    def audit_entries(self) -> builtins.list[AuditEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq))
            return [_entry(row) for row in rows]

    def verify_audit(self) -> AuditReport:
        return verify_chain(self.audit_entries())

    # -- helpers -----------------------------------------------------------------------------

    def _lock(self, conn: sa.Connection) -> None:
        # SQLite already holds the write lock (BEGIN IMMEDIATE); PostgreSQL serialises writers
        # on the audit table while still letting readers read.
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"))

    def _id_of(self, conn: sa.Connection, reference: str) -> uuid.UUID:
        found = conn.execute(
            sa.select(referrals.c.id).where(referrals.c.reference == reference)
        ).scalar()
        if found is None:
            raise UnknownReference(reference)
        return uuid.UUID(str(found))

    def _append(
        self,
        conn: sa.Connection,
        at: datetime,
        actor: str,
        action: str,
        reference: str | None,
        details: dict[str, Any],
    ) -> None:
        last = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
        entry = next_entry(
            _entry(last) if last else None,
            at=at,
            actor=actor,
            action=action,
            reference=reference,
            details=details,
        )
        conn.execute(
            audit_log.insert().values(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                reference=entry.reference,
                details=details_json(entry.details),
                prev_hash=entry.prev_hash,
                hash=entry.hash,
            )
        )


def _entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except ValueError:
        details = None
    if not isinstance(details, dict):
        details = {"unreadable": row.details}  # fails verification, as it should
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        reference=row.reference,
        details=details,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _now() -> datetime:
    return datetime.now(UTC)
