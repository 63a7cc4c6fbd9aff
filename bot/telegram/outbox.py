"""Replies the Bot API refused, and chat deletions that failed, kept and delivered later.

A reply the Bot API still refuses after `RetryMiddleware`'s attempts (5xx, a 429 whose
`retry_after` is longer than we wait in line, a time-out, a dropped connection) is not dropped:
it goes into the chat's outbox, and so does every later reply to that chat until the outbox is
empty, so the person gets them in the order they were written. The outbox is one record in the
draft store beside the conversation (the same storage key with destiny "outbox": encrypted like
the draft, under a keyed pseudonym, nothing personal in clear), so it survives a restart.

The courier delivers an outbox when it is due: never before a 429's `retry_after`, else after a
back-off (5 s, doubling to 5 min), under the chat's lock, so it never interleaves with an update
of that chat. The first message it delivers late says so (`tg.late`: the earlier replies come
now; nothing the person wrote is lost; /summary shows the answers). An outbox that grows beyond
`KEPT_MAX` replies keeps the newest (the last question asked is what matters), and the notice
then also says to look at the answers again.

A keyboard redraw (`editMessageReplyMarkup`: a choice toggled, the keep-the-chat mark) refused
for now is kept the same way, in the same order (a toggle's redraw carries the keyboard's new
nonce: not drawn, the buttons on screen would answer "stale"); when it is delivered it is
dropped if it is stale by then (the conversation has moved on to another keyboard: drawing it
would only mislead). Taking a pressed keyboard off waits behind an outbox, but its own refusal
is not kept (its buttons are dead anyway). The late notice comes before the first kept message,
not for redraws alone.

A failed deletion of the conversation's messages after filing (`clean`) is kept the same way
and tried again until every message is deleted or too old for Telegram to delete (48 h), then
the person is told what was removed, as after a deletion that worked at once. A refusal that
will never change (400, 403: the person blocked the bot) is logged and not kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.types import InlineKeyboardMarkup, Message, ReplyParameters

from bot.telegram import wording
from bot.telegram.conversation import Conversation
from bot.telegram.kept import ChatRecords
from intake.messages import Language

log = logging.getLogger(__name__)

DESTINY = "outbox"
BACKOFF_FIRST = 5.0
BACKOFF_MAX = 300.0
KEPT_MAX = 30
DELETE_WINDOW_SECONDS = 48 * 3600 - 300  # Telegram's limit, less a margin for clock skew
DELETE_BATCH = 100

# Refusals worth another try later; anything else (400, 403, 404) will not change.
RETRYABLE = (TelegramRetryAfter, TelegramServerError, TelegramNetworkError)


@dataclass
class Outbox:
    """What is owed to one chat, in order. A send is {"s": text, "m": keyboard markup or None,
    "n": the keyboard's nonce or None, "r": the message it answers, if any}; a redraw is
    {"e": message id, "m": markup or None (taken off), "n": the nonce it draws or None}; a
    clean-up is {"d": [[message id, sent at], ...],
    "r": removed so far, "o": too old to delete, "l": language}."""

    who: list[int]
    language: Language
    due: float = 0.0
    tries: int = 0
    late_told: bool = False
    dropped: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {
            "o": {
                "who": list(self.who),
                "language": self.language,
                "due": self.due,
                "tries": self.tries,
                "late_told": self.late_told,
                "dropped": self.dropped,
                "items": self.items,
            }
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Outbox | None:
        raw = data.get("o")
        if not isinstance(raw, dict):
            return None
        try:
            return cls(
                who=[int(part) for part in raw["who"]],
                language=wording.language_of(str(raw.get("language", "nb"))),
                due=float(raw.get("due", 0.0)),
                tries=int(raw.get("tries", 0)),
                late_told=bool(raw.get("late_told", False)),
                dropped=int(raw.get("dropped", 0)),
                items=[dict(item) for item in raw.get("items", [])],
            )
        except (KeyError, TypeError, ValueError):
            return None

    def add(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        sends = [i for i, kept in enumerate(self.items) if "s" in kept]
        for index in reversed(sends[: max(0, len(sends) - KEPT_MAX)]):
            del self.items[index]
            self.dropped += 1

    def refused(self, error: BaseException, now: float) -> None:
        """Not before a 429's retry_after; else a back-off that doubles with each try."""
        self.tries += 1
        if isinstance(error, TelegramRetryAfter):
            self.due = now + float(error.retry_after)
        else:
            self.due = now + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.tries - 1))


