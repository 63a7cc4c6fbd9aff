"""The group commit on its own: who leads, what a batch holds, and what each caller gets."""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from storage import group as group_module
from storage.group import GroupCommit, Slot

CALLERS = 8


def wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.001)


def test_callers_queued_behind_a_batch_are_the_next_batch_each_with_its_own_result() -> None:
    """The leader writes the batch that queued behind its own too (it holds the interpreter
    already), and every caller gets its own result."""
    batches: list[list[int]] = []
    writers: list[int] = []
    writing = threading.Lock()
    group: GroupCommit[int, int] = GroupCommit(lambda batch: write(batch))
    first_may_finish = threading.Event()

    def write(batch: Sequence[Slot[int, int]]) -> None:
        assert writing.acquire(blocking=False), "two batches written at once"
        try:
            batches.append([slot.work for slot in batch])
            writers.append(threading.get_ident())
            if len(batches) == 1:
                first_may_finish.wait(10)
            for slot in batch:
                slot.settle(slot.work * 10)
        finally:
            writing.release()

    with ThreadPoolExecutor(CALLERS) as pool:
        first = pool.submit(group.submit, 0)
        wait_for(lambda: batches)
        rest = [pool.submit(group.submit, n) for n in range(1, CALLERS)]
        wait_for(group.followers)
        wait_for(lambda: len(group._queue) == CALLERS)
        first_may_finish.set()
        results = [first.result(10)] + [f.result(10) for f in rest]
    assert results == [n * 10 for n in range(CALLERS)]
    assert batches == [[0], list(range(1, CALLERS))]
    assert writers[0] == writers[1]
    assert not group.followers() and not group._queue


def test_after_its_last_batch_a_leader_hands_over_to_the_caller_at_the_front(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(group_module, "LEAD_BATCHES", 1)
    writers: dict[int, int] = {}
    group: GroupCommit[int, int] = GroupCommit(lambda batch: write(batch))
    first_may_finish = threading.Event()

    def write(batch: Sequence[Slot[int, int]]) -> None:
        if not writers:
            first_may_finish.wait(10)
        for slot in batch:
            writers[slot.work] = threading.get_ident()
            slot.settle(slot.work)

    with ThreadPoolExecutor(CALLERS) as pool:
        first = pool.submit(group.submit, 0)
        wait_for(lambda: len(group._queue) == 1 and group._queue[0].taken)
        rest = [pool.submit(group.submit, n) for n in range(1, CALLERS)]
        wait_for(lambda: len(group._queue) == CALLERS)
        first_may_finish.set()
        assert [first.result(10)] + [f.result(10) for f in rest] == list(range(CALLERS))
    assert writers[0] != writers[1] == writers[CALLERS - 1]


def test_a_failed_batch_fails_each_of_its_callers_and_the_next_caller_still_leads() -> None:
    def write(batch: Sequence[Slot[str, str]]) -> None:
        if any(slot.work == "bad" for slot in batch):
            raise ValueError("refused")
        for slot in batch:
            slot.settle(slot.work.upper())

    group: GroupCommit[str, str] = GroupCommit(write)
    with pytest.raises(ValueError, match="refused"):
        group.submit("bad")
    assert group.submit("good") == "GOOD"


def test_a_batch_that_settles_nothing_fails_its_callers() -> None:
    group: GroupCommit[str, str] = GroupCommit(lambda batch: None)
    with pytest.raises(RuntimeError, match="unsettled"):
        group.submit("x")


def test_exclusive_waits_for_the_batch_being_written() -> None:
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def write(batch: Sequence[Slot[str, str]]) -> None:
        inside.set()
        release.wait(10)
        order.append("batch")
        for slot in batch:
            slot.settle("ok")

    group: GroupCommit[str, str] = GroupCommit(write)

    def alone() -> None:
        with group.exclusive():
            order.append("exclusive")

    with ThreadPoolExecutor(2) as pool:
        filed = pool.submit(group.submit, "x")
        inside.wait(10)
        other = pool.submit(alone)
        assert not other.done()
        release.set()
        assert filed.result(10) == "ok"
        other.result(10)
    assert order == ["batch", "exclusive"]


def test_a_stream_of_callers_each_gets_its_own_result_once() -> None:
    """Callers arriving at every moment (also while a leader is between two of its batches)
    are each written exactly once and all answered."""
    written: list[int] = []
    writing = threading.Lock()

    def write(batch: Sequence[Slot[int, int]]) -> None:
        assert writing.acquire(blocking=False), "two batches written at once"
        try:
            for slot in batch:
                written.append(slot.work)
                slot.settle(slot.work)
        finally:
            writing.release()

    group: GroupCommit[int, int] = GroupCommit(write)
    pause = random.Random(15)

    def call(n: int) -> int:
        if n % 2:  # now and then a caller comes when the queue has just emptied
            time.sleep(pause.random() / 5000)
        return group.submit(n)

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands between any two steps of the leader
    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            futures = [pool.submit(call, n) for n in range(3000)]
            assert [f.result(30) for f in futures] == list(range(3000))
    finally:
        sys.setswitchinterval(switching)
    assert sorted(written) == list(range(3000))


def test_a_caller_arriving_between_two_batches_of_a_leader_is_written_once() -> None:
    """The leader has written its batch and the queue is empty when another caller comes: that
    caller waits for the leader (which takes it into its next batch) instead of leading too."""
    written: list[int] = []
    group: GroupCommit[int, int] = GroupCommit(lambda batch: write(batch))

    def write(batch: Sequence[Slot[int, int]]) -> None:
        for slot in batch:
            written.append(slot.work)
            slot.settle(slot.work)

    original = group._write_batch
    with ThreadPoolExecutor(2) as pool:
        late: list[Future[int]] = []

        def write_batch(batch: list[Slot[int, int]]) -> BaseException | None:
            error = original(batch)
            if not late:  # the first batch is written and gone from the queue
                late.append(pool.submit(group.submit, 1))
                wait_for(
                    lambda: (
                        bool(group._queue)
                        and (group._queue[0].taken or bool(group._queue[0].wake._waiters))
                    )  # type: ignore[union-attr]
                )
            return error

        group._write_batch = write_batch  # type: ignore[method-assign]
        assert group.submit(0) == 0
        assert late[0].result(10) == 1
    assert written == [0, 1]
