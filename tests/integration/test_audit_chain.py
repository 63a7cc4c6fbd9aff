"""The audit chain on a real database: verify passes untouched and fails on each kind of
tampering done behind the application's back with raw SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from intake.filing import Filing
from storage.inbox import SqlInbox
from storage.inbox.audit import AuditEntry, chain_hash
from storage.inbox.db import make_engine, upgrade

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def inbox(database_url: str) -> Iterator[SqlInbox]:
    engine = make_engine(database_url)
    upgrade(engine)
    inbox = SqlInbox(engine, idempotency_secret=b"test")
    for n in range(1, 3):
        referral_id = uuid.uuid4()
        inbox.file(
            Filing(
                envelope=b"sealed",
                referral_id=referral_id,
                reference=f"KE-AAAA-000{n}",
                recipient="0301",
                channel="file",
                received_at=T0 + timedelta(minutes=n),
                key_ids=("0123456789abcdef",),
                idempotency_key=None,
                actor="intake:file",
            )
        )
    inbox.log_access("KE-AAAA-0001", "open", "Kari", T0 + timedelta(hours=1))
    inbox.set_status("KE-AAAA-0001", "in_review", None, None, "Kari", T0 + timedelta(hours=2))
    inbox.assign("KE-AAAA-0002", "Ola", "Kari", T0 + timedelta(hours=3))
    yield inbox
    engine.dispose()


def raw(inbox: SqlInbox, *statements: str, **params: object) -> None:
    """Run SQL as an attacker with database rights would: append-only triggers off first."""
    with inbox.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(sa.text(statement), params)


def test_an_untouched_log_verifies(inbox: SqlInbox) -> None:
    report = inbox.verify_audit()
    assert (report.ok, report.count, report.first_bad_index) == (True, 5, None)
    assert [e.action for e in inbox.audit_entries()] == [
        "filed",
        "filed",
        "opened",
        "status_changed",
        "assigned",
    ]


def test_the_database_refuses_updates_and_deletes(inbox: SqlInbox) -> None:
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), inbox.engine.begin() as c:
            c.execute(sa.text(statement))
    assert inbox.verify_audit().ok


TAMPERING: dict[str, tuple[list[str], int]] = {
    "edited actor": (["UPDATE audit_log SET actor = 'Mallory' WHERE seq = 3"], 2),
    "edited details": (
        ['UPDATE audit_log SET details = \'{"status":"closed"}\' WHERE seq = 4'],
        3,
    ),
    "edited reference": (["UPDATE audit_log SET reference = 'KE-AAAA-0002' WHERE seq = 3"], 2),
    "edited time": (["UPDATE audit_log SET at = :later WHERE seq = 2"], 1),
    "removed": (["DELETE FROM audit_log WHERE seq = 3"], 2),
    "removed and renumbered": (
        [
            "DELETE FROM audit_log WHERE seq = 3",
            "UPDATE audit_log SET seq = seq + 1000 WHERE seq > 3",
            "UPDATE audit_log SET seq = seq - 1001 WHERE seq > 1000",
        ],
        2,
    ),
    "removed first": (
        [
            "DELETE FROM audit_log WHERE seq = 1",
            "UPDATE audit_log SET seq = seq + 1000",
            "UPDATE audit_log SET seq = seq - 1001",
        ],
        0,
    ),
    "reordered": (
        [
            "UPDATE audit_log SET seq = 100 WHERE seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 100",
        ],
        1,
    ),
    "appended with a made-up hash": (
        [
            "INSERT INTO audit_log (seq, at, actor, action, reference, details, prev_hash, hash) "
            "SELECT 6, at, 'Mallory', 'opened', reference, '{}', hash, :fake "
            "FROM audit_log WHERE seq = 5"
        ],
        5,
    ),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_each_kind_of_tampering_is_detected(inbox: SqlInbox, kind: str) -> None:
    statements, first_bad = TAMPERING[kind]
    raw(inbox, *statements, later=T0 + timedelta(days=1), fake="ab" * 32)
    report = inbox.verify_audit()
    assert not report.ok
    assert report.first_bad_index == first_bad


def test_an_insertion_with_a_correct_hash_still_breaks_the_chain(inbox: SqlInbox) -> None:
    """The attacker computes a valid hash for the inserted entry; the next one no longer links."""
    second = inbox.audit_entries()[1]
    forged = AuditEntry(
        seq=3,
        at=second.at + timedelta(seconds=1),
        actor="Mallory",
        action="opened",
        reference="KE-AAAA-0002",
        details={},
        prev_hash=second.hash,
    )
    raw(
        inbox,
        "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3",
        "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000",
        "INSERT INTO audit_log (seq, at, actor, action, reference, details, prev_hash, hash) "
        "VALUES (3, :at, 'Mallory', 'opened', 'KE-AAAA-0002', '{}', :prev, :hash)",
        at=forged.at.replace(tzinfo=None) if inbox.engine.dialect.name == "sqlite" else forged.at,
        prev=second.hash,
        hash=chain_hash(second.hash, forged),
    )
    report = inbox.verify_audit()
    assert report.count == 6
    assert (report.ok, report.first_bad_index) == (False, 3)


def test_appending_continues_the_chain_after_verification(inbox: SqlInbox) -> None:
    head = inbox.verify_audit().head
    inbox.log_access("KE-AAAA-0002", "export", "Kari", T0 + timedelta(hours=5))
    entries = inbox.audit_entries()
    assert entries[-1].prev_hash == head
    assert inbox.verify_audit().ok