OUTBOXES = ChatRecords(DESTINY, Outbox.from_data, Outbox.to_data)


def clean_item(messages: list[list[int]], language: Language, now: float) -> dict[str, Any]:
    deletable = [[m, t] for m, t in messages if now - t < DELETE_WINDOW_SECONDS]
    return {"d": deletable, "r": 0, "o": len(messages) - len(deletable), "l": language}


async def clean(bot: Bot, chat_id: int, item: dict[str, Any], now: float) -> str:
    """Delete the messages of a clean-up item, batch by batch (what is deleted leaves the item,
    so a refusal midway keeps only the rest); returns the notice of what was removed. Raises one
    of RETRYABLE when the Bot API refused a batch for now."""
    language = wording.language_of(str(item["l"]))
    while item["d"]:
        fresh = [[m, t] for m, t in item["d"] if now - t < DELETE_WINDOW_SECONDS]
        item["o"] += len(item["d"]) - len(fresh)
        item["d"] = fresh
        batch = [m for m, _ in fresh[:DELETE_BATCH]]
        if not batch:
            break
        try:
            await bot.delete_messages(chat_id, batch)
            item["r"] += len(batch)
        except TelegramBadRequest:
            item["r"] += await _one_by_one(bot, chat_id, batch)
        item["d"] = fresh[len(batch) :]
    removed, too_old = int(item["r"]), int(item["o"])
    log.info("telegram: chat cleaned, %s removed, %s too old", removed, too_old)
    notice = wording.text(language, "removed" if removed else "removed_none", count=removed)
    if too_old:
        notice += "\n\n" + wording.text(language, "removed_left", left=too_old)
    return notice


async def _one_by_one(bot: Bot, chat_id: int, batch: list[int]) -> int:
    removed = 0
    for message_id in batch:
        try:
            await bot.delete_message(chat_id, message_id)
            removed += 1
        except TelegramBadRequest:
            continue  # already gone, or too old
    return removed


