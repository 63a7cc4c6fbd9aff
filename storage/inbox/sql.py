"""The inbox on SQLAlchemy Core: SQLite by default, PostgreSQL in production.

Every write is one transaction that also appends its audit entry. Filings go through a group
commit (`storage.group`): concurrent filings in a process are written together, their
audit entries chained in order after the tip this process remembers, without a lock; another
process's append in between makes the `seq` primary key refuse the batch, which is then written
under the audit lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a lock on `audit_log`) with the
tip read afresh. Every other write takes that lock, so the hash chain stays one chain.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from intake.filing import Filing, ReferenceTaken
from storage.crypto.envelope import RecipientKey
from storage.group import GroupCommit, Slot
from storage.inbox.audit import AuditEntry, AuditReport, details_json, next_entry, utc, verify_chain
from storage.inbox.common import (
    KEY_CACHE_SECONDS,
    VerifyKeys,
    binding,
    check_event,
    check_key,
    check_status,
    filed_details,
    idempotency_hash,
    join_ids,
    key_details,
    recipient_key,
    rewrap_details,
    split_ids,
    status_details,
    stored_time,
)
from storage.inbox.db import writing
from storage.inbox.errors import UnknownReference
from storage.inbox.schema import (
    audit_log,
    purged_referrals,
    recipient_keys,
    referrals,
    status_events,
)
from storage.inbox.statuschain import chained, seed
from storage.inbox.types import (
    AccessAction,
    FilingResult,
    InboxRecord,
    RegisteredKey,
    StatusEvent,
)

log = logging.getLogger(__name__)
# A locked batch that still meets another process's append is tried again this often.
_ATTEMPTS = 5
_ACCESS = {"open": "opened", "export": "exported"}
# Times are read as stored text (sa.type_coerce): on SQLite a damaged time is then a finding
# (storage.inbox.common.stored_time) instead of an exception in the middle of a listing.
_LISTED = [
    *(
        sa.type_coerce(c, sa.String).label(c.name) if c.name == "received_at" else c
        for c in referrals.c
        if c.name != "idempotency_hash"
    ),
    # A row whose id or reference was purged is a copy brought back (a restored backup).
    sa.exists()
    .where(
        sa.or_(
            purged_referrals.c.referral_id == referrals.c.id,
            purged_referrals.c.reference == referrals.c.reference,
        )
    )
    .label("purged"),
]

# A recipient's current keys, newest first. Built once: a filing whose key cache has run out
# reads them, and building the query anew each time cost more CPU than running it.
_CURRENT_KEYS = (
    sa.select(recipient_keys.c.key_id, recipient_keys.c.public_key)
    .where(
        recipient_keys.c.recipient == sa.bindparam("recipient"),
        recipient_keys.c.retired.is_(False),
    )
    .order_by(recipient_keys.c.added_at.desc(), recipient_keys.c.key_id)
)


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
        self._filings: GroupCommit[_Filing, FilingResult] = GroupCommit(self._file_batch)
        # The audit chain's tip as this process last wrote it; None when unknown.
        self._tip: tuple[int, str] | None = None
        # PostgreSQL: the connection of the last batch, kept while another batch queues behind
        # it (see _batch_connection); None otherwise.
        self._held: sa.Connection | None = None
        # recipient -> (read at, its current keys); see KEY_CACHE_SECONDS.
        self._keys: dict[str, tuple[float, builtins.list[RecipientKey]]] = {}
        self._key_reading = threading.Lock()
        self._keys_generation = 0  # counts the clears of `_keys`

    # -- filing ------------------------------------------------------------------------------

    def file(self, filing: Filing) -> FilingResult:
        """File one referral. Concurrent filings in this process are written together (see
        `storage.group`): one transaction, audit entries chained in order."""
        pending = _Filing.of(filing, idempotency_hash(self._secret, filing.idempotency_key))
        return self._filings.submit(pending)

    def _file_batch(self, batch: Sequence[Slot[_Filing, FilingResult]]) -> None:
        """Write a batch in one transaction.

        The common case takes no lock: the chain's tip (seq, hash) is remembered from this
        process's last write and the entries are inserted after it; if another process has
        appended meanwhile, the primary key on `seq` refuses the insert. Then, or when a row's
        unique columns refuse it (a retried client key, a taken reference), the batch is written
        again under the audit lock with the tip read afresh and each filing judged on its own.
        """
        try:
            self._write_batch(batch)
        finally:
            if self._held is not None and not self._filings.followers():
                held, self._held = self._held, None
                held.close()

    def _write_batch(self, batch: Sequence[Slot[_Filing, FilingResult]]) -> None:
        works = [slot.work for slot in batch]
        tip, self._tip = self._tip, None  # unknown until a transaction is known to commit
        if tip is not None:
            try:
                new_tip = self._insert_optimistic(works, tip)
            except IntegrityError:
                pass
            else:
                self._tip = new_tip
                for slot in batch:
                    slot.settle(_filed(slot.work))
                return
        outcomes = self._insert_locked(works)
        for slot, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, FilingResult):
                slot.settle(outcome)
            elif isinstance(outcome, _Filing):  # the same client key twice in one batch
                slot.settle(_duplicate_of(outcome))
            else:
                slot.fail(outcome)

    def _insert_locked(
        self, works: Sequence[_Filing]
    ) -> builtins.list[FilingResult | _Filing | Exception]:
        for attempt in range(_ATTEMPTS):
            try:
                with writing(self.engine) as conn:
                    self._lock(conn)
                    outcomes, tip = self._insert_batch(conn, works)
            except IntegrityError:
                if attempt + 1 == _ATTEMPTS:
                    raise
                continue  # another process appended between our lock and our insert
            self._tip = tip
            return outcomes
        raise AssertionError("unreachable")

    def _insert_batch(
        self, conn: sa.Connection, filings: Sequence[_Filing]
    ) -> tuple[builtins.list[FilingResult | _Filing | Exception], tuple[int, str] | None]:
        """Under the audit lock: each filing checked against the stored rows, then written."""
        r = referrals.c
        idems = [f.idem for f in filings if f.idem]
        earlier: dict[str, FilingResult] = {}
        if idems:
            query = sa.select(r.idempotency_hash, r.reference, r.received_at)
            for row in conn.execute(query.where(r.idempotency_hash.in_(idems))):
                earlier[row.idempotency_hash] = FilingResult(
                    row.reference, utc(row.received_at), duplicate=True
                )
        taken = set(
            conn.execute(
                sa.select(r.reference).where(r.reference.in_([f.reference for f in filings]))
            ).scalars()
        )
        outcomes: list[FilingResult | _Filing | Exception] = []
        new: list[_Filing] = []
        first_with: dict[str, _Filing] = {}
        for f in filings:
            if f.idem and f.idem in earlier:
                outcomes.append(earlier[f.idem])
            elif f.idem and f.idem in first_with:
                outcomes.append(first_with[f.idem])
            elif f.reference in taken:
                outcomes.append(ReferenceTaken())
            else:
                taken.add(f.reference)
                if f.idem:
                    first_with[f.idem] = f
                new.append(f)
                outcomes.append(FilingResult(f.reference, utc(f.received_at), duplicate=False))
        tip = self._insert_new(conn, new, self._read_tip(conn)) if new else None
        return outcomes, tip

    def _insert_optimistic(self, works: Sequence[_Filing], tip: tuple[int, str]) -> tuple[int, str]:
        """The batch after `tip`, without the audit lock. On PostgreSQL one statement in
        autocommit (a round trip per batch: the referrals, their first status events and their
        audit entries are data-modifying CTEs of one INSERT, so all or nothing); on SQLite one
        `BEGIN IMMEDIATE` transaction, which is SQLite's only way to write anyway."""
        rows, events, entries, new_tip = _batch_rows(works, tip)
        if self.engine.dialect.name != "postgresql":
            with writing(self.engine) as conn:
                _insert_rows(conn, rows, events, entries)
            return new_tip
        conn = self._batch_connection()
        try:
            _insert_rows(conn, rows, events, entries)
        except BaseException:
            conn.close()
            raise
        self._held = conn  # _file_batch closes it unless another batch follows
        return new_tip

    def _batch_connection(self) -> sa.Connection:
        """An autocommit connection for one batch statement. Under a stream of filings one
        batch follows another at once: the connection the last one used is taken again, without
        the round trip of the pool's pre-ping (it answered a moment ago); once no batch waits it
        goes back to the pool, so an idle inbox holds none."""
        held, self._held = self._held, None
        if held is not None and not held.invalidated and not held.closed:
            return held
        if held is not None:
            held.close()
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _insert_new(
        self, conn: sa.Connection, new: Sequence[_Filing], tip: tuple[int, str] | None
    ) -> tuple[int, str]:
        rows, events, entries, new_tip = _batch_rows(new, tip)
        _insert_rows(conn, rows, events, entries)
        return new_tip

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
            rows = conn.execute(_events_query().where(status_events.c.referral_id == referral_id))
            return [_event(r) for r in rows]

    def status_histories(self, references: Sequence[str]) -> dict[str, builtins.list[StatusEvent]]:
        """Every referral's status events in one query (a referral with none is left out)."""
        r = referrals.c
        query = _events_query(r.reference).join(referrals, r.id == status_events.c.referral_id)
        found: dict[str, list[StatusEvent]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query.where(r.reference.in_(list(references)))):
                found.setdefault(row.reference, []).append(_event(row))
        return found

    def _record(self, row: Any) -> InboxRecord:
        blob = bytes(row.envelope)
        received_at = stored_time(row.received_at)
        bound = binding(
            blob,
            self.verify_keys,
            referral_id=row.id,
            reference=row.reference,
            recipient=row.recipient,
            channel=row.channel,
            received_at=received_at,
        )
        mismatched = (*bound.mismatched, "purged") if row.purged else bound.mismatched
        return InboxRecord(
            id=row.id,
            reference=row.reference,
            recipient=row.recipient,
            received_at=received_at,
            status=row.status,
            outcome=row.outcome,
            channel=row.channel,
            key_ids=split_ids(row.key_ids),
            size=row.size,
            coordinator=row.coordinator,
            signature_ok=bound.signature_ok and not row.purged,
            mismatched=mismatched,
            envelope_version=bound.version,
        )

    # -- staff actions -----------------------------------------------------------------------

    def log_access(
        self, reference: str, action: AccessAction, actor: str, at: datetime | None = None
    ) -> None:
        with self._writing() as conn:
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
        with self._writing() as conn:
            self._append(conn, at or _now(), actor, action, reference, dict(details or {}))

    def add_note(
        self,
        reference: str,
        note_envelope: bytes,
        actor: str,
        at: datetime,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """A sealed note without a status change; `details` (never personal) join the audit."""
        with self._writing() as conn:
            referral_id = self._id_of(conn, reference)
            row = conn.execute(
                sa.select(referrals.c.status, referrals.c.outcome).where(
                    referrals.c.id == referral_id
                )
            ).one()
            self._add_event(conn, referral_id, row.status, row.outcome, at, actor, note_envelope)
            audit = {"status": row.status, **(details or {})}
            self._append(conn, at, actor, "note_added", reference, audit)

    def delete(self, reference: str, actor: str, at: datetime, reason: str) -> None:
        with self._writing() as conn:
            referral_id = self._id_of(conn, reference)
            conn.execute(status_events.delete().where(status_events.c.referral_id == referral_id))
            conn.execute(referrals.delete().where(referrals.c.id == referral_id))
            conn.execute(
                purged_referrals.insert().values(
                    referral_id=referral_id, reference=reference, purged_at=at
                )
            )
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
        with self._writing() as conn:
            referral_id = self._id_of(conn, reference)
            conn.execute(
                referrals.update()
                .where(referrals.c.id == referral_id)
                .values(status=status, outcome=outcome)
            )
            self._add_event(conn, referral_id, status, outcome, at, actor, note_envelope)
            details = status_details(status, outcome, note_envelope is not None)
            self._append(conn, at, actor, "status_changed", reference, details)

    def assign(self, reference: str, coordinator: str | None, actor: str, at: datetime) -> None:
        with self._writing() as conn:
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
        with self._writing() as conn:
            referral_id = self._id_of(conn, reference)
            old = conn.execute(
                sa.select(referrals.c.key_ids).where(referrals.c.id == referral_id)
            ).scalar_one()
            conn.execute(
                referrals.update()
                .where(referrals.c.id == referral_id)
                .values(envelope=blob, key_ids=join_ids(key_ids), size=len(blob))
            )
            details = rewrap_details(split_ids(old), key_ids)
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
        with self._writing() as conn:
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
        with self._writing() as conn:
            for row in conn.execute(query).all():
                withdrawn = row.outcome == "withdrawn"
                if not withdrawn and row.closed_at > cutoff:
                    continue
                conn.execute(status_events.delete().where(status_events.c.referral_id == row.id))
                conn.execute(referrals.delete().where(referrals.c.id == row.id))
                conn.execute(
                    purged_referrals.insert().values(
                        referral_id=row.id, reference=row.reference, purged_at=now
                    )
                )
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
        with self._writing() as conn:
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
            details = key_details(recipient, key_id, retire)
            self._append(conn, added_at, actor, "key_added", None, details)
        return True

    def retire_recipient_key(
        self, recipient: str, key_id: str, *, actor: str, at: datetime
    ) -> bool:
        k = recipient_keys.c
        with self._writing() as conn:
            changed = conn.execute(
                recipient_keys.update()
                .where(k.recipient == recipient, k.key_id == key_id, k.retired.is_(False))
                .values(retired=True)
            ).rowcount
            if changed:
                details = key_details(recipient, key_id)
                self._append(conn, at, actor, "key_retired", None, details)
        return bool(changed)

    def recipient_keys(self, recipient: str) -> builtins.list[RecipientKey]:
        """The recipient's current keys, as read at most KEY_CACHE_SECONDS ago (every filing
        asks, and the lookup would cost as much as the filing's own insert). A change made
        through this inbox object is seen at once."""
        cached = self._keys.get(recipient)
        if cached is not None and time.monotonic() - cached[0] < KEY_CACHE_SECONDS:
            return list(cached[1])
        # One reader at a time: when the cache runs out under a stream of filings, the others
        # take what it reads instead of each asking the database the same.
        with self._key_reading:
            now, generation = time.monotonic(), self._keys_generation
            cached = self._keys.get(recipient)
            if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
                return list(cached[1])
            keys = self._read_recipient_keys(recipient)
            if generation == self._keys_generation:  # no key change here while reading
                self._keys[recipient] = (now, keys)
            return list(keys)

    def _read_recipient_keys(self, recipient: str) -> builtins.list[RecipientKey]:
        with self.engine.connect() as conn:
            rows = conn.execute(_CURRENT_KEYS, {"recipient": recipient})
            return [recipient_key(r.key_id, bytes(r.public_key)) for r in rows]

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
            # Every column as stored (text on SQLite): a damaged entry becomes a finding of the
            # verification, never an exception while reading.
            columns = [
                c if c.name == "seq" else sa.type_coerce(c, sa.String).label(c.name)
                for c in audit_log.c
            ]
            rows = conn.execute(sa.select(*columns).order_by(audit_log.c.seq))
            return [_entry(row) for row in rows]

    def verify_audit(self) -> AuditReport:
        return verify_chain(self.audit_entries())

    # -- helpers -----------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A write that appends to the audit chain: alone in this process (no batch of filings
        in flight), under the audit lock, and the remembered tip forgotten."""
        with self._filings.exclusive():
            self._tip = None
            self._forget_keys()
            try:
                with writing(self.engine) as conn:
                    self._lock(conn)
                    yield conn
            finally:  # a key read while this write was open may predate it
                self._forget_keys()

    def _forget_keys(self) -> None:
        self._keys.clear()
        self._keys_generation += 1

    def _lock(self, conn: sa.Connection) -> None:
        # SQLite already holds the write lock (BEGIN IMMEDIATE); PostgreSQL serialises writers
        # on the audit table while still letting readers read.
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE"))

    def _add_event(
        self,
        conn: sa.Connection,
        referral_id: uuid.UUID,
        status: str,
        outcome: str | None,
        at: datetime,
        actor: str,
        note: bytes | None,
    ) -> None:
        """A status event chained after the referral's newest one (storage.inbox.statuschain)."""
        e = status_events.c
        last = conn.execute(
            sa.select(e.hash).where(e.referral_id == referral_id).order_by(e.id.desc()).limit(1)
        ).scalar()
        link = chained(last or seed(referral_id), referral_id, status=status, outcome=outcome,
                       at=at, actor=actor, note=note is not None)  # fmt: skip
        conn.execute(
            status_events.insert().values(
                referral_id=referral_id,
                status=status,
                outcome=outcome,
                at=at,
                actor=actor,
                note=note,
                **link,
            )
        )

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
        self._append_many(conn, [(at, actor, action, reference, details)], self._read_tip(conn))

    def _read_tip(self, conn: sa.Connection) -> tuple[int, str] | None:
        """The newest entry's (seq, hash); read under the audit lock to be current."""
        a = audit_log.c
        last = conn.execute(sa.select(a.seq, a.hash).order_by(a.seq.desc()).limit(1)).first()
        return (int(last.seq), str(last.hash)) if last else None

    def _append_many(
        self,
        conn: sa.Connection,
        items: Sequence[tuple[datetime, str, str, str | None, Mapping[str, Any]]],
        tip: tuple[int, str] | None,
    ) -> tuple[int, str]:
        """Chain `items` in order after `tip`; returns the new tip."""
        rows, new_tip = _entry_rows(items, tip)
        conn.execute(audit_log.insert(), rows)
        return new_tip


