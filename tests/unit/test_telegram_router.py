"""The router's own filter runs on the event loop: no worker thread for an ordinary message
(aiogram runs a plain filter in the default thread pool, which the filings' threads share)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tests.botapi.harness import Harness


async def test_a_message_is_handled_without_a_worker_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hops: list[Any] = []
    hop = asyncio.to_thread

    async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(function)
        return await hop(function, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    harness = Harness()
    await harness.send("/start")
    await harness.answer_current()
    assert harness.current_step() not in (None, "submitter.role")
    assert hops == []


async def test_a_group_message_is_still_not_handled() -> None:
    harness = Harness()
    update = harness.fake.text_update("hei")
    update["message"]["chat"] = {"id": -100, "type": "group", "title": "KE"}
    before = len(harness.fake.calls)
    await harness.feed(update)
    assert harness.fake.calls[before:] == []


async def test_a_message_is_answered_while_filings_hold_every_worker_thread() -> None:
    """Filings stuck on a frozen inbox hold the default pool's threads (6 on 2 cores); the
    other chats' messages are still answered."""
    harness = Harness()
    loop = asyncio.get_running_loop()
    frozen = threading.Event()
    stuck = [loop.run_in_executor(None, frozen.wait) for _ in range(64)]  # more than the pool
    try:
        answered = asyncio.create_task(harness.send("/start"))
        done, _ = await asyncio.wait({answered}, timeout=5.0)
        assert answered in done, "the message waited for a worker thread"
        assert harness.current_step() == "submitter.role"
    finally:
        frozen.set()
        await asyncio.gather(*stuck)
