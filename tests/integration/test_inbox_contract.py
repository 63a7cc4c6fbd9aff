"""One contract, every inbox: the in-memory twin, SQLite (a real file) and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from intake.filing import Filing, ReferenceTaken
from storage.crypto.envelope import RecipientKey, key_id, seal
from storage.inbox import InvalidStatus, MemoryInbox, SqlInbox, UnknownReference, statuschain
from storage.inbox.db import make_engine, upgrade
from storage.inbox.types import Inbox

SIGNER = Ed25519PrivateKey.generate()
VERIFY = {key_id(SIGNER.public_key()): SIGNER.public_key()}
KE_KEY = X25519PrivateKey.generate()
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sealed(
    referral_id: uuid.UUID,
    recipient: str = "0301",
    signer=SIGNER,
    *,
    reference: str = "KE-AAAA-0001",
    at: datetime = T0,
) -> bytes:
    return seal(
        b"sealed body",
        referral_id=referral_id,
        reference=reference,
        recipient=recipient,
        channel="file",
        filed_at=at,
        recipients=[RecipientKey.of(KE_KEY.public_key())],
        signing_key=signer,
    )


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Inbox]:
    if request.param == "memory":
        yield MemoryInbox(idempotency_secret=b"test", verify_keys=VERIFY)
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    upgrade(engine)
    yield SqlInbox(engine, idempotency_secret=b"test", verify_keys=VERIFY)
    engine.dispose()


def file(
    inbox: Inbox,
    reference: str,
    *,
    key: str | None = None,
    recipient: str = "0301",
    at: datetime = T0,
    blob: bytes | None = None,
) -> tuple[uuid.UUID, object]:
    referral_id = uuid.uuid4()
    result = inbox.file(
        Filing(
            envelope=blob
            if blob is not None
            else sealed(referral_id, recipient, reference=reference, at=at),
            referral_id=referral_id,
            reference=reference,
            recipient=recipient,
            channel="file",
            received_at=at,
            key_ids=(key_id(KE_KEY.public_key()),),
            idempotency_key=key,
            actor="intake:file",
        )
    )
    return referral_id, result


class TestInboxContract:
    def test_filed_referral_is_listed_with_readable_columns_only(self, inbox: Inbox) -> None:
        referral_id, result = file(inbox, "KE-AAAA-0001", key="k1")
        assert (result.reference, result.received_at, result.duplicate) == (  # type: ignore[attr-defined]
            "KE-AAAA-0001",
            T0,
            False,
        )
        record = inbox.get("KE-AAAA-0001")
        assert record is not None
        assert record.id == referral_id
        assert (record.recipient, record.status, record.outcome, record.channel) == (
            "0301",
            "received",
            None,
            "file",
        )
        assert record.received_at == T0
        assert record.key_ids == (key_id(KE_KEY.public_key()),)
        assert record.size == len(inbox.envelope("KE-AAAA-0001"))
        assert record.coordinator is None
        assert record.signature_ok is True
        assert [r.reference for r in inbox.list()] == ["KE-AAAA-0001"]
        assert inbox.get("KE-ZZZZ-ZZZZ") is None

    def test_a_retried_filing_files_once_and_returns_the_first_reference(
        self, inbox: Inbox
    ) -> None:
        file(inbox, "KE-AAAA-0001", key="same")
        _, again = file(inbox, "KE-AAAA-0002", key="same", at=T0 + timedelta(minutes=5))
        assert (again.reference, again.received_at, again.duplicate) == (  # type: ignore[attr-defined]
            "KE-AAAA-0001",
            T0,
            True,
        )
        assert [r.reference for r in inbox.list()] == ["KE-AAAA-0001"]
        assert [e.action for e in inbox.audit_entries()] == ["filed"]

    def test_without_an_idempotency_key_every_filing_counts(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        file(inbox, "KE-AAAA-0002")
        assert len(inbox.list()) == 2

    def test_a_taken_reference_is_reported_and_nothing_is_stored(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001", key="a")
        with pytest.raises(ReferenceTaken):
            file(inbox, "KE-AAAA-0001", key="b")
        assert len(inbox.list()) == 1
        assert len(inbox.audit_entries()) == 1

    def test_list_filters_by_status_and_recipient(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001", recipient="0301")
        file(inbox, "KE-AAAA-0002", recipient="4601", at=T0 + timedelta(hours=1))
        inbox.set_status("KE-AAAA-0002", "in_review", None, None, "Kari", T0 + timedelta(hours=2))
        assert [r.reference for r in inbox.list(recipient="4601")] == ["KE-AAAA-0002"]
        assert [r.reference for r in inbox.list(status="received")] == ["KE-AAAA-0001"]
        assert inbox.list(status="closed") == []

    def test_status_changes_keep_their_history_and_sealed_note(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        later = T0 + timedelta(days=3)
        inbox.set_status("KE-AAAA-0001", "closed", "plan_started", b"sealed note", "Kari", later)
        record = inbox.get("KE-AAAA-0001")
        assert record is not None
        assert (record.status, record.outcome) == ("closed", "plan_started")
        events = inbox.status_events("KE-AAAA-0001")
        assert [(e.status, e.outcome, e.at, e.actor) for e in events] == [
            ("received", None, T0, "intake:file"),
            ("closed", "plan_started", later, "Kari"),
        ]
        assert events[1].note_envelope == b"sealed note"
        last = inbox.audit_entries()[-1]
        assert (last.action, last.actor, last.reference) == (
            "status_changed",
            "Kari",
            "KE-AAAA-0001",
        )
        assert last.details == {"status": "closed", "outcome": "plan_started", "note": True}

    @pytest.mark.parametrize(
        ("status", "outcome"),
        [("lost", None), ("closed", None), ("in_review", "declined"), ("closed", "maybe")],
    )
    def test_statuses_outside_the_list_are_refused(
        self, inbox: Inbox, status: str, outcome: str | None
    ) -> None:
        file(inbox, "KE-AAAA-0001")
        with pytest.raises(InvalidStatus):
            inbox.set_status("KE-AAAA-0001", status, outcome, None, "Kari", T0)
        assert inbox.get("KE-AAAA-0001").status == "received"  # type: ignore[union-attr]
        assert len(inbox.audit_entries()) == 1

    def test_unknown_references_are_a_clear_error(self, inbox: Inbox) -> None:
        with pytest.raises(UnknownReference, match="KE-NONE-0000"):
            inbox.envelope("KE-NONE-0000")
        with pytest.raises(UnknownReference):
            inbox.log_access("KE-NONE-0000", "open", "Kari")
        with pytest.raises(UnknownReference):
            inbox.set_status("KE-NONE-0000", "in_review", None, None, "Kari", T0)
        with pytest.raises(UnknownReference):
            inbox.assign("KE-NONE-0000", "Ola", "Kari", T0)
        assert inbox.audit_entries() == []

    def test_assign_and_access_are_audited(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        inbox.assign("KE-AAAA-0001", "Ola Koordinator", "Kari", T0 + timedelta(hours=1))
        inbox.log_access("KE-AAAA-0001", "open", "Kari", T0 + timedelta(hours=2))
        inbox.log_access("KE-AAAA-0001", "export", "Kari", T0 + timedelta(hours=3))
        assert inbox.get("KE-AAAA-0001").coordinator == "Ola Koordinator"  # type: ignore[union-attr]
        assert [(e.seq, e.action, e.actor) for e in inbox.audit_entries()] == [
            (1, "filed", "intake:file"),
            (2, "assigned", "Kari"),
            (3, "opened", "Kari"),
            (4, "exported", "Kari"),
        ]
        report = inbox.verify_audit()
        assert (report.ok, report.count, report.first_bad_index) == (True, 4, None)
        assert report.head == inbox.audit_entries()[-1].hash

    def test_staff_events_are_chained_and_unknown_ones_refused(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        inbox.log_event("searched", "Kari", None, {"kind": "name", "hits": ["KE-AAAA-0001"]})
        inbox.log_event("attachment_downloaded", "Kari", "KE-AAAA-0001", {"n": 1}, T0)
        with pytest.raises(ValueError, match="not a staff event"):
            inbox.log_event("filed", "Kari", "KE-AAAA-0001")  # only the inbox itself files
        entries = inbox.audit_entries()
        assert [(e.action, e.reference, dict(e.details)) for e in entries[1:]] == [
            ("searched", None, {"kind": "name", "hits": ["KE-AAAA-0001"]}),
            ("attachment_downloaded", "KE-AAAA-0001", {"n": 1}),
        ]
        assert inbox.verify_audit().ok

    def test_a_note_keeps_the_status_and_is_audited(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        inbox.set_status("KE-AAAA-0001", "in_review", None, b"n1", "Kari", T0 + timedelta(hours=1))
        inbox.add_note("KE-AAAA-0001", b"n2", "Ola", T0 + timedelta(hours=2), {"interim": True})
        assert inbox.get("KE-AAAA-0001").status == "in_review"  # type: ignore[union-attr]
        events = inbox.status_events("KE-AAAA-0001")
        assert [(e.status, e.actor, e.note_envelope) for e in events[1:]] == [
            ("in_review", "Kari", b"n1"),
            ("in_review", "Ola", b"n2"),
        ]
        last = inbox.audit_entries()[-1]
        assert (last.action, last.actor, dict(last.details)) == (
            "note_added",
            "Ola",
            {"status": "in_review", "interim": True},
        )

    def test_delete_removes_one_referral_and_its_history(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        file(inbox, "KE-AAAA-0002")
        inbox.delete("KE-AAAA-0001", "Kari", T0 + timedelta(days=1), "withdrawn")
        assert inbox.get("KE-AAAA-0001") is None
        assert [r.reference for r in inbox.list()] == ["KE-AAAA-0002"]
        with pytest.raises(UnknownReference):
            inbox.status_events("KE-AAAA-0001")
        last = inbox.audit_entries()[-1]
        assert (last.action, last.reference, dict(last.details)) == (
            "deleted",
            "KE-AAAA-0001",
            {"reason": "withdrawn"},
        )
        with pytest.raises(UnknownReference):
            inbox.delete("KE-AAAA-0001", "Kari", T0, "withdrawn")

    def test_replace_envelope_changes_keys_and_is_audited(self, inbox: Inbox) -> None:
        referral_id, _ = file(inbox, "KE-AAAA-0001")
        new_key = X25519PrivateKey.generate()
        blob = seal(
            b"re-sealed",
            referral_id=referral_id,
            reference="KE-AAAA-0001",
            recipient="0301",
            channel="file",
            filed_at=T0,
            recipients=[RecipientKey.of(new_key.public_key())],
            signing_key=SIGNER,
        )
        new_id = key_id(new_key.public_key())
        inbox.replace_envelope("KE-AAAA-0001", blob, [new_id], "Kari")
        record = inbox.get("KE-AAAA-0001")
        assert record is not None
        assert (record.key_ids, record.size, record.signature_ok) == ((new_id,), len(blob), True)
        assert inbox.envelope("KE-AAAA-0001") == blob
        last = inbox.audit_entries()[-1]
        assert last.action == "rewrapped"
        assert last.details == {
            "from_key_ids": [key_id(KE_KEY.public_key())],
            "to_key_ids": [new_id],
        }

    def test_a_sealed_note_can_be_replaced_after_rotation(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001")
        inbox.set_status("KE-AAAA-0001", "in_review", None, b"old note", "Kari", T0)
        inbox.set_status("KE-AAAA-0001", "closed", "declined", None, "Kari", T0)
        noted = [e for e in inbox.status_events("KE-AAAA-0001") if e.note_envelope]
        assert len(noted) == 1 and noted[0].id is not None
        inbox.replace_note("KE-AAAA-0001", noted[0].id, b"new note", "Kari")
        notes = [e.note_envelope for e in inbox.status_events("KE-AAAA-0001")]
        assert notes == [None, b"new note", None]
        last = inbox.audit_entries()[-1]
        assert (last.action, last.details) == ("rewrapped", {"note": noted[0].id})
        without_note = inbox.status_events("KE-AAAA-0001")[2].id
        with pytest.raises(UnknownReference):
            inbox.replace_note("KE-AAAA-0001", without_note or 0, b"x", "Kari")
        assert inbox.verify_audit().ok

    def test_every_status_event_is_chained_to_the_one_before(self, inbox: Inbox) -> None:
        referral_id, _ = file(inbox, "KE-AAAA-0001")
        inbox.set_status("KE-AAAA-0001", "in_review", None, b"note", "Kari", T0)
        inbox.add_note("KE-AAAA-0001", b"note 2", "Lise", T0 + timedelta(minutes=1))
        inbox.set_status("KE-AAAA-0001", "closed", "declined", None, "Kari", T0)
        events = statuschain.in_chain_order(inbox.status_events("KE-AAAA-0001"))
        assert events[0].prev_hash == statuschain.seed(referral_id)
        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
        assert statuschain.findings(referral_id, events) == []
        # the chain is per referral: another referral's history starts from its own seed
        other_id, _ = file(inbox, "KE-AAAA-0002")
        (first,) = inbox.status_events("KE-AAAA-0002")
        assert first.prev_hash == statuschain.seed(other_id) != statuschain.seed(referral_id)
        assert statuschain.findings(referral_id, [first]) != []

    def test_the_histories_of_many_are_each_ones_status_events(self, inbox: Inbox) -> None:
        for n in (1, 2, 3):
            file(inbox, f"KE-AAAA-000{n}", at=T0 + timedelta(minutes=n))
        inbox.set_status("KE-AAAA-0001", "in_review", None, b"note", "Kari", T0 + timedelta(1))
        inbox.add_note("KE-AAAA-0001", b"note 2", "Lise", T0 + timedelta(2))
        inbox.set_status("KE-AAAA-0003", "in_review", None, None, "Kari", T0 + timedelta(1))
        wanted = ["KE-AAAA-0003", "KE-AAAA-0001", "KE-NONE-0000"]
        histories = inbox.status_histories(wanted)
        assert set(histories) == {"KE-AAAA-0001", "KE-AAAA-0003"}  # the unknown one left out
        for reference, events in histories.items():
            assert events == inbox.status_events(reference)
        assert len(histories["KE-AAAA-0001"]) == 3 and inbox.status_histories([]) == {}

    def test_forged_or_moved_envelopes_fail_the_signature_check(self, inbox: Inbox) -> None:
        file(inbox, "KE-AAAA-0001", blob=sealed(uuid.uuid4(), signer=Ed25519PrivateKey.generate()))
        file(inbox, "KE-AAAA-0002", blob=sealed(uuid.uuid4()))  # signed for another referral
        file(inbox, "KE-AAAA-0003", blob=b"not an envelope")
        assert [r.signature_ok for r in inbox.list()] == [False, False, False]

    def test_a_column_that_disagrees_with_the_signed_header_is_named(self, inbox: Inbox) -> None:
        """A database writer swaps references, edits the channel or the reception time: each
        row says which of its columns no longer match what the intake signed."""
        cases = {
            "KE-AAAA-0001": ({}, ()),
            "KE-AAAA-0002": ({"reference": "KE-AAAA-0009"}, ("reference",)),
            "KE-AAAA-0003": ({"at": T0 + timedelta(seconds=1)}, ("received_at",)),
        }
        for reference, (signed_as, _) in cases.items():
            referral_id = uuid.uuid4()
            blob = sealed(referral_id, **{"reference": reference, **signed_as})  # type: ignore[arg-type]
            inbox.file(
                Filing(
                    envelope=blob,
                    referral_id=referral_id,
                    reference=reference,
                    recipient="0301",
                    channel="file",
                    received_at=T0,
                    key_ids=(key_id(KE_KEY.public_key()),),
                    idempotency_key=None,
                    actor="intake:file",
                )
            )
        for record in inbox.list():
            expected = cases[record.reference][1]
            assert (record.mismatched, record.signature_ok) == (expected, not expected)
            assert record.envelope_version == 2

    def test_purge_deletes_withdrawn_and_expired_referrals_only(self, inbox: Inbox) -> None:
        for n in range(1, 5):
            file(inbox, f"KE-AAAA-000{n}")
        now = T0 + timedelta(days=100)
        inbox.set_status("KE-AAAA-0001", "closed", "withdrawn", None, "Kari", now)
        inbox.set_status("KE-AAAA-0002", "closed", "plan_started", None, "Kari", T0)
        inbox.set_status("KE-AAAA-0003", "closed", "declined", None, "Kari", now)
        inbox.set_status("KE-AAAA-0004", "in_review", None, None, "Kari", T0)
        assert inbox.purge(now, 90, "Kari") == 2
        assert [r.reference for r in inbox.list()] == ["KE-AAAA-0003", "KE-AAAA-0004"]
        with pytest.raises(UnknownReference):
            inbox.envelope("KE-AAAA-0001")
        deleted = [(e.reference, e.details) for e in inbox.audit_entries() if e.action == "deleted"]
        assert deleted == [
            ("KE-AAAA-0001", {"reason": "withdrawn"}),
            ("KE-AAAA-0002", {"reason": "retention"}),
        ]
        assert inbox.verify_audit().ok
        assert inbox.purge(now, 90, "Kari") == 0

    def test_recipient_keys_rotate_by_generation(self, inbox: Inbox) -> None:
        old, new, backup = (X25519PrivateKey.generate() for _ in range(3))
        ids = {k: key_id(k.public_key()) for k in (old, new, backup)}
        assert inbox.add_recipient_key("0301", ids[old], raw_public(old), T0, actor="Kari")
        assert not inbox.add_recipient_key("0301", ids[old], raw_public(old), T0, actor="Kari")
        later = T0 + timedelta(days=1)
        assert inbox.add_recipient_key("0301", ids[backup], raw_public(backup), later, actor="Kari")
        assert [k.key_id for k in inbox.recipient_keys("0301")] == [ids[backup], ids[old]]
        latest = T0 + timedelta(days=2)
        inbox.add_recipient_key(
            "0301", ids[new], raw_public(new), latest, actor="Kari", replace=True
        )
        current = inbox.recipient_keys("0301")
        assert [k.key_id for k in current] == [ids[new]]
        assert current[0].public_key.public_bytes_raw() == raw_public(new)
        assert inbox.recipient_keys("4601") == []
        listed = {(k.key_id, k.retired) for k in inbox.all_recipient_keys()}
        assert listed == {(ids[old], True), (ids[backup], True), (ids[new], False)}
        added = [e.details for e in inbox.audit_entries() if e.action == "key_added"]
        assert added[-1] == {
            "recipient": "0301",
            "key_id": ids[new],
            "retired": sorted([ids[old], ids[backup]]),
        }
        assert inbox.retire_recipient_key("0301", ids[new], actor="Kari", at=latest)
        assert not inbox.retire_recipient_key("0301", ids[new], actor="Kari", at=latest)
        assert inbox.recipient_keys("0301") == []
        assert inbox.verify_audit().ok

    def test_a_key_id_must_match_its_public_key(self, inbox: Inbox) -> None:
        with pytest.raises(ValueError, match="key id"):
            inbox.add_recipient_key("0301", "0" * 16, raw_public(KE_KEY), T0)
        assert inbox.all_recipient_keys() == []
