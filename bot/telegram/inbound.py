"""Updates confirmed to Telegram before they were applied, kept until they are.

Long polling confirms an update (the next `getUpdates` offset) once it is handled or, while it
is still being handled after the hold window (`Poller.hold_seconds`, 2 s), once it is kept
here: a message waiting in a flooded chat's lane, a long filing, an update slowed by the store.
Telegram would not send it again after a restart, so the chat's **inbound** record keeps it as
Telegram sent it (JSON), in order, beside the conversation in the draft store, the same way as
the chat's outbox (`bot.telegram.kept`: encrypted, under the keyed pseudonym, destiny
`inbound`). It leaves the record once handled. At start-up the poller feeds what it finds
through the gate before the first `getUpdates`, in order; the conversation's applied-input keys
(`m<message id>`, `q<press id>`) keep an update that was applied before the stop from being
applied twice (and answer it if it was owed).

An update that cannot be kept (the store is down or frozen) is not confirmed: the offset waits
for it until it is handled (with a store down, that is `tg.unavailable` within the store's
time-outs), so a kill in between gets it sent again by Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StorageKey

from bot.telegram.kept import ChatRecords

log = logging.getLogger(__name__)

DESTINY = "inbound"

Who = tuple[int, int]  # the chat id and user id of the conversation's storage key


@dataclass
class Waiting:
    """One chat's kept updates, ordered by update id."""

    who: list[int]
    updates: list[dict[str, Any]] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {"i": {"who": list(self.who), "updates": self.updates}}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Waiting | None:
        raw = data.get("i")
        if not isinstance(raw, dict):
            return None
        try:
            updates = [dict(u) for u in raw.get("updates", []) if isinstance(u, dict)]
            return cls(who=[int(part) for part in raw["who"]], updates=updates)
        except (KeyError, TypeError, ValueError):
            return None

    def ids(self) -> set[int]:
        return {int(u["update_id"]) for u in self.updates}


INBOUND = ChatRecords(DESTINY, Waiting.from_data, Waiting.to_data)


def who_of(item: Any) -> Who | None:
    """The private chat (chat id, user id) of an update as Telegram sent it; None for anything
    else (a group, a kind without a chat, a malformed update)."""
    if not isinstance(item, dict) or not isinstance(item.get("update_id"), int):
        return None
    message, user = item.get("message"), None
    query = item.get("callback_query")
    if isinstance(query, dict):
        user = query.get("from")
        message = query.get("message")
    elif isinstance(message, dict):
        user = message.get("from")
    chat = message.get("chat") if isinstance(message, dict) else None
    if isinstance(chat, dict) and chat.get("type") != "private":
        return None
    user_id = _an_id(user.get("id") if isinstance(user, dict) else None)
    chat_id = _an_id(chat.get("id")) if isinstance(chat, dict) else user_id
    if chat_id is None or user_id is None:
        return None
    return chat_id, user_id


def _an_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Inbound:
    """Keeps and forgets one bot's confirmed-but-unapplied updates (one polling process per
    bot); the records are read and written by one task at a time."""

    def __init__(self, storage: BaseStorage, bot_id: int) -> None:
        self.storage = storage
        self.bot_id = bot_id
        self._lock = asyncio.Lock()

    def _key(self, who: Who) -> StorageKey:
        return StorageKey(bot_id=self.bot_id, chat_id=who[0], user_id=who[1])

    async def keep(self, who: Who, items: Iterable[dict[str, Any]]) -> None:
        """Add `items` to the chat's record (raises when the store fails: not kept)."""
        async with self._lock:
            key = self._key(who)
            record = await INBOUND.read(self.storage, key) or Waiting(who=list(who))
            have = record.ids()
            record.updates += [item for item in items if item["update_id"] not in have]
            record.updates.sort(key=lambda u: int(u["update_id"]))
            await INBOUND.write(self.storage, key, record)

    async def forget(self, who: Who, update_ids: set[int]) -> None:
        """Take handled updates out of the chat's record (deleted once empty)."""
        async with self._lock:
            key = self._key(who)
            record = await INBOUND.read(self.storage, key)
            if record is not None:
                record.updates = [u for u in record.updates if u["update_id"] not in update_ids]
                await INBOUND.write(self.storage, key, record if record.updates else None)

    async def found(self) -> list[dict[str, Any]]:
        """Every kept update in the store, in update id order (start-up)."""
        updates = [u for record in await INBOUND.found(self.storage) for u in record.updates]
        if updates:
            log.info("telegram: %s updates kept before a stop, applied now", len(updates))
        return sorted(updates, key=lambda u: int(u["update_id"]))
