"""Group commit: concurrent filings in one process share one transaction.

Each caller queues its work and then asks for the leader's lock. Whoever gets it takes every
queued item (its own and those that arrived meanwhile) and writes them in one transaction,
audit entries chained in order under one head; the others find their item settled when the lock
comes to them. No thread of its own, no timer: a lone filing is its own batch, and eight
concurrent filings cost about one commit (one fsync on SQLite, one round of WAL flush on
PostgreSQL) instead of eight commits queued one behind the other on the audit chain's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Work = TypeVar("Work")
Result = TypeVar("Result")
# More than this many items wait for the next batch: a bounded transaction.
MAX_BATCH = 64


@dataclass(eq=False)
class Slot(Generic[Work, Result]):
    """One caller's item and, once its batch is written, its outcome."""

    work: Work
    result: Result | None = None
    error: BaseException | None = None
    settled: bool = field(default=False)

    def settle(self, result: Result) -> None:
        self.result, self.settled = result, True

    def fail(self, error: BaseException) -> None:
        self.error, self.settled = error, True


class GroupCommit(Generic[Work, Result]):
    """`submit(work)` returns `write(batch)`'s result for that work; `write` sees every batch
    alone (never two at once in this process) and must settle or fail each slot."""

    def __init__(self, write: Callable[[Sequence[Slot[Work, Result]]], None]) -> None:
        self._write = write
        self._queue: list[Slot[Work, Result]] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No batch is being written in this process while the block runs."""
        with self._leader:
            yield

    def submit(self, work: Work) -> Result:
        slot: Slot[Work, Result] = Slot(work)
        with self._queue_lock:
            self._queue.append(slot)
        while not slot.settled:
            with self._leader:
                if slot.settled:
                    break
                with self._queue_lock:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    self._write(batch)
                except BaseException as error:  # handed to every caller in the batch
                    for other in batch:
                        if not other.settled:
                            other.fail(error)
                for other in batch:
                    if not other.settled:
                        other.fail(RuntimeError("a batch left a filing unsettled"))
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result
