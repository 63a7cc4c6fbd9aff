"""The action server: rasa-sdk's own Sanic app with our action, behind four guards.

We do not reimplement the `/webhook` protocol; `rasa_sdk.endpoint.create_app` answers it. Around
it (`bot.rasa.guard` has the rules, each a pure function):

1. Authentication: every route but `/health` needs `Authorization: Bearer <KE_RASA_ACTION_TOKEN>`,
   which Rasa sends from `endpoints.yml` (`headers:`); anything else gets 401.
2. Size: a body over `MAX_BODY` is refused by Sanic (413) before it is read; a deflated body is
   inflated at most to `MAX_INFLATED` (a zip bomb stops there, 413); other encodings get 415.
3. Shape: a body that is not a well-formed action call, or whose slots this server cannot have
   set, gets 400 before rasa-sdk sees it (rasa-sdk would answer 500).
4. Errors: every error answer of `/webhook` is replaced by a fixed one naming the status (and our
   action's name, which Rasa reads from a 400), so no body, slot or value is ever echoed; an
   action that fails is logged by the class of its error only.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa import guard

log = logging.getLogger(__name__)


class ActionFailed(Exception):
    """An action raised: the server answers 500 and logs only the class of the error."""


class GuardedExecutor(ActionExecutor):  # type: ignore[misc]  # rasa_sdk is untyped
    async def run(self, action_call: dict[str, Any]) -> Any:
        try:
            return await super().run(action_call)
        except (ActionExecutionRejection, ActionNotFoundException, ActionMissingDomainException):
            raise
        except Exception as error:
            log.error("action call failed: %s", type(error).__name__)
            raise ActionFailed("the action failed") from None


def build_executor() -> ActionExecutor:
    from bot.rasa.actions import all_actions

    executor = GuardedExecutor()
    for action in all_actions():
        executor.register_action(action)
    return executor


def _refuse(status: int, action: str | None = None) -> HTTPResponse:
    return response.json(guard.error_body(status, action), status=status)


def _guard_request(token: str) -> Any:
    async def check(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        if not guard.authorised(request.headers.get("Authorization"), token):
            log.info("refused a call without the action token")
            return _refuse(401)
        if request.method != "POST" or request.path != "/webhook":
            return None
        try:
            call = guard.read_body(
                request.body,
                request.headers.get("Content-Encoding"),
                request.headers.get("Content-Length"),
            )
        except guard.Refusal as refusal:
            log.info("refused an action call (%s)", refusal.status)
            return _refuse(refusal.status)
        if call.get("next_action") and guard.action_named(call) is None:
            log.info("refused a call for an action this server does not have")
            return _refuse(404)  # before rasa-sdk, which would log the name it was given
        # rasa-sdk reads `request.json`, which Sanic caches here: the body is parsed once, and
        # rasa-sdk must not inflate it again (nor unbounded).
        request.parsed_json = call  # type: ignore[assignment]
        if "content-encoding" in request.headers:
            del request.headers["content-encoding"]
        return None

    return check


async def _plain_errors(request: Request, answer: Any) -> HTTPResponse | None:
    if request.path != "/webhook" or answer.status < 400:
        return None
    return _refuse(answer.status, guard.action_named(request.parsed_json))


def create(token: str, executor: ActionExecutor | None = None) -> Sanic[Any, Any]:
    if not guard.token_usable(token):
        raise ValueError("the action token must have at least 16 characters")
    # rasa-sdk warns on every call when Rasa's minor version differs from its own; the
    # protocol is the same across 3.x, and the e2e test runs against Rasa 3.6 to prove it.
    warnings.filterwarnings("ignore", message="Your versions of rasa and rasa_sdk")
    warnings.filterwarnings("ignore", message="You are using an old version of rasa")
    app: Sanic[Any, Any] = create_app(executor or build_executor(), cors_origins=[])
    app.config.REQUEST_MAX_SIZE = guard.MAX_BODY
    app.register_middleware(_guard_request(token), "request")
    app.register_middleware(_plain_errors, "response")
    # rasa-sdk's own handler logs the request (the whole conversation) with the traceback.
    logging.getLogger("rasa_sdk.endpoint").addFilter(guard.no_request_in_logs)
    return app


def serve(host: str, port: int, token: str) -> None:
    """One process, one worker: the server is stateless, so scale by running more of them."""
    app = create(token)
    app.prepare(host=host, port=port, single_process=True, access_log=False, motd=False)
    log.info("action server listening on %s:%s", host, port)
    Sanic.serve_single(app)
