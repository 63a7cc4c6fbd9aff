"""The fake Bot API over HTTP (aiohttp), as `KE_TELEGRAM_API_BASE` for the real bot process.

Faults for the fault suite, per method and per count (`BotAPIServer.fail`): an error status
(500), 429 with a `retry_after`, a request that hangs past the client's time-out, a connection
dropped without an answer. A fault may be limited to one chat."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from aiohttp import web

from tests.serving import free_port


class BotAPIBackend(Protocol):
    """What answers the Bot API: one `FakeTelegram`, or the benchmark's crowd of them."""

    token: str

    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, Any]: ...

    def file_content(self, path: str) -> bytes | None: ...


@dataclass(frozen=True)
class Fault:
    kind: Literal["status", "retry_after", "hang", "drop"]
    value: float = 0.0

    @classmethod
    def error(cls, status: int = 500) -> Fault:
        return cls("status", status)

    @classmethod
    def retry_after(cls, seconds: int) -> Fault:
        return cls("retry_after", seconds)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        """No answer for `seconds` (past the client's time-out), then the connection closed."""
        return cls("hang", seconds)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")


@dataclass
class _Armed:
    fault: Fault
    left: int
    chat_id: int | None


class BotAPIServer:
    def __init__(
        self, fake: BotAPIBackend, port: int | None = None, *, access_log: bool = True
    ) -> None:
        self.fake = fake
        self.port = port or free_port()
        self._access_log = access_log
        self._runner: web.AppRunner | None = None
        self._faults: dict[str, list[_Armed]] = {}
        self.served: list[tuple[str, str]] = []  # (method, fault kind) of each fault given

    def fail(self, method: str, fault: Fault, times: int = 1, chat_id: int | None = None) -> None:
        """Answer the next `times` calls of `method` (for `chat_id` only, if given) with `fault`,
        after any faults armed before for that method."""
        self._faults.setdefault(method, []).append(_Armed(fault, times, chat_id))

    def pending_faults(self) -> int:
        return sum(armed.left for queue in self._faults.values() for armed in queue)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for armed in self._faults.get(method, []):
            if armed.left <= 0:
                continue
            if armed.chat_id is not None and str(params.get("chat_id")) != str(armed.chat_id):
                continue
            armed.left -= 1
            self.served.append((method, armed.fault.kind))
            return armed.fault
        return None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        runner_options: dict[str, Any] = {} if self._access_log else {"access_log": None}
        self._runner = web.AppRunner(app, handle_signals=False, **runner_options)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _authorised(self, request: web.Request) -> bool:
        return request.match_info["token"] == self.fake.token

    async def _method(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        params: dict[str, Any]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = {key: value for key, value in form.items() if isinstance(value, str)}
        method = request.match_info["method"]
        fault = self._take_fault(method, params)
        if fault is not None:
            return await _give(request, fault)
        status, payload = await self.fake.call(method, params)
        return _json(status, payload)

    async def _file(self, request: web.Request) -> web.Response:
        content = self.fake.file_content(request.match_info["path"])
        if not self._authorised(request) or content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")


async def _give(request: web.Request, fault: Fault) -> web.Response:
    """The fault, before the method is applied (Telegram did nothing with the call)."""
    if fault.kind == "status":
        status = int(fault.value)
        return _json(status, {"ok": False, "error_code": status, "description": "Internal"})
    if fault.kind == "retry_after":
        seconds = int(fault.value)
        payload = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {seconds}",
            "parameters": {"retry_after": seconds},
        }
        return _json(429, payload)
    if fault.kind == "hang":
        await asyncio.sleep(fault.value)
    if request.transport is not None:
        request.transport.abort()  # no answer at all: the client sees the connection drop
    raise asyncio.CancelledError


def _json(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json")