def _events_query(*more: Any) -> sa.Select[Any]:
    """Status events as `_event` reads them, in their order (time, then id)."""
    e = status_events.c
    return sa.select(
        e.status,
        e.outcome,
        sa.type_coerce(e.at, sa.String).label("at"),
        e.actor,
        e.note,
        e.id,
        e.prev_hash,
        e.hash,
        *more,
    ).order_by(e.at, e.id)


def _event(r: Any) -> StatusEvent:
    note = bytes(r.note) if r.note is not None else None
    return StatusEvent(
        r.status, r.outcome, stored_time(r.at), r.actor, note, r.id, r.prev_hash, r.hash
    )


def _entry(row: Any) -> AuditEntry:
    try:
        details = json.loads(row.details)
    except (ValueError, TypeError):
        details = None
    if not isinstance(details, dict):
        details = {"unreadable": row.details}  # fails verification, as it should
    return AuditEntry(
        seq=row.seq,
        at=stored_time(row.at),
        actor=str(row.actor),
        action=str(row.action),
        reference=None if row.reference is None else str(row.reference),
        details=details,
        prev_hash=str(row.prev_hash),
        hash=str(row.hash),
    )


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, eq=False)
class _Filing(Filing):
    """A filing with its client key hashed, as the row keeps it."""

    idem: str | None = None

    @classmethod
    def of(cls, filing: Filing, idem: str | None) -> _Filing:
        values = {f.name: getattr(filing, f.name) for f in dataclasses.fields(Filing)}
        return cls(**values, idem=idem)


