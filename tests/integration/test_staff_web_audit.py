"""The audit page reports an edited entry, a removed entry and a removed (truncated) tail: the
chain and the head anchored outside the database (written at each clean check) catch them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.inbox.anchor import HEAD_FILE, HeadFile, check_audit
from tests.integration.test_staff_web import client, csrf, login
from tests.staffweb.harness import KE, T0, installation


@pytest.fixture
def ke(tmp_path: Path) -> Iterator[KE]:
    with installation(tmp_path) as ke:
        ke.add("kari", "Kari Saksbehandler")
        ref = ke.file(T0)
        c = client(ke)
        login(c, ke)
        page = c.get(f"/case/{ref}").text
        c.post(f"/case/{ref}/note", data={"csrf": csrf(page), "note": "Ringt opp"})
        first = c.get("/audit").text
        assert "Loggen er hel" in first and "lagret den første" in first
        assert (ke.data_dir / "audit-head.json").exists()
        yield ke


def sql(ke: KE, statement: str, **params: int) -> None:
    """As someone with the database file would: the append-only triggers dropped first."""
    with ke.app.engine.begin() as conn:
        triggers = conn.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
            )
        ).scalars()
        for name in list(triggers):
            conn.execute(sa.text(f'DROP TRIGGER "{name}"'))
        conn.execute(sa.text(statement), params)


def audit_page(ke: KE) -> str:
    c = client(ke)
    ke.clock.advance(seconds=31)  # a fresh TOTP step for the new login
    login(c, ke, unlock=False)
    return c.get("/audit").text


def test_an_edited_entry_is_reported(ke: KE) -> None:
    sql(ke, "UPDATE audit_log SET actor = 'Mallory' WHERE seq = 3")
    page = audit_page(ke)
    assert "Loggen stemmer ikke" in page and "oppføringen er endret" in page
    head = (ke.data_dir / "audit-head.json").read_text()
    assert "Mallory" not in head  # the anchor does not move over a failed check


def test_a_removed_entry_is_reported(ke: KE) -> None:
    sql(ke, "DELETE FROM audit_log WHERE seq = 2")
    page = audit_page(ke)
    assert "Loggen stemmer ikke" in page and "nummereringen er brutt" in page


def test_a_removed_tail_is_reported_against_the_anchor(ke: KE) -> None:
    with ke.app.engine.begin() as conn:
        last = conn.execute(sa.text("SELECT max(seq) FROM audit_log")).scalar_one()
    sql(ke, "DELETE FROM audit_log WHERE seq >= :seq", seq=last - 1)  # the chain still holds
    anchor = HeadFile(ke.data_dir / HEAD_FILE).read()
    assert "truncated" in {f.problem for f in check_audit(ke.app.inbox, anchor).findings}
    page = audit_page(ke)
    # The new login's entries take the removed numbers: the entry at the anchored position is
    # now another one (or, before anything new, the chain is shorter than the anchor).
    assert "Loggen stemmer ikke" in page
    assert "loggen er skrevet om" in page or "de nyeste er slettet" in page
