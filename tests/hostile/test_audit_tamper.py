"""The tamper catalogue, part two: the audit log, the status history and deleted rows. A KE
has verified once (so its head file anchors the chain); then someone with the SQLite file edits
it. `inbox audit-verify` must name each change (exit 1, no traceback), and a restored copy of a
purged referral must not open again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.inbox.audit import AuditEntry, chain_hash
from tests.fixtures.referrals import valid_referral
from tests.integration.test_staff_cli import PASSPHRASE, Workstation

Edit = Callable[[sqlite3.Connection, str, str], None]


def _unprotect(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def _drop_newest_entries(conn: sqlite3.Connection, _a: str, _b: str) -> None:
    conn.execute("DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log)")


def _rewrite_tail(conn: sqlite3.Connection, a: str, _b: str) -> None:
    """Hide who opened A, then recompute every hash after it: the chain checks out again."""
    rows = conn.execute(
        "SELECT seq, at, actor, action, reference, details, prev_hash, hash FROM audit_log"
        " ORDER BY seq"
    ).fetchall()
    import json
    from datetime import datetime

    prev = None
    for seq, at, actor, action, reference, details, prev_hash, _ in rows:
        if action == "opened" and reference == a:
            actor = "Mallory"
        prev_hash = prev if prev is not None else prev_hash
        entry = AuditEntry(seq, datetime.fromisoformat(at), actor, action, reference,
                           json.loads(details), prev_hash)  # fmt: skip
        new = chain_hash(prev_hash, entry)
        conn.execute("UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                     (actor, prev_hash, new, seq))  # fmt: skip
        prev = new


def _delete_row(conn: sqlite3.Connection, a: str, _b: str) -> None:
    conn.execute("DELETE FROM status_events WHERE referral_id = "
                 "(SELECT id FROM referrals WHERE reference = ?)", (a,))  # fmt: skip
    conn.execute("DELETE FROM referrals WHERE reference = ?", (a,))


def _delete_status_history(conn: sqlite3.Connection, a: str, _b: str) -> None:
    conn.execute("DELETE FROM status_events WHERE status != 'received' AND referral_id = "
                 "(SELECT id FROM referrals WHERE reference = ?)", (a,))  # fmt: skip


def _edit_status(conn: sqlite3.Connection, a: str, _b: str) -> None:
    conn.execute("UPDATE referrals SET status = 'closed', outcome = 'declined' WHERE reference = ?",
                 (a,))  # fmt: skip


def _malformed_time(conn: sqlite3.Connection, _a: str, _b: str) -> None:
    conn.execute("UPDATE audit_log SET at = 'not a time' WHERE seq = 2")


def _plant_row(conn: sqlite3.Connection, a: str, _b: str) -> None:
    """A copy of A's row under a new id and reference, never filed."""
    conn.execute(
        "INSERT INTO referrals SELECT '00000000000000000000000000000001', 'KE-PLNT-0001',"
        " recipient, received_at, status, outcome, channel, key_ids, size, coordinator, envelope,"
        " NULL FROM referrals WHERE reference = ?",
        (a,),
    )


CATALOGUE: dict[str, tuple[Edit, str]] = {
    "newest audit entries deleted": (_drop_newest_entries, "truncated"),
    "an entry edited and the tail recomputed": (_rewrite_tail, "rewritten"),
    "a referral row deleted": (_delete_row, "row_missing"),
    "status history deleted": (_delete_status_history, "status_history"),
    "status column edited": (_edit_status, "status_history"),
    "an audit time that is not a time": (_malformed_time, "entry_malformed"),
    "a row planted without a filing": (_plant_row, "row_unaudited"),
}


def _workstation(tmp_path: Path) -> tuple[Workstation, str, str]:
    ws = Workstation(tmp_path / "data")
    a, b = ws.file(valid_referral()), ws.file(valid_referral())
    ws.ok("inbox", "show", a, "--key", ws.key, "--by", "Kari", passphrase=PASSPHRASE)
    ws.ok("inbox", "status", a, "in_review", "--note", "Ringt", "--by", "Kari")
    verified = ws.ok("inbox", "audit-verify")  # anchors the head on the KE side
    assert "Ny forankret kontrollsum" in verified
    assert (ws.data_dir / "audit-head.json").is_file()
    return ws, a, b


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_change_is_named_by_audit_verify(name: str, tmp_path: Path) -> None:
    edit, problem = CATALOGUE[name]
    ws, a, b = _workstation(tmp_path)
    with sqlite3.connect(ws.data_dir / "inbox.sqlite3") as conn:
        _unprotect(conn)
        edit(conn, a, b)
    result = ws.run("inbox", "audit-verify", "--lang", "en")
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    from bot.staff.texts import t

    assert t(f"problem.{problem}", "en") in result.stdout, result.stdout
    # the anchor did not move over a failed check
    again = ws.run("inbox", "audit-verify", "--lang", "en")
    assert again.returncode == 1


def test_a_purged_referral_restored_from_a_backup_is_refused(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    backup = (ws.data_dir / "inbox.sqlite3").read_bytes()  # taken while the referral existed
    ws.ok(
        "inbox",
        "status",
        ref,
        "closed",
        "--outcome",
        "withdrawn",
        "--note",
        "Trukket",
        "--by",
        "Kari",
    )
    assert "Slettet 1" in ws.ok("inbox", "purge", "--by", "Kari")
    # Someone copies the row back from the backup into the live database.
    saved = tmp_path / "backup.sqlite3"
    saved.write_bytes(backup)
    with sqlite3.connect(ws.data_dir / "inbox.sqlite3") as conn:
        conn.execute("ATTACH DATABASE ? AS old", (str(saved),))
        conn.execute(
            "INSERT INTO referrals SELECT * FROM old.referrals WHERE reference = ?", (ref,)
        )
        conn.execute(
            "INSERT INTO status_events (referral_id, status, outcome, at, actor, note, prev_hash,"
            " hash) SELECT referral_id, status, outcome, at, actor, note, prev_hash, hash"
            " FROM old.status_events"
        )
    refused = ws.fails("inbox", "show", ref, "--key", ws.key, "--by", "Kari", passphrase=PASSPHRASE)
    assert "åpnes ikke" in refused and "slettet tidligere" in refused
    line = next(ln for ln in ws.flagged("inbox", "list").splitlines() if ln.startswith(ref))
    assert "slettet tidligere" in line
    result = ws.run("inbox", "audit-verify", "--lang", "en")
    assert result.returncode == 1 and "a copy was put back" in result.stdout
