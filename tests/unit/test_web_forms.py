"""The web chat's urlencoded forms (chat.js posts every turn without a file so) read exactly as
Starlette's own parser reads them, with the same limits."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.web.app import MAX_FIELD, MAX_FIELDS, _urlencoded


def starlette_form(body: bytes) -> list[tuple[str, object]]:
    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def parse() -> list[tuple[str, object]]:
        headers = [(b"content-type", b"application/x-www-form-urlencoded")]
        request = Request({"type": "http", "method": "POST", "headers": headers}, receive)
        return list((await request.form()).multi_items())

    return asyncio.run(parse())


@pytest.mark.parametrize(
    "body",
    [
        urlencode({"csrf": "abc.def", "text": "Bjørnstjerne Bjørnson, Æsøy 1 & 2 = 3+"}).encode(),
        urlencode([("choices", "a"), ("choices", "b"), ("text", "")]).encode(),
        b"text=a+b%20c&empty=&novalue&%E2%9C%93=%FF%FE",
        "text=raw æøå".encode(),
        b"",
    ],
)
def test_the_same_fields_as_starlettes_parser(body: bytes) -> None:
    assert list(_urlencoded(body).multi_items()) == starlette_form(body)


def test_too_many_fields_or_a_field_too_large_is_refused() -> None:
    _urlencoded(urlencode([("choices", str(n)) for n in range(MAX_FIELDS)]).encode())
    with pytest.raises(HTTPException) as many:
        _urlencoded(urlencode([("choices", str(n)) for n in range(MAX_FIELDS + 1)]).encode())
    with pytest.raises(HTTPException) as large:
        _urlencoded(b"text=" + b"x" * MAX_FIELD)
    assert many.value.status_code == large.value.status_code == 400
