"""Telegram: updates per second through our bot (the real aiogram Dispatcher built by
`bot.telegram.router.build_dispatcher`, the real adapter and engine, encrypted in-memory drafts)
against a bare aiogram echo bot, both over the same recording session (no network) and timed
the same way: the time spent in `Dispatcher.feed_update`, update parsing included.

Our bot is fed complete referrals by the scripted person of tests/botapi (text answers, button
presses, a document upload, the summary and the receipt); the filing itself goes to a recording
filer, since filing has its own benchmark. The echo bot gets as many text updates."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.harness import Figure, interleaved, ratio_figure

MIN_RATIO = 0.3


def _timed_harness() -> Any:
    from aiogram.types import Update

    from tests.botapi.harness import Harness

    class Timed(Harness):
        busy = 0.0
        updates = 0

        async def feed(self, update: dict[str, Any]) -> None:
            start = time.perf_counter()
            await self.dispatcher.feed_update(
                self.bot, Update.model_validate(update, context={"bot": self.bot})
            )
            self.busy += time.perf_counter() - start
            self.updates += 1

    return Timed


async def _ours(walks: int) -> tuple[int, float]:
    timed = _timed_harness()
    updates, busy = 0, 0.0
    for _ in range(walks):
        rig = timed()
        await rig.walk()
        if not rig.filer.filed:
            raise AssertionError("a scripted person did not complete a referral")
        updates, busy = updates + rig.updates, busy + rig.busy
    return updates, busy


async def _echo(updates: int) -> float:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.types import Message, Update

    from tests.botapi.fake import FakeTelegram
    from tests.botapi.recording import RecordingSession

    fake = FakeTelegram()
    bot = Bot(fake.token, session=RecordingSession(fake))
    dispatcher = Dispatcher()
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher.include_router(router)
    busy = 0.0
    for n in range(updates):
        raw = fake.text_update(f"echo {n}")
        start = time.perf_counter()
        await dispatcher.feed_update(bot, Update.model_validate(raw, context={"bot": bot}))
        busy += time.perf_counter() - start
    if len(fake.calls_of("sendMessage")) != updates:
        raise AssertionError("the echo bot did not answer every update")
    return busy


def run(*, walks: int = 2, rounds: int = 5) -> list[Figure]:
    fed: list[int] = []

    def ours() -> float:
        count, busy = asyncio.run(_ours(walks))
        fed.append(count)
        return count / busy

    def echo() -> float:
        count = fed[-1] if fed else 50 * walks
        return count / asyncio.run(_echo(count))

    ours()  # warm up (imports, flow tables, pydantic models)
    samples = interleaved(rounds, {"ours": ours, "echo": echo})
    return [
        ratio_figure(
            "telegram updates through our bot (vs bare aiogram echo bot)",
            "updates/s",
            samples,
            ours="ours",
            baseline="echo",
            min_ratio=MIN_RATIO,
            note=f"{walks} complete referrals ({fed[-1]} updates) per round x {rounds} rounds, "
            "recording session, in-memory encrypted drafts, recording filer",
        )
    ]
