"""Updates confirmed to Telegram before they were applied (the poller's 2 s hold window) are
kept in the chat's encrypted inbound record first, and applied in order by the next process;
an update that cannot be kept (the store is down) is not confirmed until it is handled."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.types import Update

from bot.telegram.adapter import Adapter
from bot.telegram.inbound import INBOUND, Inbound, who_of
from bot.telegram.polling import Poller
from dialogues import flow
from storage.drafts import MemoryValueStore
from tests.botapi.harness import Harness
from tests.botapi.person import identify


class Held:
    """A gate whose updates wait until released (a flooded lane, a frozen store)."""

    default_language = "nb"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.handled: list[int] = []

    async def handle(self, bot: Bot, update: Update) -> None:
        await self.release.wait()
        self.handled.append(update.update_id)


class Down:
    """A draft store that fails every write (Redis down)."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage

    async def get_data(self, key: Any) -> dict[str, Any]:
        raise ConnectionError("down")

    async def set_data(self, key: Any, data: Any) -> None:
        raise ConnectionError("down")


async def _until(condition: Any, seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "not within time"
        await asyncio.sleep(0.01)


def _poller(harness: Harness, gate: Any, inbound: Inbound) -> Poller:
    return Poller(harness.bot, gate, timeout=0, hold_seconds=0.1, inbound=inbound)


async def test_updates_confirmed_while_waiting_are_kept_first_encrypted() -> None:
    harness = Harness()
    gate = Held()
    inbound = Inbound(harness.backend.storage, harness.bot.id)
    poller = _poller(harness, gate, inbound)
    pushed = [harness.fake.text_update(f"Storgata {n}") for n in range(3)]
    stop = asyncio.Event()
    running = asyncio.create_task(poller.run(stop))
    await _until(lambda: harness.fake.pushed_ids() == [])  # confirmed while none is handled
    assert gate.handled == []
    key = harness.bot.id, harness.fake.user_id
    record = await INBOUND.read(harness.backend.storage, _key(*key))
    assert record is not None and [u["update_id"] for u in record.updates] == [
        u["update_id"] for u in pushed
    ]
    values = harness.backend.storage.records.store
    assert isinstance(values, MemoryValueStore)
    stored = b"".join(k.encode() + v for k, (_, v) in values._values.items())
    assert b"Storgata" not in stored and str(harness.fake.user_id).encode() not in stored
    gate.release.set()
    await _until(lambda: len(gate.handled) == 3)
    await _until(lambda: not values._values)  # handled: out of the record, the record gone
    stop.set()
    await asyncio.wait_for(running, 5)
    await harness.close()


async def test_an_update_that_cannot_be_kept_is_not_confirmed_until_handled() -> None:
    harness = Harness()
    gate = Held()
    poller = _poller(harness, gate, Inbound(Down(harness.backend.storage), harness.bot.id))  # type: ignore[arg-type]
    first = harness.fake.text_update("hei")["update_id"]
    stop = asyncio.Event()
    running = asyncio.create_task(poller.run(stop))
    await asyncio.sleep(1.0)  # ten hold windows
    assert first in harness.fake.pushed_ids()  # Telegram would send it again after a kill
    assert poller.offset() == first
    gate.release.set()
    await _until(lambda: harness.fake.pushed_ids() == [])
    stop.set()
    await asyncio.wait_for(running, 5)
    await harness.close()


async def test_the_next_process_applies_the_kept_updates_in_order_and_once() -> None:
    harness = Harness()
    await harness.send("/start")
    applied = harness.fake.text_update("/help")  # applied before the stop, kept all the same
    await harness.feed(applied)
    helps = len(harness.fake.calls_of("sendMessage"))
    waiting = [harness.fake.text_update(t) for t in ("meg selv", "/summary")]
    who = who_of(waiting[0])
    assert who == (harness.fake.user_id, harness.fake.user_id)
    inbound = Inbound(harness.backend.storage, harness.bot.id)
    await inbound.keep(who, [applied, *reversed(waiting)])
    harness.fake._updates.clear()  # confirmed: Telegram will not send them again
    # The next process on the same draft store, before anything new arrives.
    adapter = Adapter(settings=harness.settings, filer=harness.filer, clock=lambda: harness.now)
    gate = harness._gate(adapter, harness.backend)
    poller = Poller(harness.bot, gate, timeout=0, hold_seconds=5.0, inbound=inbound)
    stop = asyncio.Event()
    running = asyncio.create_task(poller.run(stop))
    await _until(lambda: len(harness.fake.calls_of("sendMessage")) > helps)
    await _until(lambda: not poller._inflight and not poller._forget)
    stop.set()
    await asyncio.wait_for(running, 5)
    texts = [str(c.params["text"]) for c in harness.fake.calls_of("sendMessage")[helps:]]
    help_text = flow.text("nb", "help.commands")
    assert not any(help_text in text for text in texts)  # /help was not applied twice
    # "meg selv" answered the first question, then /summary was answered (asking it again)
    assert identify(texts[0]) == "kommune" and identify(texts[-1]) == "kommune"
    assert len(texts) > 2
    assert await inbound.found() == []  # each handled, so out of the record
    await harness.close()


def _key(bot_id: int, chat: int) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=bot_id, chat_id=chat, user_id=chat)


async def test_a_stop_keeps_what_is_still_in_flight_or_leaves_it_unconfirmed() -> None:
    harness = Harness()
    for store in (harness.backend.storage, Down(harness.backend.storage)):
        inbound = Inbound(store, harness.bot.id)  # type: ignore[arg-type]
        poller = Poller(
            harness.bot, Held(), timeout=0, hold_seconds=30.0, grace_seconds=0.2, inbound=inbound
        )
        pushed = [harness.fake.text_update(f"svar {n}")["update_id"] for n in range(2)]
        stop = asyncio.Event()
        running = asyncio.create_task(poller.run(stop))
        await _until(lambda p=poller: len(p._inflight) == 2)  # type: ignore[misc]
        stop.set()
        await asyncio.wait_for(running, 5)  # the stop does not wait for them past its grace
        if store is harness.backend.storage:  # kept at the stop, then confirmed
            assert [u["update_id"] for u in await inbound.found()] == pushed
            assert harness.fake.pushed_ids() == []
        else:  # not kept: Telegram sends them again to the next process
            assert harness.fake.pushed_ids() == pushed
    await harness.close()