def _batch_rows(
    new: Sequence[_Filing], tip: tuple[int, str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], tuple[int, str]]:
    """The referral rows, their "received" status events and their audit entries chained after
    `tip`, with the new tip."""
    rows = [
        {
            "id": f.referral_id,
            "reference": f.reference,
            "recipient": f.recipient,
            "received_at": f.received_at,
            "status": "received",
            "outcome": None,
            "channel": f.channel,
            "key_ids": join_ids(f.key_ids),
            "size": len(f.envelope),
            "coordinator": None,
            "envelope": f.envelope,
            "idempotency_hash": f.idem,
        }
        for f in new
    ]
    events = [
        {
            "referral_id": f.referral_id,
            "status": "received",
            "outcome": None,
            "at": f.received_at,
            "actor": f.actor,
            "note": None,
            **_first_link(f),
        }
        for f in new
    ]
    entries, new_tip = _entry_rows(
        [(f.received_at, f.actor, "filed", f.reference, filed_details(f)) for f in new], tip
    )
    return rows, events, entries, new_tip


@functools.cache
def _pg_batch_sql(n: int, columns: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]) -> str:
    """One PostgreSQL statement that inserts `n` filings, the rows `_batch_rows` makes (whose
    keys are the `columns` of referrals, status events and audit entries): referrals and their
    first status events as data-modifying CTEs of the audit insert. Written out once per batch
    size, since compiling a multi-row insert costs more than sending it; with PostgreSQL's own
    `$n` placeholders (see _execute_raw), numbered in `_flat`'s order."""
    numbers = itertools.count(1)

    def values(names: tuple[str, ...]) -> str:
        rows = ["(" + ", ".join(f"${next(numbers)}" for _ in names) + ")" for _ in range(n)]
        return f"({', '.join(names)}) VALUES " + ", ".join(rows)

    referral_values, event_values, audit_values = (values(names) for names in columns)
    return (
        f"WITH filed AS (INSERT INTO referrals {referral_values} RETURNING id), "
        f"events AS (INSERT INTO status_events {event_values} RETURNING id) "
        f"INSERT INTO audit_log {audit_values}"
    )


