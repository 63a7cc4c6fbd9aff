"""The SQLite filing insert (`storage.inbox.sql._insert_rows`, a statement compiled once and the
column types' bind processors) stores byte for byte what SQLAlchemy Core's `table.insert()`
stores, for one filing and for a batch, and a taken reference is still the IntegrityError the
optimistic batch falls back on."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from intake.filing import Filing
from storage.inbox.db import make_engine, upgrade, writing
from storage.inbox.schema import audit_log, referrals, status_events
from storage.inbox.sql import _batch_rows, _Filing, _insert_rows

TABLES = (referrals, status_events, audit_log)


def _filing(n: int, referral_id: uuid.UUID | None = None) -> _Filing:
    at = dt.datetime(2026, 12, 1, 17, 30, n, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    return _Filing.of(
        Filing(
            envelope=bytes([n]) * 5000,
            referral_id=referral_id or uuid.UUID(int=n + 1),
            reference=f"KE-TEST-{n:04d}",
            recipient="0301",
            channel="web",
            received_at=at,
            key_ids=("0123456789abcdef", "fedcba9876543210"),
            idempotency_key=None,
            actor="intake:web",
        ),
        idem="ab" * 32 if n % 2 else None,
    )


def _engine(path: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _stored(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row as SQLite holds it (no result processing), with each value's storage class."""
    found = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY rowid")  # noqa: S608
            found[table.name] = [tuple((type(v).__name__, v) for v in row) for row in rows]
    return found


@pytest.mark.parametrize("count", [1, 3])
def test_the_plain_insert_stores_what_core_stores(tmp_path: Path, count: int) -> None:
    rows, events, entries, _ = _batch_rows([_filing(n) for n in range(count)], None)
    core, plain = _engine(tmp_path / "core.sqlite3"), _engine(tmp_path / "plain.sqlite3")
    try:
        with writing(core) as conn:
            for table, batch in zip(TABLES, (rows, events, entries), strict=True):
                conn.execute(table.insert(), batch)
        with writing(plain) as conn:
            _insert_rows(conn, rows, events, entries)
        stored = _stored(plain)
        assert stored == _stored(core)
        assert [len(stored[t.name]) for t in TABLES] == [count] * 3
    finally:
        core.dispose()
        plain.dispose()


def test_a_taken_reference_is_an_integrity_error_and_stores_nothing(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "inbox.sqlite3")
    try:
        first = _batch_rows([_filing(1)], None)
        with writing(engine) as conn:
            _insert_rows(conn, *first[:3])
        # Another referral under the same reference, chained correctly after the first.
        second = _batch_rows([_filing(1, referral_id=uuid.uuid4())], first[3])
        with pytest.raises(IntegrityError), writing(engine) as conn:
            _insert_rows(conn, *second[:3])
        assert [len(rows) for rows in _stored(engine).values()] == [1, 1, 1]
    finally:
        engine.dispose()
