"""Concurrent filings from several threads: nothing lost, nothing filed twice, one audit chain."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from intake.filing import Filing
from intake.reference import make_reference
from storage.inbox import FilingResult, SqlInbox
from storage.inbox.db import make_engine, upgrade

THREADS = 8
SUBMISSIONS = 200
DISTINCT = 150  # so 50 submissions are retries of an earlier one, some racing each other


def _filing(idempotency_key: str, *, channel: str = "telegram") -> Filing:
    """A filing of a new referral, now, under the client key `idempotency_key`."""
    referral_id = uuid.uuid4()
    return Filing(
        envelope=b"sealed " + referral_id.bytes,
        referral_id=referral_id,
        reference=make_reference(referral_id.bytes),
        recipient="0301",
        channel=channel,
        received_at=datetime.now(UTC),
        key_ids=("0123456789abcdef",),
        idempotency_key=idempotency_key,
        actor=f"intake:{channel}",
    )


def test_concurrent_filings_lose_nothing_and_duplicate_nothing(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=THREADS, max_overflow=0)
    upgrade(engine)
    inbox = SqlInbox(engine, idempotency_secret=b"test")
    rng = random.Random(4)
    keys = [f"draft-{n}" for n in range(DISTINCT)]
    submissions = keys + rng.choices(keys, k=SUBMISSIONS - DISTINCT)
    rng.shuffle(submissions)

    def submit(key: str) -> tuple[str, FilingResult]:
        return key, inbox.file(_filing(key))

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(submit, submissions))
        by_key: dict[str, list[FilingResult]] = defaultdict(list)
        for key, result in results:
            by_key[key].append(result)
        assert set(by_key) == set(keys)
        for filed in by_key.values():
            assert len({r.reference for r in filed}) == 1
            assert sum(not r.duplicate for r in filed) == 1
        stored = inbox.list()
        assert len(stored) == DISTINCT
        assert {r.reference for r in stored} == {f[0].reference for f in by_key.values()}
        report = inbox.verify_audit()
        assert (report.ok, report.count) == (True, DISTINCT)
    finally:
        engine.dispose()


def test_two_workers_filing_at_once_keep_one_chain(database_url: str) -> None:
    """Two inbox objects on one database are two bot processes: each remembers the chain's tip
    from its own last write, so each batch meets the other's appends on the `seq` key and must
    fall back to the locked path without losing or doubling a filing."""
    engines = [make_engine(database_url, pool_size=THREADS, max_overflow=0) for _ in range(2)]
    upgrade(engines[0])
    workers = [SqlInbox(engine, idempotency_secret=b"test") for engine in engines]

    def submit(n: int) -> FilingResult:
        return workers[n % 2].file(_filing(f"draft-{n}"))

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(submit, range(120)))
        assert not any(r.duplicate for r in results)
        assert len(workers[0].list()) == 120
        report = workers[1].verify_audit()
        assert (report.ok, report.count) == (True, 120)
    finally:
        for engine in engines:
            engine.dispose()


def test_racing_duplicates_of_one_submission_file_once(database_url: str) -> None:
    """Every thread passes the 'already filed?' check together, so all but one must lose the
    insert race on the unique constraint and still answer with the winner's reference."""
    import threading

    engine = make_engine(database_url, pool_size=THREADS, max_overflow=0)
    upgrade(engine)
    inbox = SqlInbox(engine, idempotency_secret=b"test")
    barrier = threading.Barrier(THREADS)

    def submit(n: int) -> FilingResult:
        filing = _filing("one submission", channel="web")
        barrier.wait()
        return inbox.file(filing)

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(submit, range(THREADS)))
        assert len({r.reference for r in results}) == 1
        assert sorted(r.duplicate for r in results) == [False] + [True] * (THREADS - 1)
        assert len(inbox.list()) == 1
        assert inbox.verify_audit().count == 1
    finally:
        engine.dispose()


def test_sqlite_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    """Staff listing the inbox while the bot is mid-filing: WAL readers read their snapshot."""
    import time

    from storage.inbox.db import writing

    engine = make_engine(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    upgrade(engine)
    inbox = SqlInbox(engine, idempotency_secret=b"test")
    try:
        with writing(engine) as conn:
            conn.exec_driver_sql(
                "INSERT INTO recipient_keys VALUES ('x', 'y', x'00', '2026-01-01', 0)"
            )
            started = time.monotonic()
            assert inbox.list() == []
            assert inbox.all_recipient_keys() == []  # the uncommitted row is not seen
            assert time.monotonic() - started < 5
    finally:
        engine.dispose()