@dataclass
class Courier:
    """Keeps outboxes and delivers them when due. `pending` knows the chats of this process with
    an outbox (found again at start-up by `load`)."""

    clock: Callable[[], float] = time.time
    pending: dict[tuple[int, int], float] = field(default_factory=dict)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def holds(self, key: StorageKey) -> bool:
        return (key.chat_id, key.user_id) in self.pending

    def _note(self, key: StorageKey, box: Outbox | None) -> None:
        if box is None:
            self.pending.pop((key.chat_id, key.user_id), None)
        else:
            self.pending[(key.chat_id, key.user_id)] = box.due
        self._wake.set()

    # -- in an update (the chat's lock is held) ---------------------------------------------
    async def send(
        self,
        bot: Bot,
        fsm: FSMContext,
        text: str,
        language: Language,
        markup: InlineKeyboardMarkup | None = None,
        nonce: str | None = None,
        *,
        reply_to: int | None = None,
    ) -> Message | None:
        """Send now, or keep it when the chat has an outbox or the Bot API refuses it for now.
        None when it was kept (or refused for good)."""
        drawn = markup.model_dump(mode="json") if markup else None
        item: dict[str, Any] = {"s": text, "m": drawn, "n": nonce}
        if reply_to is not None:
            item["r"] = reply_to
        if not await self._clear(bot, fsm, language, item):
            return None
        try:
            return await bot.send_message(
                fsm.key.chat_id, text, reply_markup=markup, reply_parameters=_answering(reply_to)
            )
        except RETRYABLE as error:
            log.warning("telegram: reply refused (%s); kept for later", type(error).__name__)
            await self._keep(fsm, language, item, error)
        except TelegramAPIError as error:
            log.warning("telegram: reply refused for good (%s)", type(error).__name__)
        return None

    async def redraw(
        self,
        bot: Bot,
        fsm: FSMContext,
        message_id: int,
        markup: InlineKeyboardMarkup | None,
        nonce: str | None,
        language: Language,
    ) -> None:
        """Redraw (or, with no markup, take off) a message's keyboard now, or keep it like a
        reply when the chat has an outbox or the Bot API refuses it for now."""
        item = {
            "e": message_id,
            "m": markup.model_dump(mode="json") if markup else None,
            "n": nonce,
        }
        if not await self._clear(bot, fsm, language, item):
            return
        try:
            await bot.edit_message_reply_markup(
                chat_id=fsm.key.chat_id, message_id=message_id, reply_markup=markup
            )
        except RETRYABLE as error:
            if markup is None:  # a pressed keyboard's buttons are dead anyway: not worth a wait
                log.info("telegram: keyboard not taken off (%s)", type(error).__name__)
                return
            log.warning("telegram: redraw refused (%s); kept for later", type(error).__name__)
            await self._keep(fsm, language, item, error)
        except TelegramAPIError as error:  # not modified, or the message is gone
            log.info("telegram: keyboard not redrawn (%s)", type(error).__name__)

    async def _clear(
        self, bot: Bot, fsm: FSMContext, language: Language, item: dict[str, Any]
    ) -> bool:
        """Whether the chat's outbox is empty (delivered now if due); else `item` joins it."""
        if self.holds(fsm.key):
            await self.deliver(bot, fsm.storage, fsm.key)
        if self.holds(fsm.key):
            await self._keep(fsm, language, item, None)
            return False
        return True

    async def clean_up(
        self, bot: Bot, fsm: FSMContext, messages: list[list[int]], language: Language
    ) -> None:
        """Delete the conversation's messages and say what was removed; kept when refused."""
        item = clean_item(messages, language, self.clock())
        if not self.holds(fsm.key):
            try:
                notice = await clean(bot, fsm.key.chat_id, item, self.clock())
            except RETRYABLE as error:
                log.warning("telegram: deletion refused (%s); kept for later", type(error).__name__)
                await self._keep(fsm, language, item, error)
                return
            await self.send(bot, fsm, notice, language)
            return
        await self._keep(fsm, language, item, None)

    async def _keep(
        self,
        fsm: FSMContext,
        language: Language,
        item: dict[str, Any],
        error: BaseException | None,
    ) -> None:
        box = await OUTBOXES.read(fsm.storage, fsm.key)
        if box is None:
            box = Outbox(who=[fsm.key.chat_id, fsm.key.user_id], language=language)
        box.language = language
        box.add(item)
        if error is not None:
            box.refused(error, self.clock())
        await OUTBOXES.write(fsm.storage, fsm.key, box)
        self._note(fsm.key, box)

    # -- delivery ---------------------------------------------------------------------------
    async def deliver(self, bot: Bot, storage: BaseStorage, key: StorageKey) -> None:
        """Deliver the chat's outbox if due (the caller holds the chat's lock)."""
        box = await OUTBOXES.read(storage, key)
        if box is None or not box.items:
            await OUTBOXES.write(storage, key, None)
            self._note(key, None)
            return
        now = self.clock()
        if box.due > now:
            self._note(key, box)
            return
        conversation = FSMContext(storage=storage, key=key)
        try:
            while box.items:
                item = box.items[0]
                if "s" in item and not box.late_told:
                    purpose = "late_dropped" if box.dropped else "late"
                    await bot.send_message(key.chat_id, wording.text(box.language, purpose))
                    box.late_told = True
                if "s" in item:
                    await self._deliver_send(bot, conversation, item)
                    box.items.pop(0)
                elif "e" in item:
                    await self._deliver_redraw(bot, conversation, item)
                    box.items.pop(0)
                else:
                    notice = await clean(bot, key.chat_id, item, now)
                    box.items[0] = {"s": notice, "m": None, "n": None}
                await OUTBOXES.write(storage, key, box)  # what was delivered is never sent twice
        except RETRYABLE as error:
            box.refused(error, self.clock())
            log.warning(
                "telegram: kept replies refused again (%s), %s left, next in %.0f s",
                type(error).__name__,
                len(box.items),
                box.due - self.clock(),
            )
            await OUTBOXES.write(storage, key, box)
            self._note(key, box)
            return
        except TelegramAPIError as error:
            log.warning("telegram: kept replies refused for good (%s)", type(error).__name__)
        await OUTBOXES.write(storage, key, None)
        self._note(key, None)
        log.info("telegram: kept replies delivered")

    async def _deliver_send(self, bot: Bot, conversation: FSMContext, item: dict[str, Any]) -> None:
        markup = InlineKeyboardMarkup.model_validate(item["m"]) if item.get("m") else None
        message = await bot.send_message(
            conversation.key.chat_id,
            item["s"],
            reply_markup=markup,
            reply_parameters=_answering(item.get("r")),
        )
        # The conversation learns the message (deleted after filing; its keyboard live again
        # if the conversation has not moved on since).
        conv = Conversation.from_data(await conversation.get_data())
        if conv is None:
            return
        conv.track(message.message_id, message.date.timestamp())
        if conv.keyboard is not None and item.get("n") == conv.keyboard.nonce:
            conv.keyboard.message_id = message.message_id
        await conversation.set_data(conv.to_data())

    async def _deliver_redraw(
        self, bot: Bot, conversation: FSMContext, item: dict[str, Any]
    ) -> None:
        """A kept redraw, unless it is stale: it draws a keyboard the conversation no longer
        has live on that message (taking a keyboard off is never stale)."""
        if item.get("n") is not None:
            conv = Conversation.from_data(await conversation.get_data())
            live = conv.keyboard if conv is not None else None
            if live is None or live.nonce != item["n"] or live.message_id != item["e"]:
                log.info("telegram: a kept redraw is stale, dropped")
                return
        markup = InlineKeyboardMarkup.model_validate(item["m"]) if item.get("m") else None
        try:
            await bot.edit_message_reply_markup(
                chat_id=conversation.key.chat_id, message_id=int(item["e"]), reply_markup=markup
            )
        except TelegramBadRequest as error:  # not modified, or the message is gone
            log.info("telegram: kept redraw not drawn (%s)", type(error).__name__)

    async def load(self, storage: Any) -> int:
        """Find the outboxes a stopped process left (start-up)."""
        found = 0
        for box in await OUTBOXES.found(storage):
            if box.items:
                self.pending[(box.who[0], box.who[1])] = box.due
                found += 1
        if found:
            log.info("telegram: %s chats have kept replies to deliver", found)
        return found

    async def run(
        self, bot: Bot, storage: BaseStorage, isolation: BaseEventIsolation, stop: asyncio.Event
    ) -> None:
        """Deliver each outbox when due, until `stop`."""
        while not stop.is_set():
            now = self.clock()
            due = [who for who, at in self.pending.items() if at <= now]
            for chat_id, user_id in due:
                key = StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=user_id)
                try:
                    async with isolation.lock(key):
                        await self.deliver(bot, storage, key)
                except Exception as error:  # the store may be down: try again later
                    log.warning("telegram: kept replies not delivered (%s)", type(error).__name__)
                    self.pending[(chat_id, user_id)] = self.clock() + BACKOFF_FIRST
            wait = min((at for at in self.pending.values()), default=now + 60.0) - self.clock()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, self._wake), max(0.05, min(wait, 60.0)))


def _answering(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=int(message_id), allow_sending_without_reply=True)


async def _first(stop: asyncio.Event, wake: asyncio.Event) -> None:
    waits = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())}
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
