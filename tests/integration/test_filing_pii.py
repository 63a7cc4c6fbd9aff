"""Filing through the composition root on SQLite and PostgreSQL: the referral is readable only
inside its envelope. The database bytes, every table's text and the log hold none of it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bot.bootstrap import App
from bot.settings import Settings
from intake.filing import InvalidReferral
from storage.crypto.body import unpack_body
from storage.crypto.envelope import RecipientKey, open_envelope
from tests.fixtures.referrals import personal_strings, valid_referral

KE_KEY = X25519PrivateKey.generate()
TABLES = ("referrals", "status_events", "recipient_keys", "audit_log", "alembic_version")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    settings = Settings(data_dir=tmp_path / "data", database_url=url, allow_synthetic_ids=True)
    app = App.from_settings(settings)
    key = RecipientKey.of(KE_KEY.public_key())
    app.inbox.add_recipient_key(
        "0301", key.key_id, KE_KEY.public_key().public_bytes_raw(), app.clock(), actor="Kari"
    )
    yield app
    app.close()


def leaks(haystack: bytes, secrets: list[str]) -> list[str]:
    """Which secrets occur in `haystack`, as UTF-8 or as the hex PostgreSQL shows bytea in."""
    lowered = haystack.lower()
    return [
        s
        for s in secrets
        if s.encode() in haystack
        or s.lower().encode() in lowered
        or s.encode().hex() in haystack.decode("latin-1")
    ]


def database_dump(app: App) -> bytes:
    """SQLite: the raw files (main, WAL, shm). PostgreSQL: every row of every table as text,
    plus every bytea value as raw bytes."""
    if app.engine.dialect.name == "sqlite":
        main = Path(app.engine.url.database or "")
        files = [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]
        return b"".join(p.read_bytes() for p in files if p.exists())
    parts: list[bytes] = []
    with app.engine.connect() as conn:
        for table in TABLES:
            for (text,) in conn.execute(sa.text(f"SELECT t::text FROM {table} t")):  # noqa: S608
                parts.append(text.encode())
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608
                parts += [bytes(v) for v in row if isinstance(v, bytes | memoryview)]
    return b"\n".join(parts)


def test_filed_referral_leaves_no_personal_data_in_the_database_or_log(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # statements and parameters
    try:
        data = valid_referral()
        receipt = app.file(data, channel="file", language="nb", idempotency_key="script-run-1")
        app.inbox.log_access(receipt.reference, "open", "Kari")
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    secrets = personal_strings(data)
    assert leaks(database_dump(app), secrets) == []
    assert leaks(caplog.text.encode(), secrets) == []
    assert receipt.reference in caplog.text  # the log does say what happened
    assert "INSERT INTO referrals" in caplog.text  # and SQL logging was on

    # ...while the KE, and only with its key, reads everything back.
    record = app.inbox.get(receipt.reference)
    assert record is not None and record.signature_ok
    _, body = open_envelope(
        app.inbox.envelope(receipt.reference), private_key=KE_KEY, verify_keys=app.verify_keys
    )
    content = json.loads(unpack_body(body)[0])
    assert content["person"]["national_id"] == data["person"]["national_id"]
    assert content["meta"]["reference"] == receipt.reference


def test_the_dump_would_see_a_leak(app: App) -> None:
    """Control for the test above: a name written to a readable column is found."""
    data = valid_referral()
    receipt = app.file(data, channel="file", language="nb", idempotency_key=None)
    app.inbox.assign(receipt.reference, data["person"]["family_name"], "Kari", app.clock())
    assert leaks(database_dump(app), personal_strings(data)) == [data["person"]["family_name"]]


def test_the_idempotency_key_is_stored_only_as_a_keyed_hash(app: App) -> None:
    key = "chat-4711-draft-0042"
    first = app.file(valid_referral(), channel="web", language="en", idempotency_key=key)
    again = app.file(valid_referral(), channel="web", language="en", idempotency_key=key)
    assert (again.reference, again.duplicate) == (first.reference, True)
    assert leaks(database_dump(app), [key]) == []
    with app.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT idempotency_hash FROM referrals")).scalar_one()
    assert len(stored) == 64 and key not in stored


def test_an_invalid_referral_stores_nothing(app: App) -> None:
    data = valid_referral()
    data["consent"]["acknowledged"] = False
    with pytest.raises(InvalidReferral) as caught:
        app.file(data, channel="file", language="nb", idempotency_key="k")
    assert [v.field for v in caught.value.violations] == ["consent.acknowledged"]
    with app.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM referrals")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM status_events")).scalar_one() == 0
    assert [e.action for e in app.inbox.audit_entries()] == ["key_added"]


def test_migrations_ran_on_first_start_and_the_sqlite_pragmas_hold(app: App) -> None:
    from storage.inbox.db import current_revision, head_revision

    assert current_revision(app.engine) == head_revision()
    if app.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with app.engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "secure_delete", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "secure_delete": 1,
        "foreign_keys": 1,
        "busy_timeout": 30_000,
    }
