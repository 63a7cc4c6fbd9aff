"""The tamper catalogue, part four: a staff note replaced together with the key stored beside it
and its signature. A database writer can seal a note to the KE's public keys and sign it with a
key of their own; the note must not be shown as the KE's (it is checked against the keys the KE
side registered, never against the key in the row)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot.staff.access import NOTE_BLOB_MAGIC, NOTE_MAGIC
from storage.crypto.envelope import key_id, seal
from storage.crypto.keys import public_signing_key_bytes
from tests.fixtures.referrals import valid_referral
from tests.integration.test_staff_cli import PASSPHRASE, Workstation


def test_a_note_swapped_with_its_key_and_signature_is_not_shown(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    ws.ok("inbox", "status", ref, "in_review", "--note", "Ringt mor", "--by", "Kari")
    show = ("inbox", "show", ref, "--key", ws.key, "--by", "Kari")
    assert "Ringt mor" in ws.ok(*show, passphrase=PASSPHRASE)

    app = ws.app()
    try:
        record = app.inbox.get(ref)
        keys = app.inbox.recipient_keys(record.recipient)
        (event,) = [e for e in app.inbox.status_events(ref) if e.note_envelope]
    finally:
        app.close()
    mallory = Ed25519PrivateKey.generate()
    payload = {"kind": "status", "note": "Saken er henlagt", "by": "Kari",
               "at": event.at.isoformat()}  # fmt: skip
    forged = (
        NOTE_BLOB_MAGIC
        + public_signing_key_bytes(mallory)
        + seal(
            NOTE_MAGIC + json.dumps(payload).encode(),
            referral_id=record.id,
            reference=record.reference,
            recipient=record.recipient,
            channel=record.channel,
            filed_at=event.at,
            recipients=keys,
            signing_key=mallory,
        )
    )
    with sqlite3.connect(ws.data_dir / "inbox.sqlite3") as conn:
        conn.execute("UPDATE status_events SET note = ? WHERE id = ?", (forged, event.id))

    shown = ws.run(*show, "--lang", "en", passphrase=PASSPHRASE)
    assert "Traceback" not in shown.stderr
    assert "Saken er henlagt" not in shown.stdout and "Ringt mor" not in shown.stdout
    assert "not registered" in shown.stdout, shown.stdout


def test_a_note_key_is_registered_on_the_ke_side_not_in_the_database(tmp_path: Path) -> None:
    """The registry the check uses lives beside the staff accounts: a database writer cannot
    add their key to it."""
    from bot.staff.access import NoteSigners

    signers = NoteSigners(tmp_path / "staff" / "note-signers.json")
    key = Ed25519PrivateKey.generate().public_key()
    now = datetime.now(UTC)
    signers.register(key, "workstation", now)
    assert key_id(key) in signers.keys_at(now)
    assert (tmp_path / "staff" / "note-signers.json").stat().st_mode & 0o077 == 0
    assert signers.retire(key, now)
    assert signers.keys_at(now) == {} and signers.keys_at(None) == {}
    # a note from before the retirement still verifies under the key it was signed with
    assert signers.keys_at(datetime(2020, 1, 1, tzinfo=UTC)) != {}


def test_another_workstations_note_key_is_trusted_once_registered(tmp_path: Path) -> None:
    """Two workstations of one KE on one inbox, each with its own data directory: a note the
    second one writes is shown on the first as signed by an unregistered key until its key,
    exported there, is registered here (once; the registration is audited)."""
    here = Workstation(tmp_path / "here" / "data")
    ref = here.file(valid_referral())
    there = Workstation(
        tmp_path / "there" / "data",
        database_url=f"sqlite:///{here.data_dir / 'inbox.sqlite3'}",
        register_key=False,
    )
    there.ok("inbox", "status", ref, "in_review", "--note", "Ringt mor", "--by", "Ola")
    show = ("inbox", "show", ref, "--key", here.key, "--by", "Kari", "--lang", "en")
    before = here.run(*show, passphrase=PASSPHRASE).stdout
    assert "Ringt mor" not in before and "not registered" in before, before

    exported = tmp_path / "there.pub"
    said = there.ok("staff", "note-key", "export", exported, "--lang", "en")
    assert str(exported) in said and "note-key register" in said
    register = ("staff", "note-key", "register", exported, "--owner", "Arbeidsstasjon 2")
    assert "is registered:" in here.ok(*register, "--lang", "en")
    assert "Ringt mor" in here.ok(*show, passphrase=PASSPHRASE)
    assert "registered already" in here.ok(*register, "--lang", "en")
    assert [a for a, _, _ in here.audit()].count("note_key_registered") == 1
    assert "ke-intake" in here.fails("staff", "note-key", "register", here.key, "--owner", "x")
