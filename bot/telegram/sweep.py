"""Telegram's start-up sweep, on the channel runtime's (`bot.runtime.sweep`): each conversation
left mid-filing is taken under its chat's lock and filed again under the same idempotency key
(`Adapter.recover`), before new updates are read."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from bot.runtime import sweep as runtime_sweep
from bot.telegram.adapter import Adapter
from bot.telegram.conversation import Conversation
from bot.telegram.fsm import DraftBackend

CHANNEL = "telegram"


def _parts(
    bot: Bot, adapter: Adapter, backend: DraftBackend
) -> tuple[runtime_sweep.FoundFn[tuple[int, int]], runtime_sweep.FinishFn[tuple[int, int]]]:
    async def found() -> AsyncIterator[tuple[int, int]]:
        async for data in backend.storage.drafts():
            conv = Conversation.from_data(data)
            if conv is not None and adapter.interrupted(conv) and conv.who is not None:
                yield conv.who[0], conv.who[1]

    async def finish(who: tuple[int, int]) -> bool:
        key = StorageKey(bot_id=bot.id, chat_id=who[0], user_id=who[1])
        async with backend.isolation.lock(key):
            return await adapter.recover(bot, FSMContext(storage=backend.storage, key=key))

    return found, finish


async def sweep(bot: Bot, adapter: Adapter, backend: DraftBackend) -> int:
    """Finish every interrupted filing in the draft store; returns how many were taken up."""
    return await runtime_sweep.sweep(CHANNEL, *_parts(bot, adapter, backend))


async def sweep_within(bot: Bot, adapter: Adapter, backend: DraftBackend, seconds: float) -> None:
    await runtime_sweep.sweep_within(CHANNEL, *_parts(bot, adapter, backend), seconds)
