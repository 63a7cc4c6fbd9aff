"""The durable default for a channel process without Redis: values (draft tokens, already
encrypted by the caller) in one SQLite file beside the inbox, each with its expiry. A restart
loses nothing; expired rows are dropped when read and swept on writes. Calls run in a worker
thread on that thread's own connection (autocommit, WAL), kept while the thread lives: several
threads (and processes) share the file. Opening a connection cost ten times a draft's read or
write (about 60 and 130 us of CPU against 4 and 13, measured).

Reads, one at every turn, run in a thread of the store's own (`_Reader`) that the event loop
waits for a moment (READ_WAIT_SECONDS): a read is tens of microseconds, and waiting for it so
costs less CPU than `asyncio.to_thread`'s way back through the loop. No read runs on the loop
itself: one can block in the kernel for as long as the disk or file system stalls (on a frozen
file system a read blocks once the WAL has moved on, because it writes its read mark to the
shared-memory file), and the loop would stop every conversation of the worker with it. A read
that outlasts the wait is awaited instead, and so is every read behind it until it ends."""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from storage.group import GroupCommit, Slot

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS drafts ("
    "key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL)"
)
SWEEP_EVERY = 200
# How long the event loop waits for a read before it awaits it: far above a read (tens of us)
# and a busy machine's scheduling delay, far below what a person would notice.
READ_WAIT_SECONDS = 0.002


class _Reader:
    """One daemon thread running the store's reads in order (a read hung in the kernel never
    blocks the process's exit); it ends once its store is gone."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        # The read that outlasted its wait, while it runs: the reads behind it are not waited for.
        self.stalled: Future[Any] | None = None

    def submit(self, work: Callable[[], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put((future, work))
        if self._thread is None:
            with self._starting:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=_read_in_turn, args=(self._queue,), name="drafts-read", daemon=True
                    )
                    self._thread.start()
        return future

    def stop(self) -> None:
        self._queue.put(None)


def _read_in_turn(
    jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None],
) -> None:
    while (job := jobs.get()) is not None:
        future, work = job
        if not future.set_running_or_notify_cancel():  # its turn was cancelled meanwhile
            continue
        try:
            future.set_result(work())
        except BaseException as error:
            future.set_exception(error)


class SqliteValueStore:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._writes = 0
        self._local = threading.local()
        self._reader = _Reader()
        # Writes of concurrent turns share a transaction, so one fsync (synchronous=FULL)
        # makes several durable; each `set` still returns only once its own write is.
        self._writes_in_turn: GroupCommit[tuple[str, bytes, int], bool] = GroupCommit(
            self._set_batch
        )
        weakref.finalize(self, self._reader.stop)
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(self.path, timeout=30, isolation_level=None) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
        path.chmod(0o600)

    def _connect(self, *, wait: bool = True) -> sqlite3.Connection:
        """This thread's connection (made at its first call; closed when the thread ends);
        `wait=False`: one that gives up at once on a locked file instead of waiting 30 s."""
        name = "db" if wait else "quick"
        db: sqlite3.Connection | None = getattr(self._local, name, None)
        if db is None:
            timeout = 30 if wait else 0
            db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            setattr(self._local, name, db)
        return db

    def _get(self, key: str, *, wait: bool = True) -> bytes | None:
        with self._connect(wait=wait) as db:
            row = db.execute(
                "SELECT value FROM drafts WHERE key = ? AND expires > ?", (key, self._clock())
            ).fetchone()
        return bytes(row[0]) if row is not None else None

    def _set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._writes_in_turn.submit((key, value, ttl_seconds))

    def _set_batch(self, batch: Sequence[Slot[tuple[str, bytes, int], bool]]) -> None:
        """Every write of `batch` in one transaction, in their order (the later of two writes of
        one key wins, as one after the other would)."""
        now = self._clock()
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO drafts (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
                [(key, value, now + ttl) for key, value, ttl in (slot.work for slot in batch)],
            )
            before, self._writes = self._writes, self._writes + len(batch)
            if before // SWEEP_EVERY != self._writes // SWEEP_EVERY:
                db.execute("DELETE FROM drafts WHERE expires <= ?", (now,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        for slot in batch:
            slot.settle(True)

    def _delete(self, keys: tuple[str, ...]) -> None:
        with self._connect() as db:
            db.executemany("DELETE FROM drafts WHERE key = ?", [(key,) for key in keys])

    def _items(self, prefix: str) -> list[tuple[str, bytes]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT key, value FROM drafts WHERE key >= ? AND key < ? AND expires > ?",
                (prefix, prefix + "\uffff", self._clock()),
            ).fetchall()
        return [(str(key), bytes(value)) for key, value in rows]

    async def get(self, key: str) -> bytes | None:
        """Read in the reader thread by a connection that never waits for a lock, waited for
        on the loop up to READ_WAIT_SECONDS and awaited after that; a locked file is read again
        in a worker thread, which waits for the lock."""
        reader = self._reader
        future = reader.submit(lambda: self._get(key, wait=False))
        try:
            if reader.stalled is not None and not reader.stalled.done():
                raise FutureTimeout  # a read still hangs: this one waits behind it
            value: bytes | None = future.result(timeout=READ_WAIT_SECONDS)
        except FutureTimeout:
            reader.stalled = future
            try:
                value = await asyncio.wrap_future(future)
            except sqlite3.OperationalError:
                return await asyncio.to_thread(self._get, key)
        except sqlite3.OperationalError:  # locked or busy: wait for it off the event loop
            return await asyncio.to_thread(self._get, key)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await asyncio.to_thread(self._set, key, value, ttl_seconds)

    async def delete(self, *keys: str) -> None:
        if keys:
            await asyncio.to_thread(self._delete, keys)

    async def items(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every live value whose key starts with `prefix` (for a start-up sweep)."""
        return await asyncio.to_thread(self._items, prefix)
