"""Group commit: concurrent writes in one process share one transaction (the inbox's filings,
the SQLite draft file's writes).

Callers queue their work in arrival order. The caller at the front of the queue is the leader:
it takes every queued item (its own and those that arrived meanwhile, up to MAX_BATCH) and
writes them in one transaction, audit entries chained in order under one head. When the batch
is written the leader wakes each caller of the batch (all at once: each has its own condition),
writes the next batch itself if callers queued meanwhile (a few in a row at most), and then
wakes the caller now at the front, which leads from there. No thread of its own, no timer: a
lone filing is its own batch, and eight concurrent filings cost about one commit (one fsync on
SQLite, one round of WAL flush on PostgreSQL) instead of eight commits queued one behind the
other on the audit chain's lock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar

Work = TypeVar("Work")
Result = TypeVar("Result")
# More than this many items wait for the next batch: a bounded transaction.
MAX_BATCH = 64
# A leader writes at most this many batches in a row before the next caller leads, so its own
# caller waits at most that long for the answer it already has.
LEAD_BATCHES = 4


@dataclass(eq=False)
class Slot(Generic[Work, Result]):
    """One caller's item and, once its batch is written, its outcome."""

    work: Work
    result: Result | None = None
    error: BaseException | None = None
    settled: bool = field(default=False)
    taken: bool = field(default=False)  # in a batch being written
    wake: threading.Condition | None = field(default=None, repr=False)

    def settle(self, result: Result) -> None:
        self.result, self.settled = result, True

    def fail(self, error: BaseException) -> None:
        self.error, self.settled = error, True


class GroupCommit(Generic[Work, Result]):
    """`submit(work)` returns `write(batch)`'s result for that work; `write` sees every batch
    alone (never two at once in this process) and must settle or fail each slot."""

    def __init__(self, write: Callable[[Sequence[Slot[Work, Result]]], None]) -> None:
        self._write = write
        self._mutex = threading.Lock()
        self._queue: deque[Slot[Work, Result]] = deque()
        self._writing = threading.Lock()  # held while a batch is written, and by exclusive()
        self._batch = 0  # the size of the batch being written
        self._leading = False  # a caller is leading (writing batches); no other may start

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No batch is being written in this process while the block runs."""
        with self._writing:
            yield

    def followers(self) -> bool:
        """Whether callers wait behind the batch being written (asked from within `write`: a
        next batch will follow at once)."""
        with self._mutex:
            return len(self._queue) > self._batch

    def submit(self, work: Work) -> Result:
        slot: Slot[Work, Result] = Slot(work, wake=threading.Condition(self._mutex))
        with self._mutex:
            self._queue.append(slot)
            try:
                while not slot.settled and (
                    slot.taken or self._leading or self._queue[0] is not slot
                ):
                    assert slot.wake is not None
                    slot.wake.wait()
            except BaseException:  # interrupted while waiting: leave the queue unless taken
                if not slot.taken:
                    self._queue.remove(slot)
                    self._wake_front()
                raise
            batch = None
            if not slot.settled:
                self._leading = True
                batch = self._take()
        if batch is not None:
            self._lead(batch)
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        return slot.result

    def _take(self) -> list[Slot[Work, Result]]:
        """Under the mutex: the next batch, from the front of the queue."""
        batch = list(islice(self._queue, MAX_BATCH))
        for other in batch:
            other.taken = True
        return batch

    def _lead(self, batch: list[Slot[Work, Result]]) -> None:
        """Write `batch` and, while callers queued meanwhile, up to LEAD_BATCHES - 1 batches
        more: the leader holds the interpreter already, whereas a new leader would first have to
        wake and win it from the callers just woken. Then the caller at the front leads."""
        try:
            error = self._write_batch(batch)
            for _ in range(LEAD_BATCHES - 1):
                if error is not None:
                    break
                with self._mutex:
                    if not self._queue:
                        break
                    batch = self._take()
                error = self._write_batch(batch)
            if error is not None and not isinstance(error, Exception):
                raise error  # an interrupt: its callers have it too, and so does this thread
        finally:
            with self._mutex:
                self._leading = False
                self._wake_front()

    def _write_batch(self, batch: list[Slot[Work, Result]]) -> BaseException | None:
        """Write `batch` (the front of the queue) and wake its callers; the error it failed with,
        which every caller in it gets."""
        failed: BaseException | None = None
        try:
            with self._writing:
                self._batch = len(batch)
                self._write(batch)
        except BaseException as error:  # handed to every caller in the batch
            failed = error
            for other in batch:
                if not other.settled:
                    other.fail(error)
        finally:
            for other in batch:
                if not other.settled:
                    other.fail(RuntimeError("a batch left a filing unsettled"))
            with self._mutex:
                for _ in batch:
                    self._queue.popleft()
                for other in batch:
                    assert other.wake is not None
                    other.wake.notify()
        return failed

    def _wake_front(self) -> None:
        """Under the mutex: the caller now at the front leads the next batch."""
        if self._queue:
            front = self._queue[0].wake
            assert front is not None
            front.notify()
