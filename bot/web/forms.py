"""A POST's form. chat.js posts every turn without a file urlencoded: its body read straight from
`receive` and split by the standard library's `parse_qsl`, as Starlette's own urlencoded parser
splits it, with the same limits, at a fraction of the cost of the form parser's and
`Request.body()`'s async machinery. Anything else (a file) goes to Starlette's parser."""

from __future__ import annotations

from urllib.parse import parse_qsl

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
    """The fields as Starlette reads a urlencoded form (`parse_qsl` of the latin-1 text, blank
    values kept), with its field limits: at most MAX_FIELDS fields, each name and value together
    at most MAX_FIELD characters as read (HTTP 400 otherwise)."""
    try:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:  # more fields than max_num_fields
        raise HTTPException(400, "Too many fields.") from None
    if any(len(name) + len(value) > MAX_FIELD for name, value in pairs):
        raise HTTPException(400, "A field is too large.")
    items: list[tuple[str, str | UploadFile]] = list(pairs)
    return FormData(items)
