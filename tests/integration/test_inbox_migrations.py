"""Migrations: `ke-intake db upgrade` from empty, reversible, in step with the schema module."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inbox.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


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
