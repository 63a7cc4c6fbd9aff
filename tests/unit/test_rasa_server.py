"""The action server's guards without a network: the body is parsed once and handed to rasa-sdk,
every error answer is a fixed one, a failing action is logged by its class only, and the
inflate limit holds. (Over HTTP against the real process: tests/e2e/test_rasa_action_server.py.)"""

from __future__ import annotations

import json
import logging
import zlib
from typing import Any

import pytest
from sanic import Sanic, response
from sanic.compat import Header
from sanic.request import Request

from bot.rasa import guard
from bot.rasa.server import GuardedExecutor, _guard_request, _plain_errors, create
from tests import rasa_calls as rc

TOKEN = "unit-test-token-0123456789"
MARK = "02013299997"


@pytest.fixture(scope="module")
def app() -> Sanic[Any, Any]:
    return create(TOKEN)  # Sanic refuses a second app of the same name in one process


def webhook(app: Sanic[Any, Any], body: bytes, **headers: str) -> Request:
    sent = Header({"content-type": "application/json", "authorization": f"Bearer {TOKEN}"})
    for name, value in headers.items():
        sent[name.replace("_", "-")] = value
    # No connection behind it: the middleware only reads the body.
    request = Request(b"/webhook", sent, "1.1", "POST", None, app)  # type: ignore[arg-type]
    request.body = body
    return request


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ValueError, match="16 characters"):
        create("short")


async def test_accepted_body_reaches_rasa_sdk_already_parsed(app: Sanic[Any, Any]) -> None:
    call = rc.Conversation("s").body("hei")
    request = webhook(app, json.dumps(call).encode())
    assert await _guard_request(TOKEN)(request) is None
    # rasa-sdk reads `request.json`; with the body gone it can only be the middleware's parse.
    request.body = b"not json"
    assert request.json == call


async def test_a_deflated_body_is_inflated_once_and_not_again_by_rasa_sdk(
    app: Sanic[Any, Any],
) -> None:
    call = rc.Conversation("s").body("hei")
    request = webhook(app, zlib.compress(json.dumps(call).encode()), content_encoding="deflate")
    assert await _guard_request(TOKEN)(request) is None
    assert request.json == call and "content-encoding" not in request.headers


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"next_action": "x"}'])
async def test_malformed_body_is_still_400(app: Sanic[Any, Any], body: bytes) -> None:
    answer = await _guard_request(TOKEN)(webhook(app, body))
    assert answer is not None
    assert answer.status in (400, 404)
    assert json.loads(answer.body or b"") == guard.error_body(answer.status)


async def test_every_error_answer_is_replaced_by_a_fixed_one(app: Sanic[Any, Any]) -> None:
    call = rc.Conversation("s").body(MARK)
    request = webhook(app, json.dumps(call).encode())
    request.parsed_json = call  # type: ignore[assignment]
    # What rasa-sdk's own handler answers on an exception: the whole request echoed.
    echoed = response.json({"error": MARK, "request_body": call}, status=500)
    fixed = await _plain_errors(request, echoed)
    assert fixed is not None and fixed.status == 500
    assert json.loads(fixed.body or b"") == guard.error_body(500, "action_referral_turn")
    # A rejection keeps the action's name, which Rasa reads from a 400.
    rejected = await _plain_errors(request, response.json({"error": MARK}, status=400))
    assert rejected is not None
    body = json.loads(rejected.body or b"")
    assert body == {"error": "Invalid body request", "action_name": "action_referral_turn"}
    assert await _plain_errors(request, response.json({}, status=200)) is None


async def test_a_failing_action_is_logged_by_class_only(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = GuardedExecutor()

    class Boom(Exception):
        pass

    async def failing(self: Any, action_call: Any) -> Any:
        raise Boom(f"value {MARK}")

    monkeypatch.setattr("rasa_sdk.executor.ActionExecutor.run", failing)
    with caplog.at_level(logging.ERROR), pytest.raises(Exception) as caught:
        await executor.run({"next_action": "x"})
    assert MARK not in str(caught.value) and caught.value.__cause__ is None
    assert "action call failed: Boom" in caplog.text and MARK not in caplog.text

    record = logging.LogRecord("rasa_sdk.endpoint", logging.ERROR, "", 0,
                               f"Exception occurred during execution of request {MARK}", (),
                               (Boom, Boom(MARK), None))  # fmt: skip
    assert guard.no_request_in_logs(record)
    assert MARK not in record.getMessage() and record.exc_info is None


def test_inflate_stops_at_its_limit() -> None:
    bomb = zlib.compress(bytes(10 * 2**20), 9)
    with pytest.raises(guard.Refusal) as caught:
        guard.inflate(bomb, limit=2**20)
    assert caught.value.status == 413
    assert guard.inflate(zlib.compress(b"{}"), limit=10) == b"{}"
    for broken in (b"not deflate", zlib.compress(b"{}" * 100)[:-5]):
        with pytest.raises(guard.Refusal) as caught:
            guard.inflate(broken)
        assert caught.value.status == 400


def test_the_token_is_compared_whole() -> None:
    assert guard.authorised(f"Bearer {TOKEN}", TOKEN)
    for header in (None, "", TOKEN, f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"bearer {TOKEN}"):
        assert not guard.authorised(header, TOKEN)