def _execute_raw(conn: sa.Connection, statement: str, parameters: tuple[Any, ...]) -> None:
    """`statement` with `$n` placeholders through psycopg's RawCursor. psycopg parses a `%s`
    statement for its placeholders at every call unless it is short (it caches those with at
    most 50 parameters): for a batch of 8 filings (over 200 parameters) that parse cost about as
    much CPU as all the rest of the batch. SQLAlchemy still runs the statement, so its errors
    (IntegrityError for the fallback) and disconnect handling are as for any other."""
    import psycopg

    driver = conn.connection.driver_connection
    assert driver is not None, "a connection that is not open"
    default = driver.cursor_factory
    driver.cursor_factory = psycopg.RawCursor
    try:
        conn.exec_driver_sql(statement, parameters)
    finally:
        driver.cursor_factory = default


def _flat(*tables: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The values of every row of each table in turn, in its keys' order (every row of a table
    has the same keys, in the same order: one comprehension in `_batch_rows` makes them)."""
    return tuple(value for rows in tables for row in rows for value in row.values())


def _insert_rows(
    conn: sa.Connection,
    rows: list[dict[str, Any]],
    events: list[dict[str, Any]],
    entries: list[dict[str, Any]],
) -> None:
    """The referral rows, their first status events and their audit entries (`_batch_rows`):
    on PostgreSQL one statement, with or without the audit lock; elsewhere three inserts."""
    if conn.dialect.name == "postgresql":
        columns = (tuple(rows[0]), tuple(events[0]), tuple(entries[0]))
        _execute_raw(conn, _pg_batch_sql(len(rows), columns), _flat(rows, events, entries))
        return
    for table, batch in ((referrals, rows), (status_events, events), (audit_log, entries)):
        statement, processors = _plain_insert(table, tuple(batch[0]), conn.dialect)
        values = [
            tuple(
                v if bind is None else bind(v)
                for bind, v in zip(processors, row.values(), strict=True)
            )
            for row in batch
        ]
        conn.exec_driver_sql(statement, values if len(values) > 1 else values[0])


@functools.lru_cache(maxsize=16)
def _plain_insert(
    table: sa.Table, names: tuple[str, ...], dialect: sa.Dialect
) -> tuple[str, tuple[Any, ...]]:
    """Core's INSERT of `names` into `table`, compiled once, and each column's bind processor
    (None where the driver takes the value as it is). `conn.execute(table.insert(), rows)`
    builds, compiles and looks up its statement at every execution, which cost a filing about
    as much CPU as sqlite3 spends writing it (some 140 us of the ~770 us of `SqlInbox.file`).
    The column types' own processors store exactly what Core stores (a test compares the rows),
    and SQLAlchemy still runs the statement, so an IntegrityError is the one the optimistic
    batch falls back on."""
    compiled = table.insert().compile(dialect=dialect, column_keys=list(names))
    if compiled.positiontup != list(names):
        raise ValueError("a driver with positional parameters in column order is needed")
    return compiled.string, tuple(table.c[n].type.bind_processor(dialect) for n in names)


def _entry_rows(
    items: Sequence[tuple[datetime, str, str, str | None, Mapping[str, Any]]],
    tip: tuple[int, str] | None,
) -> tuple[list[dict[str, Any]], tuple[int, str]]:
    """Audit rows for `items`, chained in order after `tip`, and the new tip. A `tip` that is
    no longer the newest entry makes their insert fail on the `seq` primary key."""
    previous = tip
    rows = []
    for at, actor, action, reference, details in items:
        entry = next_entry(
            previous, at=at, actor=actor, action=action, reference=reference, details=details
        )
        previous = (entry.seq, entry.hash)
        rows.append(
            {
                "seq": entry.seq,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "reference": entry.reference,
                "details": details_json(entry.details),
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
        )
    assert previous is not None, "no audit entries to chain"
    return rows, previous


def _first_link(f: _Filing) -> dict[str, str]:
    """The "received" event's place in the status chain: first, after the referral's seed."""
    return chained(seed(f.referral_id), f.referral_id, status="received", outcome=None,
                   at=f.received_at, actor=f.actor, note=False)  # fmt: skip


def _filed(f: _Filing) -> FilingResult:
    return FilingResult(f.reference, utc(f.received_at), duplicate=False)


def _duplicate_of(f: _Filing) -> FilingResult:
    return FilingResult(f.reference, utc(f.received_at), duplicate=True)
