"""The tamper catalogue, part one: a database writer edits the readable columns of the inbox
behind the application's back. Each change must be named in `inbox list` and refused by
`inbox show` (never "signature valid" on someone else's referral)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.fixtures.referrals import valid_referral
from tests.integration.test_staff_cli import PASSPHRASE, Workstation

Edit = Callable[[sa.Connection, str, str], None]


def _swap_references(conn: sa.Connection, a: str, b: str) -> None:
    conn.execute(
        sa.text("UPDATE referrals SET reference = 'KE-TEMP-TEMP' WHERE reference = :a"), {"a": a}
    )
    conn.execute(
        sa.text("UPDATE referrals SET reference = :a WHERE reference = :b"), {"a": a, "b": b}
    )
    conn.execute(
        sa.text("UPDATE referrals SET reference = :b WHERE reference = 'KE-TEMP-TEMP'"), {"b": b}
    )


def _edit_channel(conn: sa.Connection, a: str, _b: str) -> None:
    conn.execute(sa.text("UPDATE referrals SET channel = 'web' WHERE reference = :a"), {"a": a})


def _edit_received_at(conn: sa.Connection, a: str, _b: str) -> None:
    conn.execute(
        sa.text(
            "UPDATE referrals SET received_at = '2020-01-01 00:00:00.000000' WHERE reference = :a"
        ),
        {"a": a},
    )


def _unreadable_received_at(conn: sa.Connection, a: str, _b: str) -> None:
    conn.execute(
        sa.text("UPDATE referrals SET received_at = 'not a time' WHERE reference = :a"), {"a": a}
    )


def _swap_envelopes(conn: sa.Connection, a: str, b: str) -> None:
    rows = dict(conn.execute(sa.text("SELECT reference, envelope FROM referrals")).all())
    for ref, other in ((a, b), (b, a)):
        conn.execute(sa.text("UPDATE referrals SET envelope = :e WHERE reference = :r"),
                     {"e": rows[other], "r": ref})  # fmt: skip


def _replay_envelope(conn: sa.Connection, a: str, b: str) -> None:
    """B's envelope copied into A's row: the same envelope shown twice."""
    blob = conn.execute(
        sa.text("SELECT envelope FROM referrals WHERE reference = :b"), {"b": b}
    ).scalar()
    conn.execute(
        sa.text("UPDATE referrals SET envelope = :e WHERE reference = :a"), {"e": blob, "a": a}
    )


EDITS: dict[str, tuple[Edit, str]] = {
    "references swapped between two rows": (_swap_references, "referanse"),
    "channel edited": (_edit_channel, "kanal"),
    "reception time edited": (_edit_received_at, "mottakstid"),
    "a reception time that is not a time": (_unreadable_received_at, "mottakstid"),
    "envelopes swapped between two rows": (_swap_envelopes, "id"),
    "an envelope replayed into another row": (_replay_envelope, "id"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edited_row_is_named_in_the_list_and_refused_by_show(name: str, tmp_path: Path) -> None:
    edit, column = EDITS[name]
    ws = Workstation(tmp_path / "data")
    first, second = ws.file(valid_referral()), ws.file(valid_referral())
    app = ws.app()
    try:
        with app.engine.begin() as conn:
            edit(conn, first, second)
    finally:
        app.close()
    listing = ws.flagged("inbox", "list")
    line = next(ln for ln in listing.splitlines() if ln.startswith(first))
    assert "STEMMER IKKE MED DEN SIGNERTE KONVOLUTTEN" in line and column in line, listing
    refused = ws.fails(
        "inbox", "show", first, "--key", ws.key, "--by", "Kari", passphrase=PASSPHRASE
    )
    assert "åpnes ikke" in refused and column in refused
