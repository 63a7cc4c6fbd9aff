"""The in-memory Bot API: a private chat with one person, the bot's messages, files, updates.

Only the methods the bot uses are implemented; anything else answers 404 like the real API does
for an unknown method, so a new call shows up as a test failure rather than silently passing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

JSON_PARAMS = {
    "reply_markup",
    "message_ids",
    "commands",
    "allowed_updates",
    "scope",
    "link_preview_options",
    "entities",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class ChatMessage:
    message_id: int
    from_bot: bool
    text: str | None
    reply_markup: dict[str, Any] | None = None
    date: int = 0
    document: dict[str, Any] | None = None


@dataclass
class FakeTelegram:
    token: str = "123:ABC"
    user_id: int = 555_000_111
    language_code: str = "nb"
    calls: list[Call] = field(default_factory=list)
    chat: dict[int, ChatMessage] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # method -> queued (status, payload) failures to answer before succeeding
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    clock: Any = time.time

    def __post_init__(self) -> None:
        self.bot_id = int(self.token.split(":")[0])
        self._message_ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._updates: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    # -- what the person does ------------------------------------------------------------------
    def _user(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "is_bot": False,
            "first_name": "Testperson",
            "language_code": self.language_code,
        }

    def _chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": "Testperson"}

    def _incoming(self, **content: Any) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message = {
            "message_id": message_id,
            "date": int(self.clock()),
            "chat": self._chat(),
            "from": self._user(),
            **content,
        }
        self.chat[message_id] = ChatMessage(
            message_id,
            False,
            content.get("text") or content.get("caption"),
            date=message["date"],
            document=content.get("document"),
        )
        return message

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._changed.set()
        return update

    def pushed_ids(self) -> list[int]:
        """The ids of the updates not yet confirmed by a getUpdates offset."""
        return [u["update_id"] for u in self._updates if _update_id(u) is not None]

    def raw_update(self, **content: Any) -> dict[str, Any]:
        """An update exactly as given (for malformed ones), with the next update id."""
        return self.push(content)

    def text_update(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        return self.push({"message": self._incoming(**content)})

    def callback_update(self, message_id: int, data: str) -> dict[str, Any]:
        shown = self.chat[message_id]
        message = {
            "message_id": message_id,
            "date": shown.date,
            "chat": self._chat(),
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "KE"},
            "text": shown.text or "",
        }
        if shown.reply_markup:
            message["reply_markup"] = shown.reply_markup
        return self.push(
            {
                "callback_query": {
                    "id": str(next(self._callback_ids)),
                    "from": self._user(),
                    "chat_instance": "ci-1",
                    "message": message,
                    "data": data,
                }
            }
        )

    def _store_file(self, content: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(content).hexdigest()[:16]
        file_id = f"file-{digest}"
        self.files[file_id] = (f"documents/{digest}.bin", content)
        return {"file_id": file_id, "file_unique_id": f"u-{digest}", "file_size": len(content)}

    def document_update(self, filename: str, media_type: str, content: bytes) -> dict[str, Any]:
        document = {**self._store_file(content), "file_name": filename, "mime_type": media_type}
        return self.push({"message": self._incoming(document=document)})

    def photo_update(self, content: bytes) -> dict[str, Any]:
        size = {**self._store_file(content), "width": 800, "height": 600}
        return self.push({"message": self._incoming(photo=[size])})

    # -- what the bot sees ---------------------------------------------------------------------
    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.chat.values() if m.from_bot]

    def last_bot_message(self) -> ChatMessage:
        return self.bot_messages()[-1]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def take_updates(self, offset: int | None, timeout: float) -> list[dict[str, Any]]:
        if offset is not None:
            # Junk without an id (a test's) is given once, then dropped with the confirmed ones.
            self._updates = [u for u in self._updates if (_update_id(u) or -1) >= offset]
        if not self._updates and timeout > 0:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        return list(self._updates)

    # -- the API -------------------------------------------------------------------------------
    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        params = {k: _decode(k, v) for k, v in params.items()}
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        queued = self.failures.get(method)
        if queued:
            return queued.pop(0)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except LookupError as error:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
        return 200, {"ok": True, "result": result}

    def _bot_message(self, message: ChatMessage) -> dict[str, Any]:
        result: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat(),
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "KE"},
            "text": message.text or "",
        }
        if message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result

    def _check_chat(self, params: dict[str, Any]) -> None:
        if int(params["chat_id"]) != self.user_id:
            raise LookupError("chat not found")

    def _find(self, params: dict[str, Any]) -> ChatMessage:
        self._check_chat(params)
        message = self.chat.get(int(params["message_id"]))
        if message is None:
            raise LookupError("message to edit not found")
        return message

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "KE", "username": "ke_test_bot"}

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        if not str(params.get("url", "")).startswith(("http://", "https://")):
            raise LookupError("bad webhook: an HTTPS URL must be provided for webhook")
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[params.get("language_code", "")] = params["commands"]
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params["offset"]) if "offset" in params else None
        return await self.take_updates(offset, min(float(params.get("timeout", 0)), 2.0))

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_chat(params)
        text = str(params["text"])
        if len(text) > 4096:
            raise LookupError("message is too long")
        message = ChatMessage(
            next(self._message_ids),
            True,
            text,
            params.get("reply_markup"),
            date=int(self.clock()),
        )
        self.chat[message.message_id] = message
        return self._bot_message(message)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.text = str(params["text"])
        message.reply_markup = params.get("reply_markup")
        return self._bot_message(message)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.reply_markup = params.get("reply_markup")
        return self._bot_message(message)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        self.callback_answers.append(params)
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _delete(self, message_id: int) -> None:
        message = self.chat.get(message_id)
        if message is None:
            raise LookupError("message to delete not found")
        if self.clock() - message.date > 48 * 3600:
            raise LookupError("message can't be deleted")
        del self.chat[message_id]
        self.deleted.append(message_id)

    def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        self._check_chat(params)
        self._delete(int(params["message_id"]))
        return True

    def _m_deleteMessages(self, params: dict[str, Any]) -> bool:
        self._check_chat(params)
        ids = [int(i) for i in params["message_ids"]]
        if not 1 <= len(ids) <= 100:
            raise LookupError("too many messages to delete")
        for message_id in ids:
            if message_id in self.chat:
                self._delete(message_id)
        return True

    def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise LookupError("invalid file_id")
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    def file_content(self, path: str) -> bytes | None:
        for stored_path, content in self.files.values():
            if stored_path == path:
                return content
        return None


def _update_id(update: Any) -> int | None:
    value = update.get("update_id") if isinstance(update, dict) else None
    return value if isinstance(value, int) else None


def _decode(key: str, value: Any) -> Any:
    if key in JSON_PARAMS and isinstance(value, str):
        return json.loads(value)
    return value
