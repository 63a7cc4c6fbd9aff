"""The start-up sweep: conversations a stopped process left mid-filing are finished before new
updates are read. Each is taken under its chat's lock and filed again under the same
idempotency key (`Adapter.recover`), so the person gets the receipt, or a true message when it
cannot be filed now. Anything the sweep cannot reach in time is finished on the person's next
contact, the same way."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from bot.telegram.adapter import Adapter
from bot.telegram.conversation import Conversation
from bot.telegram.fsm import DraftBackend

log = logging.getLogger(__name__)


async def sweep(bot: Bot, adapter: Adapter, backend: DraftBackend) -> int:
    """Finish every interrupted filing in the draft store; returns how many were taken up."""
    found: list[tuple[int, int]] = []
    async for data in backend.storage.drafts():
        conv = Conversation.from_data(data)
        if conv is not None and adapter.interrupted(conv) and conv.who is not None:
            found.append((conv.who[0], conv.who[1]))
    done = 0
    for chat_id, user_id in found:
        key = StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=user_id)
        try:
            async with backend.isolation.lock(key):
                if await adapter.recover(bot, FSMContext(storage=backend.storage, key=key)):
                    done += 1
        except Exception as error:  # the next contact finishes it instead
            log.warning("telegram: sweep could not finish a filing (%s)", type(error).__name__)
    if found:
        log.info("telegram: sweep finished %s of %s interrupted filings", done, len(found))
    return done


async def sweep_within(bot: Bot, adapter: Adapter, backend: DraftBackend, seconds: float) -> None:
    try:
        await asyncio.wait_for(sweep(bot, adapter, backend), seconds)
    except TimeoutError:
        log.warning("telegram: sweep stopped after %.0f s; the rest on next contact", seconds)
    except Exception as error:  # the store may be down at start: next contact, then
        log.warning("telegram: sweep not run (%s)", type(error).__name__)
