"""Bot API retries as an aiogram request middleware: 429 waits `retry_after`, 5xx and network
errors back off exponentially with jitter. After the last attempt the error propagates; the
caller has already saved the draft, so nothing the person typed is lost."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
    from aiogram.methods import Response, TelegramMethod

log = logging.getLogger(__name__)

# Long polling has its own backoff in aiogram's dispatcher.
_NOT_RETRIED = frozenset({"getUpdates"})


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        max_retry_after: float = 60.0,
        sleep: Any = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        name = method.__api_method__
        if name in _NOT_RETRIED:
            return await make_request(bot, method)
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.max_retry_after:
                    raise
                delay = float(error.retry_after)
                log.warning("telegram: %s rate limited, retry in %ss", name, delay)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self.attempts:
                    raise
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                delay *= 0.5 + random.random() / 2  # noqa: S311 - jitter, not security
                log.warning(
                    "telegram: %s failed (%s), attempt %s, retry in %.2fs",
                    name,
                    type(error).__name__,
                    attempt,
                    delay,
                )
            await self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
