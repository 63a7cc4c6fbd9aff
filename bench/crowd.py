"""Many private chats on one local Bot API server over HTTP, for the load test.

Each person has their own `tests.botapi.fake.FakeTelegram` (the fake the Telegram tests trust:
message shapes, edits, deletions, files); this module only multiplexes them: one update queue
with global update ids for `getUpdates`, calls routed by `chat_id`, one shared file store, and a
per-chat signal so a person can wait for the bot's answer without polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from typing import Any

from tests.botapi.fake import FakeTelegram

TOKEN = "424242:BENCH"


class Chat:
    """One person's chat: their fake, and when the bot last called for it."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.last_call = 0.0
        self.calls = 0
        self.changed = asyncio.Event()

    def touched(self) -> None:
        self.calls += 1
        self.last_call = time.perf_counter()
        self.changed.set()


class Crowd:
    def __init__(self) -> None:
        self.chats: dict[int, Chat] = {}
        self._nobody: Chat | None = None
        self.token = TOKEN
        self.files: dict[str, tuple[str, bytes]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self.menus: dict[str, Any] = {}
        self.polls = 0

    def chat(self, user_id: int, language: str = "nb") -> Chat:
        fake = FakeTelegram(token=TOKEN, user_id=user_id, language_code=language)
        fake.files = self.files  # one file store, as on Telegram's servers
        fake.push = self._pusher()  # type: ignore[method-assign,assignment]
        chat = Chat(fake)
        self.chats[user_id] = chat
        return chat

    def _pusher(self) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def push(update: dict[str, Any]) -> dict[str, Any]:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._arrived.set()
            return update

        return push

    async def get_updates(self, offset: int | None, timeout: float, limit: int) -> list[Any]:
        self.polls += 1
        if offset is not None:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        return self._updates[:limit]

    def file_content(self, path: str) -> bytes | None:
        return next((content for stored, content in self.files.values() if stored == path), None)

    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method == "getUpdates":
            offset = int(params["offset"]) if "offset" in params else None
            timeout = min(float(params.get("timeout", 0)), 2.0)
            found = await self.get_updates(offset, timeout, int(params.get("limit", 100)))
            return 200, {"ok": True, "result": found}
        if method == "setMyCommands":
            self.menus[str(params.get("language_code", ""))] = params.get("commands")
            return 200, {"ok": True, "result": True}
        if method in ("answerCallbackQuery", "getMe", "deleteWebhook", "getFile"):
            # Not tied to a chat: any person's fake answers them alike (a bot started before
            # anyone writes gets its getMe from a fake of its own).
            first = next(iter(self.chats.values()), None)
            if first is None:
                first = self._nobody = self._nobody or Chat(FakeTelegram(token=TOKEN, user_id=1))
            return await first.fake.call(method, params)
        chat = self.chats.get(int(params.get("chat_id", 0)))
        if chat is None:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }
        answer = await chat.fake.call(method, params)
        chat.touched()
        return answer
