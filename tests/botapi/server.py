"""The fake Bot API over HTTP (aiohttp), as `KE_TELEGRAM_API_BASE` for the real bot process."""

from __future__ import annotations

import json
import socket
from typing import Any, Protocol

from aiohttp import web


class BotAPIBackend(Protocol):
    """What answers the Bot API: one `FakeTelegram`, or the benchmark's crowd of them."""

    token: str

    async def call(self, method: str, params: dict[str, Any]) -> tuple[int, Any]: ...

    def file_content(self, path: str) -> bytes | None: ...


class BotAPIServer:
    def __init__(
        self, fake: BotAPIBackend, port: int | None = None, *, access_log: bool = True
    ) -> None:
        self.fake = fake
        self.port = port or free_port()
        self._access_log = access_log
        self._runner: web.AppRunner | None = None

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
        status, payload = await self.fake.call(request.match_info["method"], params)
        return _json(status, payload)

    async def _file(self, request: web.Request) -> web.Response:
        content = self.fake.file_content(request.match_info["path"])
        if not self._authorised(request) or content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")


def _json(status: int, payload: Any) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
