"""What the bot keeps per chat beside the conversation, in the draft store: one record under the
conversation's storage key with another destiny, `outbox` (replies the Bot API refused,
`bot.telegram.outbox`) or `inbound` (updates confirmed to Telegram before they were applied,
`bot.telegram.inbound`). Each is encrypted like the draft, under the keyed pseudonym of the
whole key (nothing personal in clear), expires with it, and is found again at start-up.

    outboxes = ChatRecords("outbox", Outbox.from_data, Outbox.to_data)
    box = await outboxes.read(storage, key)
    await outboxes.write(storage, key, box)     # None (or an empty one) deletes the record
    every = await outboxes.found(storage)       # at start-up
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey

Record = TypeVar("Record")


@dataclass(frozen=True)
class ChatRecords(Generic[Record]):
    destiny: str
    parse: Callable[[dict[str, Any]], Record | None]  # None: not a record of this kind
    dump: Callable[[Record], dict[str, Any]]

    def key(self, key: StorageKey) -> StorageKey:
        """The record's key: the conversation's, with this kind's destiny."""
        return replace(key, destiny=self.destiny)

    def _context(self, storage: BaseStorage, key: StorageKey) -> FSMContext:
        return FSMContext(storage=storage, key=self.key(key))

    async def read(self, storage: BaseStorage, key: StorageKey) -> Record | None:
        return self.parse(await self._context(storage, key).get_data())

    async def write(self, storage: BaseStorage, key: StorageKey, record: Record | None) -> None:
        data = self.dump(record) if record is not None else {}
        await self._context(storage, key).set_data(data)

    async def found(self, storage: Any) -> list[Record]:
        """Every readable record of this kind in the store (start-up)."""
        records = []
        async for data in storage.drafts():
            record = self.parse(data)
            if record is not None:
                records.append(record)
        return records
