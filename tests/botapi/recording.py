"""A Bot API session that records every call and answers from `FakeTelegram`, in process.

It prepares parameters exactly as aiogram's aiohttp session does and parses answers with
aiogram's own `check_response`, so errors (429, 5xx) surface as the real exception types."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from tests.botapi.fake import FakeTelegram


class RecordingSession(BaseSession):
    def __init__(self, fake: FakeTelegram) -> None:
        super().__init__()
        self.fake = fake

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        files: dict[str, Any] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                params[key] = prepared
        status, payload = await self.fake.call(method.__api_method__, params)
        response = self.check_response(bot, method, status, json.dumps(payload))
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        path = url.split(f"/file/bot{self.fake.token}/", 1)[1]
        content = self.fake.file_content(path)
        if content is None:
            raise FileNotFoundError(path)
        yield content

    async def close(self) -> None:
        pass
