"""The action server: rasa-sdk's own Sanic app with our actions registered.

We do not reimplement the `/webhook` protocol; `rasa_sdk.endpoint.create_app` answers it. We add
one request middleware that turns bodies rasa-sdk would answer with a 500 (and a logged traceback
echoing the request, which holds the conversation) into the 400 it gives for a missing body.
"""

from __future__ import annotations

import json
import logging
import warnings
import zlib
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)

INVALID_BODY = {"error": "Invalid body request"}


def build_executor() -> ActionExecutor:
    from bot.rasa.actions import all_actions

    executor = ActionExecutor()
    for action in all_actions():
        executor.register_action(action)
    return executor


def _body(request: Request) -> Any:
    if request.headers.get("Content-Encoding") == "deflate":
        return json.loads(zlib.decompress(request.body))
    call = json.loads(request.body)
    # Sanic caches the parsed body here and rasa-sdk reads it through `request.json`, so the
    # ~100 KB body Rasa sends is parsed once, not twice. (A deflated body rasa-sdk decompresses
    # and parses itself, ignoring the cache.)
    request.parsed_json = call
    return call


def is_well_formed(call: Any) -> bool:
    """What rasa-sdk's executor needs to run an action without a KeyError or AttributeError."""
    if not isinstance(call, dict):
        return False
    if not call.get("next_action"):
        return True  # rasa-sdk answers `null` with 200 itself
    tracker = call.get("tracker")
    domain = call.get("domain")
    return (
        isinstance(call["next_action"], str)
        and isinstance(tracker, dict)
        and isinstance(tracker.get("sender_id"), str)
        and isinstance(tracker.get("slots", {}), dict)
        and isinstance(tracker.get("events", []), list)
        and isinstance(tracker.get("latest_message") or {}, dict)
        and (domain is None or isinstance(domain, dict))
    )


async def _reject_malformed(request: Request) -> HTTPResponse | None:
    if request.method != "POST" or request.path != "/webhook":
        return None
    try:
        call = _body(request)
    except (ValueError, zlib.error):
        call = None
    if call is None or not is_well_formed(call):
        log.info("rejected a malformed action call")
        return response.json(INVALID_BODY, status=400)
    return None


def create(executor: ActionExecutor | None = None) -> Sanic[Any, Any]:
    # rasa-sdk warns on every call when Rasa's minor version differs from its own; the
    # protocol is the same across 3.x, and the e2e test runs against Rasa 3.6 to prove it.
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk")
    warnings.filterwarnings("ignore", message="You are using an old version of rasa")
    app: Sanic[Any, Any] = create_app(executor or build_executor(), cors_origins=[])
    app.register_middleware(_reject_malformed, "request")
    return app


def serve(host: str, port: int) -> None:
    """One process, one worker: the server is stateless, so scale by running more of them."""
    app = create()
    app.prepare(host=host, port=port, single_process=True, access_log=False, motd=False)
    log.info("action server listening on %s:%s", host, port)
    Sanic.serve_single(app)
