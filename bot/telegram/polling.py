"""Long polling that no update can stop, and the webhook's twin of it.

aiogram's own polling parses a whole `getUpdates` answer at once: one update it cannot parse
fails the batch, polling retries the same offset forever, and its log line quotes the updates.
Here the answer is fetched as plain JSON and each update is parsed on its own (`accept`): a
malformed one is answered when it names a private chat (or a button press), skipped otherwise,
and logged by update id only; the others go through the gate as usual.

An update is confirmed to Telegram (the next `getUpdates` offset) once it has been handled, or,
if it is still being handled after `hold_seconds` (a slowed flood, a long filing), once it is
kept in its chat's inbound record (`bot.telegram.inbound`), so that a process killed mid-update
gets it again after the restart (from Telegram, or from the record), and a slow chat never holds
up the others for long. One that cannot be kept (the store is down) holds the offset until it is
handled. Stopping waits for the updates in flight (for a while), keeps the rest and confirms.
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
from bot.telegram.inbound import Inbound, Who, who_of

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


BATCH = 100  # getUpdates' default limit
KEEP_SECONDS = 10.0  # a keep that takes longer counts as failed (the update stays unconfirmed)


@dataclass
class _Flight:
    """An update being handled: as Telegram sent it, when it started, its private chat (None:
    not kept, released after the hold window as before), and whether its chat's inbound
    record holds it."""

    item: dict[str, Any]
    started: float
    who: Who | None
    kept: bool = False
    keeping: bool = False


@dataclass
class Poller:
    bot: Bot
    gate: Gate
    timeout: int = 20
    allowed_updates: list[str] | None = None
    hold_seconds: float = 2.0
    grace_seconds: float = 20.0
    # Where updates still being handled after `hold_seconds` are kept; None: they are
    # confirmed after it anyway (and lost if the process dies before handling them).
    inbound: Inbound | None = None
    _next: int | None = None  # past the highest update id seen
    _inflight: dict[int, _Flight] = field(default_factory=dict)
    _done: set[int] = field(default_factory=set)  # handled, but still at or above the offset
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _progress: asyncio.Event = field(default_factory=asyncio.Event)
    _forget: dict[Who, set[int]] = field(default_factory=dict)  # handled, still in a record
    _replayed: bool = False  # the kept updates a stopped process left are being handled

    def _holds(self, flight: _Flight, now: float) -> bool:
        if flight.kept:
            return False
        if flight.who is None or self.inbound is None:
            return now - flight.started < self.hold_seconds
        return True  # not confirmed before it is kept or handled

    def offset(self) -> int | None:
        """The lowest update being handled that is neither kept nor within `hold_seconds` of
        its start (then the lowest that is), else past all."""
        now = time.monotonic()
        held = [uid for uid, flight in self._inflight.items() if self._holds(flight, now)]
        return min(held) if held else self._next

    async def run(self, stop: asyncio.Event) -> None:
        await self._replay()
        keeper = asyncio.create_task(self._keeper(stop)) if self.inbound is not None else None
        try:
            await self._poll(stop)
        finally:
            if keeper is not None:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
        await self._finish()

    async def _poll(self, stop: asyncio.Event) -> None:
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
            if held and not fresh and len(batch) >= BATCH and self.inbound is not None:
                # A whole batch in flight holds every later update back: keep them now.
                await self._keep_due(0.0)
            if held and not fresh:
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), 0.2)

    def _start(self, uid: int, item: dict[str, Any], *, kept: bool = False) -> None:
        flight = _Flight(item, time.monotonic(), who_of(item), kept=kept)
        self._inflight[uid] = flight
        task = asyncio.create_task(accept(self.bot, self.gate, item))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._inflight.pop(uid, None)
            self._done.add(uid)
            self._progress.set()
            # Cancelled at a stop, a kept update stays kept for the next start.
            kept = flight.kept or flight.keeping
            if kept and flight.who is not None and not finished.cancelled():
                self._forget.setdefault(flight.who, set()).add(uid)
            if not finished.cancelled() and finished.exception() is not None:
                error = finished.exception()
                log.error("telegram: update %s escaped the gate (%s)", uid, type(error).__name__)

        task.add_done_callback(done)

    def _prune(self) -> None:
        offset = self.offset()
        if offset is not None:
            self._done = {uid for uid in self._done if uid >= offset}

    async def _replay(self) -> None:
        """Handle the updates a stopped process kept (before any new one, so in order)."""
        if self.inbound is None or self._replayed:
            return
        try:
            kept = await asyncio.wait_for(self.inbound.found(), KEEP_SECONDS)
        except Exception as error:  # the store may be down at start: tried again later
            log.warning("telegram: kept updates not looked for (%s)", type(error).__name__)
            return
        self._replayed = True
        for item in kept:
            uid = item.get("update_id")
            if isinstance(uid, int) and uid not in self._inflight and uid not in self._done:
                self._start(uid, item, kept=True)

    async def _keeper(self, stop: asyncio.Event) -> None:
        """Keep the updates still being handled after `hold_seconds`, and take the handled
        ones out of the records again, until `stop`."""
        while not stop.is_set():
            await self._replay()
            await self._keep_due(self.hold_seconds)
            await self._forget_handled()
            await _until(stop, asyncio.sleep(self.hold_seconds / 4))

    async def _keep_due(self, after: float) -> None:
        assert self.inbound is not None
        now = time.monotonic()
        due: dict[Who, list[_Flight]] = {}
        for _, flight in sorted(self._inflight.items()):
            if flight.who is None or flight.kept or flight.keeping:
                continue
            if now - flight.started >= after:
                due.setdefault(flight.who, []).append(flight)
        if due:
            await asyncio.gather(*(self._keep(who, flights) for who, flights in due.items()))

    async def _keep(self, who: Who, flights: list[_Flight]) -> None:
        assert self.inbound is not None
        for flight in flights:
            flight.keeping = True
        try:
            items = [flight.item for flight in flights]
            await asyncio.wait_for(self.inbound.keep(who, items), KEEP_SECONDS)
        except Exception as error:
            log.warning(
                "telegram: %s updates not kept (%s); not confirmed until handled",
                len(flights),
                type(error).__name__,
            )
            for flight in flights:
                flight.keeping = False
            return
        for flight in flights:
            flight.kept, flight.keeping = True, False
        self._progress.set()

    async def _forget_handled(self) -> None:
        assert self.inbound is not None
        forget, self._forget = self._forget, {}
        for who, uids in forget.items():
            try:
                await asyncio.wait_for(self.inbound.forget(who, uids), KEEP_SECONDS)
            except Exception as error:  # again at the next round
                log.info("telegram: handled updates not forgotten (%s)", type(error).__name__)
                self._forget.setdefault(who, set()).update(uids)

    async def _finish(self) -> None:
        """Let the updates in flight finish (for a while), keep the rest, then confirm what
        was handled or kept."""
        if self._tasks:
            log.info("telegram: stopping, %s updates in flight", len(self._tasks))
            _, pending = await asyncio.wait(set(self._tasks), timeout=self.grace_seconds)
            held: int | None = None
            if pending and self.inbound is not None:
                await self._keep_due(0.0)
                now = time.monotonic()
                unkept = [
                    uid
                    for uid, flight in self._inflight.items()
                    if not flight.kept and (flight.who is not None or self._holds(flight, now))
                ]
                held = min(unkept, default=None)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if self.inbound is not None:
                await self._forget_handled()
            if held is not None:  # not confirmed: Telegram sends it again to the next process
                self._next = held if self._next is None else min(self._next, held)
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
