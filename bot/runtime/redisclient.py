"""The one Redis client the channels build (Telegram's drafts, locks and counters, the web chat's
drafts and counters): its pool size, waits, time-outs, retries and reply decoding are set here
only."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.runtime.outage import REDIS_SOCKET_SECONDS

# A blocking pool: with more commands in flight than connections, a caller waits up to
# REDIS_WAIT_SECONDS for a free one. The default pool raises MaxConnectionsError at 100, which
# dropped updates under load (bench/RESULTS.md).
REDIS_CONNECTIONS = 50
REDIS_WAIT_SECONDS = 30
REDIS_HEALTH_CHECK_SECONDS = 15
# A Redis started again answers LOADING to every command until it has read its append-only file
# back (seconds, for a large one); such a command was not run: it is tried again for this long.
REDIS_LOADING_SECONDS = 10.0
LOADING_PAUSE_FIRST, LOADING_PAUSE_MAX = 0.05, 0.5

T = TypeVar("T")


def restart_retry(loading_seconds: float = REDIS_LOADING_SECONDS) -> Any:
    """How the pool's commands are tried again after Redis was stopped and started again.

    Every connection the pool held was closed by the old server, and redis-py finds out only
    when a command fails on one ("Connection closed by server"); the new server answers LOADING
    while it reads its data back. Without this each gave the person "not saved, try again in a
    few minutes" although Redis was back (and a person who wrote once got no question).

    A command that fails on a closed connection is tried once more at once, on a new connection
    (a Redis really down refuses that too, within milliseconds: the person is told as before);
    one refused with LOADING (not run) is tried again, with short pauses, for up to
    `loading_seconds`. A time-out (a frozen Redis) is not tried again: it already took
    REDIS_SOCKET_SECONDS."""
    return _restart_retry_class()(loading_seconds)


@functools.cache
def _restart_retry_class() -> type[Any]:
    # redis is imported when a Redis client is built, not with this module
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import BusyLoadingError, ConnectionError

    class RestartRetry(Retry):
        def __init__(self, loading_seconds: float) -> None:
            super().__init__(NoBackoff(), 1, supported_errors=(ConnectionError,))
            self.loading_seconds = loading_seconds

        async def call_with_retry(
            self,
            do: Callable[[], Awaitable[T]],
            fail: Callable[..., Any],
            is_retryable: Callable[[Exception], bool] | None = None,
            with_failure_count: bool = False,
        ) -> T:
            failures, closed = 0, 0
            deadline = time.monotonic() + self.loading_seconds
            pause = LOADING_PAUSE_FIRST
            while True:
                try:
                    return await do()
                except ConnectionError as error:
                    if is_retryable is not None and not is_retryable(error):
                        raise
                    failures += 1
                    await (fail(error, failures) if with_failure_count else fail(error))
                    if isinstance(error, BusyLoadingError):
                        if time.monotonic() + pause > deadline:
                            raise
                        await asyncio.sleep(pause)
                        pause = min(pause * 2, LOADING_PAUSE_MAX)
                        continue
                    closed += 1
                    if closed > 1:
                        raise

    return RestartRetry


@functools.cache
def _pool_class() -> type[Any]:
    from redis.asyncio import BlockingConnectionPool

    class Pool(BlockingConnectionPool):
        """redis-py's blocking pool, whose checkout of an idle connection and return of one
        take no lock and record nothing while no caller is waiting for one. Its own cost was
        about 13 us of CPU for the pair, more than half of a small command's (a web turn
        makes two): an asyncio.Condition and a time-out entered, a connection-count metric
        recorded three times and a release event dispatched, for OpenTelemetry and
        re-authentication hooks that nothing here sets. Every other case is redis-py's own:
        no idle connection (a new one, or the wait for one when all are out), a connection to
        reconnect, the pool in maintenance, and while any caller is in that path (waiting),
        every checkout and return, so a return always wakes a waiting caller and no new one
        takes its turn."""

        _slow = 0  # callers in redis-py's own checkout (creating or waiting for a connection)

        async def get_connection(self, command_name: Any = None, *keys: Any, **options: Any) -> Any:
            if not self._available_connections or self._slow or self._in_maintenance:
                self._slow += 1
                try:
                    return await super().get_connection()  # type: ignore[no-untyped-call]
                finally:
                    self._slow -= 1
            connection = self._available_connections.pop()
            self._in_use_connections.add(connection)
            try:
                # as redis-py's: connected, and nothing left unread on it
                await self.ensure_connection(connection)
            except BaseException:
                await self.release(connection)
                raise
            return connection

        async def release(self, connection: Any) -> None:
            if self._slow or self._in_maintenance or connection.should_reconnect():
                await super().release(connection)
                return
            self._in_use_connections.remove(connection)
            self._available_connections.append(connection)

    return Pool


def redis_client(url: str, *, connections: int = REDIS_CONNECTIONS) -> Any:
    """A `redis.asyncio.Redis` on `url` that connects lazily on first use and answers bytes
    (the stores keep encrypted tokens, never text); `connections` for a test of the pool."""
    from redis.asyncio import Redis

    pool = _pool_class().from_url(
        url,
        max_connections=connections,
        timeout=REDIS_WAIT_SECONDS,
        socket_timeout=REDIS_SOCKET_SECONDS,
        socket_connect_timeout=REDIS_SOCKET_SECONDS,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        retry=restart_retry(),
        decode_responses=False,
    )
    return Redis(connection_pool=pool)
