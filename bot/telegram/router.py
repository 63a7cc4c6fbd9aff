"""The aiogram wiring: one router for messages and button presses, the update middlewares."""

from __future__ import annotations

from aiogram import Dispatcher, F, Router

from bot.telegram import responses  # noqa: F401  (keeps aiogram's response models cached)
from bot.telegram.adapter import Adapter
from bot.telegram.fsm import DraftBackend
from bot.telegram.middlewares import FloodThrottle, OncePerUpdate


def build_dispatcher(
    adapter: Adapter,
    backend: DraftBackend,
    *,
    flood_limit: int = 20,
    flood_window_seconds: int = 10,
) -> Dispatcher:
    dispatcher = Dispatcher(storage=backend.storage, events_isolation=backend.isolation)
    router = Router(name="intake")
    # Private chats only: a referral never belongs in a group.
    router.message.filter(F.chat.type == "private")
    router.message.register(adapter.on_message)
    router.callback_query.register(adapter.on_callback)
    dispatcher.include_router(router)
    dispatcher.update.outer_middleware(OncePerUpdate(backend.recent_updates))
    dispatcher.update.outer_middleware(
        FloodThrottle(
            backend.flood,
            backend.hasher,
            adapter,
            limit=flood_limit,
            window_seconds=flood_window_seconds,
        )
    )
    return dispatcher
