"""Migrations: `ke-intake db upgrade` from empty, reversible, in step with the schema module."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.cli import main
from storage.inbox.db import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from storage.inbox.schema import metadata

TABLES = {"referrals", "status_events", "recipient_keys", "audit_log", "alembic_version"}


def test_db_upgrade_command_creates_the_schema(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KE_DATABASE_URL", database_url)
    assert main(["db", "current"]) == 1
    assert "empty" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out
    engine = make_engine(database_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) >= TABLES
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrations_match_the_schema_and_reverse_cleanly(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        upgrade(engine)  # a second start is a no-op
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_status_chain_migration_chains_the_events_already_there(database_url: str) -> None:
    """0003 gives every stored event its place in its referral's status chain, in stored order;
    the application then chains new events after them and the history verifies."""
    import uuid

    from storage.inbox import SqlInbox, statuschain

    engine = make_engine(database_url)
    referral_id = uuid.uuid4()
    try:
        upgrade(engine, "0002")
        when = "2026-03-02 09:30:00.250000"
        stored_id = referral_id.hex if engine.dialect.name == "sqlite" else str(referral_id)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO referrals (id, reference, recipient, received_at, status,"
                    " channel, key_ids, size, envelope) VALUES (:id, 'KE-MIGR-0001', '0301',"
                    " :at, 'in_review', 'file', '', 1, :blob)"
                ),
                {"id": stored_id, "at": when, "blob": b"x"},
            )
            for status, actor, note in (("received", "intake", None), ("in_review", "Kari", b"n"),
                                        ("in_review", "Lise", None)):  # fmt: skip
                conn.execute(
                    sa.text(
                        "INSERT INTO status_events (referral_id, status, at, actor, note)"
                        " VALUES (:id, :status, :at, :actor, :note)"
                    ),
                    {"id": stored_id, "status": status, "at": when, "actor": actor, "note": note},
                )
        upgrade(engine)
        inbox = SqlInbox(engine, idempotency_secret=b"test")
        events = statuschain.in_chain_order(inbox.status_events("KE-MIGR-0001"))
        assert [e.actor for e in events] == ["intake", "Kari", "Lise"]
        assert events[0].prev_hash == statuschain.seed(referral_id)
        assert statuschain.findings(referral_id, events) == []
        at = datetime.fromisoformat("2026-03-03T10:00:00+00:00")
        inbox.set_status("KE-MIGR-0001", "closed", "declined", None, "Kari", at)
        after = statuschain.in_chain_order(inbox.status_events("KE-MIGR-0001"))
        assert after[-1].prev_hash == events[-1].hash
        assert statuschain.findings(referral_id, after) == []
    finally:
        engine.dispose()


def test_the_fast_start_check_knows_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION


def test_building_the_command_line_does_not_load_the_domain_model() -> None:
    """`ke-intake --help` and light commands must not pay for pydantic models at parse time."""
    import subprocess
    import sys

    code = (
        "import sys; from bot.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('bot.bootstrap', 'storage.inbox', 'alembic') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
