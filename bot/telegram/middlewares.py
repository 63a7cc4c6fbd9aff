"""Update-level safety: each update handled once, floods throttled politely (in the
conversation's language when there is one), timings logged (update ids and durations only)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot.telegram import wording
from bot.telegram.adapter import Adapter
from storage.counters import RecentSet, WindowCounter
from storage.drafts import IdHasher

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class OncePerUpdate(BaseMiddleware):
    """Telegram may deliver an update again (webhook retries, a worker restarting mid-poll).
    The first worker to record its id handles it; the rest drop it."""

    def __init__(self, recent: RecentSet, *, ttl_seconds: int = 24 * 3600) -> None:
        self.recent = recent
        self.ttl_seconds = ttl_seconds

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        if not await self.recent.add(f"{bot.id}:{event.update_id}", self.ttl_seconds):
            log.info("telegram: update %s already handled, dropped", event.update_id)
            return None
        started = time.monotonic()
        try:
            return await handler(event, data)
        finally:
            log.info(
                "telegram: update %s done in %.0f ms",
                event.update_id,
                (time.monotonic() - started) * 1000,
            )


class FloodThrottle(BaseMiddleware):
    """At most `limit` updates per chat in `window_seconds`; the first one over the limit gets a
    polite message, the rest are dropped until the window ends."""

    def __init__(
        self,
        counter: WindowCounter,
        hasher: IdHasher,
        adapter: Adapter,
        *,
        limit: int = 20,
        window_seconds: int = 10,
    ) -> None:
        self.counter = counter
        self.hasher = hasher
        self.adapter = adapter
        self.limit = limit
        self.window_seconds = window_seconds

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat = data.get("event_chat")
        if chat is None:
            return await handler(event, data)
        count = await self.counter.hit(self.hasher.digest("flood", chat.id), self.window_seconds)
        if count <= self.limit:
            return await handler(event, data)
        if count == self.limit + 1:
            user = data.get("event_from_user")
            client = wording.language_of(
                user.language_code if user else None, self.adapter.settings.language
            )
            # The dispatcher's FSM middleware runs before this one and gives the chat's state.
            language = await self.adapter.chat_language(data.get("state"), client)
            await self.adapter.throttled(data["bot"], chat.id, language)
        assert isinstance(event, Update)
        log.info("telegram: update %s throttled", event.update_id)
        return None
