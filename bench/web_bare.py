"""The web benchmark's baseline worker: a bare Starlette route on uvicorn, served the way
`ke-intake web` is (one process, no access log), answering every POST /turn with a fixed page
of the given size. `python -m bench.web_bare PORT SIZE`."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route


def app(size: int) -> Starlette:
    page = ("<!doctype html><p>" + "x" * max(0, size - 22) + "</p>").encode()

    async def turn(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/turn", turn, methods=["POST"]), Route("/healthz", healthz)])


if __name__ == "__main__":
    port, size = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run(app(size), host="127.0.0.1", port=port, access_log=False, server_header=False)
