"""The tamper catalogue, part three: the status history. Each referral's status events are a
hash chain (storage.inbox.statuschain). Someone with the SQLite file edits, deletes, reorders or
inserts an event; `inbox list`, `inbox show` and `inbox audit-verify` must each name the event
(by its place in the history) and exit with 1. A history recomputed from the start fits its own
chain, so only the anchored audit log can tell: `audit-verify` must still name it."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.staff.texts import t
from storage.inbox.statuschain import chained, seed
from tests.fixtures.referrals import valid_referral
from tests.integration.test_staff_cli import PASSPHRASE, Workstation

Edit = Callable[[sqlite3.Connection, str], None]
T0 = datetime.now(UTC)


def _events(conn: sqlite3.Connection, ref: str) -> list[tuple[int, str]]:
    """(id, referral id hex) of the referral's events, in stored order."""
    return conn.execute(
        "SELECT e.id, e.referral_id FROM status_events e JOIN referrals r ON r.id = e.referral_id"
        " WHERE r.reference = ? ORDER BY e.id",
        (ref,),
    ).fetchall()


def _edit(conn: sqlite3.Connection, ref: str) -> None:
    second = _events(conn, ref)[1][0]
    conn.execute("UPDATE status_events SET actor = 'Mallory' WHERE id = ?", (second,))


def _delete(conn: sqlite3.Connection, ref: str) -> None:
    conn.execute("DELETE FROM status_events WHERE id = ?", (_events(conn, ref)[1][0],))


def _reorder(conn: sqlite3.Connection, ref: str) -> None:
    """Events 2 and 3 change places (every column but the id moves)."""
    second, third = (i for i, _ in _events(conn, ref)[1:3])
    cols = "status, outcome, at, actor, note, prev_hash, hash"
    rows = {
        i: conn.execute(f"SELECT {cols} FROM status_events WHERE id = ?", (i,)).fetchone()  # noqa: S608
        for i in (second, third)
    }
    for target, source in ((second, third), (third, second)):
        conn.execute(
            "UPDATE status_events SET status = ?, outcome = ?, at = ?, actor = ?, note = ?,"
            " prev_hash = ?, hash = ? WHERE id = ?",
            (*rows[source], target),
        )


def _recomputed(conn: sqlite3.Connection, ref: str, at_id: int, **fields: object) -> str:
    """What an attacker who knows the chain's rule writes for an event: its own hash after the
    event before it."""
    ids = [i for i, _ in _events(conn, ref)]
    referral = uuid.UUID(_events(conn, ref)[0][1])
    before = [i for i in ids if i < at_id]
    prev = (
        conn.execute("SELECT hash FROM status_events WHERE id = ?", (before[-1],)).fetchone()[0]
        if before
        else seed(referral)
    )
    row = conn.execute(
        "SELECT status, outcome, at, actor, note IS NOT NULL FROM status_events WHERE id = ?",
        (at_id,),
    ).fetchone()
    status, outcome, at, actor, note = row
    values = {"status": status, "outcome": outcome, "actor": actor, **fields}
    own = chained(
        prev,
        referral,
        status=str(values["status"]),
        outcome=values["outcome"],  # type: ignore[arg-type]
        at=datetime.fromisoformat(at).replace(tzinfo=UTC),
        actor=str(values["actor"]),
        note=bool(note),
    )["hash"]
    conn.execute(
        "UPDATE status_events SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?",
        (values["actor"], prev, own, at_id),
    )
    return own


def _edit_and_rehash(conn: sqlite3.Connection, ref: str) -> None:
    """Event 2 edited and its own hash recomputed: event 3 no longer links to it."""
    _recomputed(conn, ref, _events(conn, ref)[1][0], actor="Mallory")


