"""Purging on SQLite really removes the envelope bytes from the database files: secure_delete
zeroes the freed pages and the WAL is checkpointed, so no copy lingers on disk."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intake.filing import Filing
from storage.inbox import SqlInbox
from storage.inbox.db import make_engine, upgrade

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def on_disk(path: Path) -> bytes:
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_purged_envelopes_leave_no_bytes_in_the_sqlite_files(tmp_path: Path) -> None:
    path = tmp_path / "inbox.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    inbox = SqlInbox(engine, idempotency_secret=b"test")
    envelopes = {}
    try:
        for n, outcome in enumerate(("withdrawn", None)):
            reference = f"KE-AAAA-000{n}"
            envelopes[reference] = os.urandom(6000)  # stands in for a sealed envelope
            inbox.file(
                Filing(
                    envelope=envelopes[reference],
                    referral_id=uuid.uuid4(),
                    reference=reference,
                    recipient="0301",
                    channel="file",
                    received_at=NOW,
                    key_ids=("0123456789abcdef",),
                    idempotency_key=None,
                    actor="intake:file",
                )
            )
            if outcome:
                inbox.set_status(reference, "closed", outcome, None, "Kari", NOW)
        gone, kept = envelopes["KE-AAAA-0000"], envelopes["KE-AAAA-0001"]
        assert gone[1000:1064] in on_disk(path)
        assert inbox.purge(NOW, 90, "Kari") == 1
        disk = on_disk(path)
        assert gone[1000:1064] not in disk
        assert kept[1000:1064] in disk
        assert inbox.verify_audit().ok
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_on_postgresql_a_purge_is_final_for_sql_and_a_restored_row_is_refused(
    postgres_url: str,
) -> None:
    """PostgreSQL keeps a deleted tuple's bytes in its pages until VACUUM reuses them, and in
    WAL and backups (docs/SECURITY.md): the application cannot scrub disk there. What it does
    guarantee: no query can read the envelope back, and a row copied back is refused."""
    import sqlalchemy as sa

    engine = make_engine(postgres_url)
    upgrade(engine)
    inbox = SqlInbox(engine, idempotency_secret=b"test")
    try:
        referral_id, envelope = uuid.uuid4(), os.urandom(6000)
        inbox.file(
            Filing(
                envelope=envelope,
                referral_id=referral_id,
                reference="KE-AAAA-0000",
                recipient="0301",
                channel="file",
                received_at=NOW,
                key_ids=("0123456789abcdef",),
                idempotency_key=None,
                actor="intake:file",
            )
        )
        with engine.connect() as conn:
            saved = conn.execute(sa.text("SELECT * FROM referrals")).mappings().one()
        inbox.set_status("KE-AAAA-0000", "closed", "withdrawn", None, "Kari", NOW)
        assert inbox.purge(NOW, 90, "Kari") == 1
        with engine.begin() as conn:
            found = conn.execute(
                sa.text("SELECT count(*) FROM referrals WHERE envelope = :e"), {"e": envelope}
            ).scalar()
            assert found == 0
            # A copy put back from a backup:
            conn.execute(
                sa.text(
                    "INSERT INTO referrals VALUES (:id, :reference, :recipient, :received_at,"
                    " :status, :outcome, :channel, :key_ids, :size, :coordinator, :envelope,"
                    " :idempotency_hash)"
                ),
                dict(saved),
            )
        record = inbox.get("KE-AAAA-0000")
        assert record is not None and "purged" in record.mismatched and not record.signature_ok
    finally:
        engine.dispose()
