"""The aiogram wiring: one router for messages and button presses, and the gate in front."""

from __future__ import annotations

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message

from bot.telegram import responses  # noqa: F401  (keeps aiogram's response models cached)
from bot.telegram.adapter import Adapter
from bot.telegram.fsm import DraftBackend
from bot.telegram.gate import Gate
from intake.messages import Language


async def private_chat(message: Message) -> bool:
    """Private chats only: a referral never belongs in a group. A coroutine on purpose: aiogram
    runs a plain filter (such as `F.chat.type == "private"`) in a worker thread, for every
    message, in the default thread pool (6 threads on 2 cores) where the filings' threads wait
    on the inbox, so a message could queue behind filings only to have its chat type read."""
    return message.chat.type == "private"


def build_dispatcher(adapter: Adapter, backend: DraftBackend) -> Dispatcher:
    dispatcher = Dispatcher(storage=backend.storage, events_isolation=backend.isolation)
    router = Router(name="intake")
    router.message.filter(private_chat)
    router.message.register(adapter.on_message)
    router.callback_query.register(adapter.on_callback)
    dispatcher.include_router(router)
    return dispatcher


def build_gate(
    adapter: Adapter,
    backend: DraftBackend,
    *,
    flood_limit: int = 20,
    flood_window_seconds: float = 20.0,
    flood_queue: int = 60,
) -> Gate:
    """The dispatcher behind the gate every update passes (see `bot.telegram.gate`)."""
    dispatcher = build_dispatcher(adapter, backend)

    async def conversation_language(bot: Bot, chat_id: int, user_id: int | None) -> Language | None:
        context = dispatcher.fsm.resolve_context(bot, chat_id, user_id)
        if context is None:
            return None
        return await adapter.chat_language(context, None)

    async def notify(
        bot: Bot, chat_id: int, text: str, language: Language, reply_to: int | None
    ) -> None:
        context = dispatcher.fsm.resolve_context(bot, chat_id, chat_id)
        if context is None:
            raise LookupError("no conversation key for the chat")
        async with backend.isolation.lock(context.key):  # never between an update's replies
            await adapter.courier.send(bot, context, text, language, reply_to=reply_to)

    return Gate(
        dispatcher,
        language_hint=conversation_language,
        notify=notify,
        default_language=adapter.settings.language,
        limit=flood_limit,
        window_seconds=flood_window_seconds,
        max_waiting=flood_queue,
    )