def _insert(conn: sqlite3.Connection, ref: str) -> None:
    """A new event put in after event 2, with its links made right; later ids moved up."""
    ids = [i for i, _ in _events(conn, ref)]
    conn.execute("UPDATE status_events SET id = id + 1000 WHERE id > ?", (ids[1],))
    conn.execute(
        "INSERT INTO status_events (id, referral_id, status, outcome, at, actor, note,"
        " prev_hash, hash) SELECT ?, referral_id, 'closed', 'declined', at, 'Mallory', NULL,"
        " '', '' FROM status_events WHERE id = ?",
        (ids[1] + 1, ids[1]),
    )
    _recomputed(conn, ref, ids[1] + 1)


def _rewrite_history(conn: sqlite3.Connection, ref: str) -> None:
    """Event 2 edited and every hash from it on recomputed: the chain fits again."""
    ids = [i for i, _ in _events(conn, ref)]
    _recomputed(conn, ref, ids[1], actor="Mallory")
    for later in ids[2:]:
        _recomputed(conn, ref, later)


# name: (edit, [(problem, event position)] that list/show/audit-verify must name)
CATALOGUE: dict[str, tuple[Edit, list[tuple[str, int]]]] = {
    "an event edited": (_edit, [("status_event_edited", 2)]),
    "an event deleted": (_delete, [("status_event_missing", 2)]),
    "two events reordered": (
        _reorder,
        [("status_event_reordered", 2), ("status_event_reordered", 3)],
    ),
    "an event inserted": (_insert, [("status_event_inserted", 3)]),
    "an event edited and its hash recomputed": (_edit_and_rehash, [("status_event_missing", 3)]),
    "the whole history recomputed": (_rewrite_history, []),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A KE with one referral whose history has four events, verified once (the head file
    anchors the audit log). Each test works on a copy."""
    root = tmp_path_factory.mktemp("status")
    ws = Workstation(root / "data")
    ref = ws.file(valid_referral())
    app = ws.app()
    try:
        app.inbox.set_status(ref, "in_review", None, None, "Kari", T0 + timedelta(hours=1))
        app.inbox.add_note(ref, b"sealed note", "Lise", T0 + timedelta(hours=2))
        app.inbox.set_status(ref, "coordinator_appointed", None, None, "Kari", T0 + timedelta(3))
    finally:
        app.close()
    assert "Ny forankret kontrollsum" in ws.ok("inbox", "audit-verify")
    assert ref in ws.ok("inbox", "list")  # the intact history is not flagged
    return root, ref


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_status_history_change_is_named(
    name: str, prepared: tuple[Path, str], tmp_path: Path
) -> None:
    edit, expected = CATALOGUE[name]
    root, ref = prepared
    shutil.copytree(root, tmp_path / "ke")
    ws = Workstation(tmp_path / "ke" / "data", register_key=False)
    with sqlite3.connect(ws.data_dir / "inbox.sqlite3") as conn:
        edit(conn, ref)
    named = [t(f"problem.{problem}", "en", event=n) for problem, n in expected]

    verified = ws.run("inbox", "audit-verify", "--lang", "en")
    assert verified.returncode == 1 and "Traceback" not in verified.stderr, verified.stdout
    for text in named:
        assert text in verified.stdout and ref in verified.stdout, verified.stdout
    # The audit log, anchored, also says the history differs from what it recorded (events
    # moved with their times read in the same order as before, so only the chain sees that).
    if name != "two events reordered":
        assert t("problem.status_history", "en") in verified.stdout

    listed = ws.run("inbox", "list", "--lang", "en")
    shown = ws.run("inbox", "show", ref, "--key", ws.key, "--by", "Kari", "--lang", "en",
                   passphrase=PASSPHRASE)  # fmt: skip
    assert "Traceback" not in listed.stderr + shown.stderr
    if not named:  # a consistent rewrite is only seen against the anchored audit log
        assert listed.returncode == 0 and shown.returncode == 0
        return
    line = next(ln for ln in listed.stdout.splitlines() if ln.startswith(ref))
    assert listed.returncode == 1 and "STATUS HISTORY ALTERED" in line
    assert shown.returncode == 1 and ref in shown.stdout  # shown, but flagged
    for text in named:
        assert text in line and text in shown.stderr
