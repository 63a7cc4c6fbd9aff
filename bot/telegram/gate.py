"""Every update passes the gate on its own way into the dispatcher: once, in order per chat,
slowed (never dropped) when a chat floods, and always with an answer.

- Isolation: an update that makes a handler (or the storage, or the Bot API) fail is answered
  with a plain notice in the client's language and logged by update id and error type only;
  the next update is handled as if nothing happened.
- Order: one lane per chat; updates of a chat run one after another in arrival order (asyncio
  locks are FIFO), so answers are never handled out of step.
- Floods: each chat has a token bucket (`limit` updates per `window_seconds`, the burst). Past
  it the lane waits for the next token: the person is told once that we answer everything, in
  order, a little slower. A lane holds at most `max_waiting` updates; messages beyond that are
  not read, and when the lane is empty again the person gets one reply, on the first unread
  message, saying exactly which to send again (that one and the ones after it). Buttons pressed
  beyond it are answered with the same notice on the spot.
- Once: an update id seen recently in this process is dropped (redeliveries); the adapter keeps
  the exact record per conversation (the ids of the messages and presses it has applied).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ReplyParameters, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.runtime.outage import service_down
from bot.telegram import wording
from intake.messages import Language

log = logging.getLogger(__name__)

RECENT_UPDATES = 10_000


# The language a chat's conversation is in (None when there is none, or it cannot be read).
LanguageHint = Callable[[Bot, int, int | None], Awaitable[Language | None]]
# Sends the gate's own notice to a chat (chat id, text, language, the message it answers) the
# way replies go: kept in the chat's outbox when the Bot API refuses it for now.
Notify = Callable[[Bot, int, str, Language, int | None], Awaitable[None]]


async def _no_hint(bot: Bot, chat_id: int, user_id: int | None) -> Language | None:
    return None


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    tokens: float = 0.0
    refilled: float = 0.0
    warned: bool = False
    unread_first: int | None = None  # the first message not read because the lane was full
    unread: int = 0
    # Set once the person is told which to send again: an unread message is handled only then
    # (until then the poller keeps it, so a stop before the reply does not lose it silently).
    unread_told: asyncio.Event | None = None
    language: Language = "nb"


@dataclass
class Gate:
    dispatcher: Dispatcher
    default_language: str = "nb"
    limit: int = 20
    window_seconds: float = 20.0
    max_waiting: int = 60
    language_hint: LanguageHint = _no_hint
    notify: Notify | None = None  # None: sent directly, a refusal only logged
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    _lanes: dict[int, _Lane] = field(default_factory=dict)
    _recent: OrderedDict[int, None] = field(default_factory=OrderedDict)
    _busy: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds <= 0 or self.max_waiting < 1:
            raise ValueError("the flood limit, window and queue must be positive")

    async def handle(self, bot: Bot, update: Update) -> None:
        """Handle one update; never raises (but lets cancellation through)."""
        if update.update_id in self._busy or update.update_id in self._recent:
            log.info("telegram: update %s already handled, dropped", update.update_id)
            return
        try:
            update.event_type  # noqa: B018 - raises for a kind of update aiogram does not know
        except UpdateTypeLookupError:
            # aiogram would warn with the whole update in the text; we name only its id.
            log.info("telegram: update %s of an unknown kind, skipped", update.update_id)
            self._remember(update.update_id)
            return
        self._busy.add(update.update_id)
        try:
            chat_id, user_language = _origin(update)
            if chat_id is None:
                await self._feed(bot, update, None)
            else:
                await self._in_lane(bot, update, chat_id, user_language)
        finally:
            self._busy.discard(update.update_id)
            self._remember(update.update_id)

    def _remember(self, update_id: int) -> None:
        self._recent[update_id] = None
        while len(self._recent) > RECENT_UPDATES:
            self._recent.popitem(last=False)

    async def _in_lane(
        self, bot: Bot, update: Update, chat_id: int, user_language: str | None
    ) -> None:
        lane = self._lanes.get(chat_id)
        if lane is None:
            lane = self._lanes[chat_id] = _Lane(tokens=float(self.limit), refilled=self.clock())
        lane.language = wording.language_of(user_language, self.default_language)
        if lane.waiting >= self.max_waiting or lane.unread:
            # Once a message is not read, neither is any after it until the person is told
            # which to send again: what is read stays in order, what is not is one run.
            await self._not_read(bot, update, chat_id, lane)
            return
        lane.waiting += 1
        try:
            async with lane.lock:
                lane.waiting -= 1
                await self._take_token(bot, chat_id, lane)
                await self._feed(bot, update, chat_id)
                if lane.waiting == 0:
                    await self._after_flood(bot, chat_id, lane)
        finally:
            if lane.waiting == 0 and not lane.lock.locked() and lane.unread == 0:
                self._forget_lane(chat_id, lane)

    def _forget_lane(self, chat_id: int, lane: _Lane) -> None:
        # A lane with a full bucket holds nothing worth keeping.
        self._refill(lane)
        if lane.tokens >= self.limit:
            self._lanes.pop(chat_id, None)

    def _refill(self, lane: _Lane) -> None:
        now = self.clock()
        rate = self.limit / self.window_seconds
        lane.tokens = min(float(self.limit), lane.tokens + (now - lane.refilled) * rate)
        lane.refilled = now

    async def _take_token(self, bot: Bot, chat_id: int, lane: _Lane) -> None:
        self._refill(lane)
        if lane.tokens >= 1:
            lane.tokens -= 1
            return
        if not lane.warned:
            lane.warned = True
            await self._use_conversation_language(bot, chat_id, lane)
            text = wording.text(lane.language, "slow_down")
            await self._notice(bot, chat_id, text, lane.language)
        rate = self.limit / self.window_seconds
        while lane.tokens < 1 - 1e-9:
            await self.sleep(max((1 - lane.tokens) / rate, 0.001))
            self._refill(lane)
        lane.tokens = max(0.0, lane.tokens - 1)

    async def _not_read(self, bot: Bot, update: Update, chat_id: int, lane: _Lane) -> None:
        """The lane is full: this update is not handled. A message is named in one reply once
        the lane is empty; a button press is answered at once."""
        log.info("telegram: update %s not read, the chat's lane is full", update.update_id)
        if update.callback_query is not None:
            await self._answer_query(
                bot, update.callback_query.id, lane.language, "send_again_button"
            )
            return
        if update.message is not None:
            lane.unread += 1
            if lane.unread_first is None:
                lane.unread_first = update.message.message_id
            if lane.unread_told is None:
                lane.unread_told = asyncio.Event()
            await lane.unread_told.wait()

    async def _after_flood(self, bot: Bot, chat_id: int, lane: _Lane) -> None:
        if lane.unread:
            await self._use_conversation_language(bot, chat_id, lane)
            first, count, told = lane.unread_first, lane.unread, lane.unread_told
            lane.unread, lane.unread_first, lane.unread_told = 0, None, None
            text = wording.text(lane.language, "send_again", count=count)
            try:
                await self._notice(bot, chat_id, text, lane.language, reply_to=first)
            finally:
                if told is not None:
                    told.set()
        self._refill(lane)
        if lane.tokens >= 1:
            lane.warned = False

    async def _use_conversation_language(self, bot: Bot, chat_id: int, lane: _Lane) -> None:
        try:
            language = await self.language_hint(bot, chat_id, chat_id)
        except Exception as error:
            log.info("telegram: conversation language not read (%s)", type(error).__name__)
            return
        if language is not None:
            lane.language = language

    async def _feed(self, bot: Bot, update: Update, chat_id: int | None) -> None:
        started = time.monotonic()
        try:
            await self.dispatcher.feed_update(bot, update)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            down = service_down(error)
            log.warning(
                "telegram: update %s failed (%s%s)",
                update.update_id,
                type(error).__name__,
                ", a service is unavailable" if down else "",
            )
            await self._apologise(bot, update, chat_id, "unavailable" if down else "failed")
        finally:
            log.info(
                "telegram: update %s done in %.0f ms",
                update.update_id,
                (time.monotonic() - started) * 1000,
            )

    async def _apologise(self, bot: Bot, update: Update, chat_id: int | None, purpose: str) -> None:
        _, user_language = _origin(update)
        language = wording.language_of(user_language, self.default_language)
        if update.callback_query is not None:
            await self._answer_query(bot, update.callback_query.id, language, purpose)
        if chat_id is not None:
            # A store that is down cannot keep the notice that says so: sent directly.
            kept = purpose != "unavailable"
            await self._notice(bot, chat_id, wording.text(language, purpose), language, kept=kept)

    async def _answer_query(
        self, bot: Bot, query_id: str, language: Language, purpose: str
    ) -> None:
        try:
            await bot.answer_callback_query(query_id, text=wording.text(language, purpose)[:200])
        except TelegramAPIError as error:
            log.warning("telegram: button not answered (%s)", type(error).__name__)
        except Exception as error:
            log.warning("telegram: button not answered (%s)", type(error).__name__)

    async def _notice(
        self,
        bot: Bot,
        chat_id: int,
        text: str,
        language: Language,
        *,
        reply_to: int | None = None,
        kept: bool = True,
    ) -> None:
        if kept and self.notify is not None:
            try:
                await self.notify(bot, chat_id, text, language, reply_to)
                return
            except Exception as error:  # the store: sent directly instead
                log.warning("telegram: notice not kept (%s), sent directly", type(error).__name__)
        reply = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        try:
            await bot.send_message(chat_id, text, reply_parameters=reply)
        except Exception as error:
            log.warning("telegram: notice not sent (%s)", type(error).__name__)


def _origin(update: Update) -> tuple[int | None, str | None]:
    """The private chat an update comes from and the client's language code, if any."""
    if update.message is not None:
        message = update.message
        user = message.from_user
        if message.chat.type != "private":
            return None, None
        return message.chat.id, user.language_code if user else None
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is not None and chat.type != "private":
            return None, query.from_user.language_code
        return (chat.id if chat is not None else query.from_user.id), query.from_user.language_code
    return None, None
