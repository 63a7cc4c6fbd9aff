"""Long polling that no update can stop, and the webhook's twin of it.

aiogram's own polling parses a whole `getUpdates` answer at once: one update it cannot parse
fails the batch, polling retries the same offset forever, and its log line quotes the updates.
Here the answer is fetched as plain JSON and each update is parsed on its own (`accept`): a
malformed one is answered when it names a private chat (or a button press), skipped otherwise,
and logged by update id only; the others go through the gate as usual.

An update is confirmed to Telegram (the next `getUpdates` offset) once it has been handled, or
after `hold_seconds` if it is still being handled then (a slowed flood, a long filing), so that
a process killed mid-update gets it again after the restart, and a slow chat never holds up the
others for long. Stopping waits for the updates in flight and confirms them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.methods import GetUpdates
from aiogram.types import Update
from pydantic import ValidationError

from bot.telegram import wording
from bot.telegram.gate import Gate

log = logging.getLogger(__name__)


class RawGetUpdates(GetUpdates):
    """`getUpdates` whose answer stays plain JSON, so each update is parsed on its own."""

    __returning__ = list[Any]


async def accept(bot: Bot, gate: Gate, item: Any) -> None:
    """One update as Telegram sent it (JSON): parsed, then handled by the gate; a malformed one
    answered where it can be and skipped."""
    update_id = item.get("update_id") if isinstance(item, dict) else None
    try:
        update = Update.model_validate(item, context={"bot": bot})
    except ValidationError as error:
        # The error's text quotes the update: only its size is logged.
        log.warning(
            "telegram: update %s malformed (%s problems), skipped",
            update_id if isinstance(update_id, int) else "-",
            error.error_count(),
        )
        await _answer_malformed(bot, gate, item)
        return
    await gate.handle(bot, update)


async def _answer_malformed(bot: Bot, gate: Gate, item: Any) -> None:
    if not isinstance(item, dict):
        return
    query = item.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        language = wording.language_of(_language_code(query.get("from")), gate.default_language)
        with contextlib.suppress(Exception):
            await bot.answer_callback_query(
                query["id"], text=wording.text(language, "unreadable")[:200]
            )
        return
    message = item.get("message")
    if not isinstance(message, dict):
        return
    chat = message.get("chat")
    sender = message.get("from")
    chat_id: Any = None
    if isinstance(chat, dict) and chat.get("type") == "private":
        chat_id = chat.get("id")
    elif chat is None and isinstance(sender, dict):
        chat_id = sender.get("id")  # a private chat's id is the person's
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        return
    language = wording.language_of(_language_code(sender), gate.default_language)
    try:
        await bot.send_message(chat_id, wording.text(language, "unreadable"))
    except Exception as error:
        log.warning("telegram: malformed update not answered (%s)", type(error).__name__)


def _language_code(user: Any) -> str | None:
    code = user.get("language_code") if isinstance(user, dict) else None
    return code if isinstance(code, str) else None


@dataclass
class Poller:
    bot: Bot
    gate: Gate
    timeout: int = 20
    allowed_updates: list[str] | None = None
    hold_seconds: float = 2.0
    grace_seconds: float = 20.0
    _next: int | None = None  # past the highest update id seen
    _inflight: dict[int, float] = field(default_factory=dict)  # update id -> when it started
    _done: set[int] = field(default_factory=set)  # handled, but still at or above the offset
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _progress: asyncio.Event = field(default_factory=asyncio.Event)

    def offset(self) -> int | None:
        """The lowest update still being handled (for at most `hold_seconds`), else past all."""
        now = time.monotonic()
        young = [
            uid for uid, started in self._inflight.items() if now - started < self.hold_seconds
        ]
        return min(young) if young else self._next

    async def run(self, stop: asyncio.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            offset = self.offset()
            held = offset is not None and self._next is not None and offset < self._next
            method = RawGetUpdates(
                offset=offset,
                timeout=0 if held else self.timeout,
                allowed_updates=self.allowed_updates,
            )
            try:
                batch = await _until(stop, self.bot(method, request_timeout=self.timeout + 10))
            except Exception as error:
                log.warning(
                    "telegram: getUpdates failed (%s), again in %.1f s", type(error).__name__, delay
                )
                await _until(stop, asyncio.sleep(delay))
                delay = min(delay * 2, 30.0)
                continue
            if batch is None:  # stopping
                break
            delay = 0.5
            fresh = 0
            for item in batch:
                uid = item.get("update_id") if isinstance(item, dict) else None
                if not isinstance(uid, int):
                    continue
                if self._next is None or uid >= self._next:
                    self._next = uid + 1
                if uid in self._inflight or uid in self._done:
                    continue
                fresh += 1
                self._start(uid, item)
            self._prune()
            if held and not fresh:
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), 0.2)
        await self._finish()

    def _start(self, uid: int, item: dict[str, Any]) -> None:
        self._inflight[uid] = time.monotonic()
        task = asyncio.create_task(accept(self.bot, self.gate, item))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._inflight.pop(uid, None)
            self._done.add(uid)
            self._progress.set()
            if not finished.cancelled() and finished.exception() is not None:
                error = finished.exception()
                log.error("telegram: update %s escaped the gate (%s)", uid, type(error).__name__)

        task.add_done_callback(done)

    def _prune(self) -> None:
        offset = self.offset()
        if offset is not None:
            self._done = {uid for uid in self._done if uid >= offset}

    async def _finish(self) -> None:
        """Let the updates in flight finish (for a while), then confirm what was handled."""
        if self._tasks:
            log.info("telegram: stopping, %s updates in flight", len(self._tasks))
            _, pending = await asyncio.wait(set(self._tasks), timeout=self.grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        offset = self.offset()
        if offset is not None:
            try:
                await self.bot(RawGetUpdates(offset=offset, timeout=0, limit=1), request_timeout=10)
            except Exception as error:
                log.warning("telegram: last updates not confirmed (%s)", type(error).__name__)


async def _until(stop: asyncio.Event, work: Any) -> Any:
    """Await `work` unless `stop` is set first (then cancel it and return None)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    return None
