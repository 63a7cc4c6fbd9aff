"""A POST's form. chat.js posts every turn without a file urlencoded: read here by a few string
operations, the same fields as Starlette's own urlencoded parser gives (latin-1 bytes, UTF-8
escapes, `+` for a space, blank values kept) with the same limits, at a fraction of the cost of
its multipart parser and of `Request.body()`'s async generator. Anything else (a file) goes to
Starlette's parser."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 80
MAX_FIELD = 64 * 1024


async def read_form(request: Request) -> FormData:
    if request.headers.get("content-type", "").partition(";")[0].strip() == URLENCODED:
        return urlencoded(await _body(request))
    return await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD)


async def _body(request: Request) -> bytes:
    """The whole body, as `Request.body()` reads it from `receive` (each route reads its form
    once; the body limit is `receive`'s, bot.web.security)."""
    chunks: list[bytes] = []
    while True:
        message = await request.receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def urlencoded(body: bytes) -> FormData:
    """`urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True)`, as Starlette
    reads a urlencoded form, with its field limits: at most MAX_FIELDS fields, each name and
    value together at most MAX_FIELD characters (HTTP 400 otherwise)."""
    text = body.decode("latin-1")
    if text and text.count("&") >= MAX_FIELDS:
        raise HTTPException(400, "Too many fields.")
    items: list[tuple[str, str | UploadFile]] = []
    for pair in text.split("&") if text else ():
        if not pair:
            continue
        name, _, value = pair.replace("+", " ").partition("=")
        if "%" in pair:
            name, value = unquote(name), unquote(value)
        if len(name) + len(value) > MAX_FIELD:
            raise HTTPException(400, "A field is too large.")
        items.append((name, value))
    return FormData(items)
