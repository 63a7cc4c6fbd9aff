"""The web chat's urlencoded forms (chat.js posts every turn without a file so) read exactly as
Starlette's own parser reads them, with the same limits."""

from __future__ import annotations

import asyncio
import random
from urllib.parse import quote, urlencode

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request

from bot.web.forms import MAX_FIELD, MAX_FIELDS, read_form, urlencoded


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
    assert list(urlencoded(body).multi_items()) == starlette_form(body)


def test_too_many_fields_or_a_field_too_large_is_refused() -> None:
    urlencoded(urlencode([("choices", str(n)) for n in range(MAX_FIELDS)]).encode())
    with pytest.raises(HTTPException) as many:
        urlencoded(urlencode([("choices", str(n)) for n in range(MAX_FIELDS + 1)]).encode())
    with pytest.raises(HTTPException) as large:
        urlencoded(b"text=" + b"x" * MAX_FIELD)
    assert many.value.status_code == large.value.status_code == 400


def test_random_bodies_read_as_starlettes_parser_reads_them() -> None:
    rng = random.Random(12)
    pieces = [
        "a",
        "b",
        "=",
        "&",
        "&&",
        "+",
        "%",
        "%2",
        "%20",
        "%3D",
        "%26",
        "%C3%A6",
        "%FF",
        "æ",
        " ",
    ]
    for _ in range(2000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randrange(12))).encode()
        assert list(urlencoded(body).multi_items()) == starlette_form(body), body


def test_a_field_is_measured_as_read_not_as_sent() -> None:
    """Percent-escapes count as the characters they stand for (as parse_qsl's reading did):
    a long answer in Norwegian letters is three times its length on the wire."""
    text = "æ" * (MAX_FIELD - 10)
    body = ("text=" + quote(text)).encode()
    assert len(body) > 3 * MAX_FIELD
    assert urlencoded(body).get("text") == text


def test_a_body_in_several_parts_is_read_whole() -> None:
    body = urlencode({"csrf": "abc.def", "text": "Kari Nordmann"}).encode()
    parts = [body[:7], b"", body[7:20], body[20:]]

    async def receive() -> dict[str, object]:
        part = parts.pop(0)
        return {"type": "http.request", "body": part, "more_body": bool(parts)}

    async def parse() -> list[tuple[str, object]]:
        headers = [(b"content-type", b"application/x-www-form-urlencoded; charset=utf-8")]
        request = Request({"type": "http", "method": "POST", "headers": headers}, receive)
        return list((await read_form(request)).multi_items())

    assert asyncio.run(parse()) == [("csrf", "abc.def"), ("text", "Kari Nordmann")]
