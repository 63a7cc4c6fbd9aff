"""The action server's body check hands its parse on to rasa-sdk (the body is parsed once)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sanic import Sanic
from sanic.compat import Header
from sanic.request import Request

from bot.rasa.server import _reject_malformed, create


@pytest.fixture(scope="module")
def app() -> Sanic[Any, Any]:
    return create()  # Sanic refuses a second app of the same name in one process


def webhook(app: Sanic[Any, Any], body: bytes) -> Request:
    headers = Header({"content-type": "application/json"})
    # No connection behind it: the middleware only reads the body.
    request = Request(b"/webhook", headers, "1.1", "POST", None, app)  # type: ignore[arg-type]
    request.body = body
    return request


async def test_accepted_body_reaches_rasa_sdk_already_parsed(app: Sanic[Any, Any]) -> None:
    call = {"next_action": "validate_referral_form", "tracker": {"sender_id": "s"}}
    request = webhook(app, json.dumps(call).encode())
    assert await _reject_malformed(request) is None
    # rasa-sdk reads `request.json`; with the body gone it can only be the middleware's parse.
    request.body = b"not json"
    assert request.json == call


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"next_action": "x"}'])
async def test_malformed_body_is_still_400(app: Sanic[Any, Any], body: bytes) -> None:
    answer = await _reject_malformed(webhook(app, body))
    assert answer is not None
    assert answer.status == 400
    assert json.loads(answer.body or b"") == {"error": "Invalid body request"}
