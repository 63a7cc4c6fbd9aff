"""The action server's rules for what it accepts, as pure functions (`bot.rasa.server` applies
them): the shared secret, the size of a body before and after inflating it, the shape of an
action call and of the slots this server sets, and error answers that echo nothing."""

from __future__ import annotations

import hmac
import json
import logging
import zlib
from collections.abc import Mapping
from typing import Any

from bot.rasa import turn

# Rasa sends the whole tracker: every event of the conversation. A complete referral's last
# call is a few hundred kilobytes; these limits leave room for long conversations and stop a
# flood (or a zip bomb) long before it costs memory.
MAX_BODY = 2 * 1024 * 1024
MAX_INFLATED = 8 * 1024 * 1024
MIN_TOKEN = 16

_STATUS_TEXT = {
    400: "Invalid body request",
    401: "Unauthorised: this server needs its action token",
    404: "No such action",
    413: "Body too large",
    415: "Unsupported content encoding",
    449: "The action needs the domain",
}


class Refusal(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def token_usable(token: str | None) -> bool:
    return token is not None and len(token) >= MIN_TOKEN


def authorised(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())


def inflate(body: bytes, limit: int = MAX_INFLATED) -> bytes:
    """A deflated (zlib) body, inflated to at most `limit` bytes."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, limit)
    except zlib.error:
        raise Refusal(400) from None
    if inflater.unconsumed_tail:
        raise Refusal(413)
    if not inflater.eof:
        raise Refusal(400)
    return out


def read_body(body: bytes, encoding: str | None, length: str | None = None) -> dict[str, Any]:
    """The action call in `body` (its Content-Length header `length`), or a `Refusal` with the
    status to answer. (Sanic does not read a body over its limit: `body` is then empty.)"""
    if encoding and encoding.lower() not in ("deflate", "identity"):
        raise Refusal(415)
    if len(body) > MAX_BODY or (length is not None and length.isdigit() and int(length) > MAX_BODY):
        raise Refusal(413)
    if encoding and encoding.lower() == "deflate":
        body = inflate(body)
    try:
        call = json.loads(body)
    except (ValueError, RecursionError):  # a deeply nested body ends in RecursionError
        raise Refusal(400) from None
    if not well_formed(call):
        raise Refusal(400)
    return call  # type: ignore[no-any-return]


def well_formed(call: Any) -> bool:
    """What rasa-sdk's executor and our action need, so neither raises on it."""
    if not isinstance(call, dict):
        return False
    if not call.get("next_action"):
        return True  # rasa-sdk answers `null` with 200 itself
    tracker = call.get("tracker")
    domain = call.get("domain")
    if not (
        isinstance(call["next_action"], str)
        and isinstance(call.get("version", ""), str | None)  # rasa-sdk compares it as text
        and isinstance(tracker, dict)
        and isinstance(tracker.get("sender_id"), str)
        and isinstance(tracker.get("slots", {}), dict)
        and isinstance(tracker.get("events", []), list)
        and isinstance(tracker.get("latest_message", {}), dict)
        and isinstance(tracker.get("active_loop", {}), dict)
        and (domain is None or isinstance(domain, dict))
    ):
        return False
    return slots_well_formed(tracker.get("slots") or {})


def slots_well_formed(slots: Mapping[str, Any]) -> bool:
    """Our slots hold what our action set: a readable engine state, a language, a reference."""
    try:
        turn.state_of(slots)
    except turn.MalformedSlots:
        return False
    except turn.OutdatedState:
        pass  # ours once, unreadable since an upgrade: the turn starts afresh
    language = slots.get(turn.LANGUAGE)
    reference = slots.get(turn.REFERENCE)
    return (language is None or isinstance(language, str)) and (
        reference is None or isinstance(reference, str)
    )


def action_named(call: Any) -> str | None:
    """The action a call names, when it is one of ours (Rasa reads it from a 400 answer)."""
    name = call.get("next_action") if isinstance(call, dict) else None
    from bot.rasa.actions import custom_action_names

    return name if isinstance(name, str) and name in custom_action_names() else None


def error_body(status: int, action: str | None = None) -> dict[str, str]:
    body = {"error": _STATUS_TEXT.get(status, "Internal error" if status >= 500 else "Refused")}
    if action is not None:
        body["action_name"] = action
    return body


def no_request_in_logs(record: logging.LogRecord) -> bool:
    """A log filter: rasa-sdk's "exception during request <request>" record keeps its level and
    logger, loses the request and the traceback (our executor has logged the error's class)."""
    if record.exc_info or "request" in str(record.msg):
        record.msg, record.args, record.exc_info, record.exc_text = (
            "an action call failed",
            (),
            None,
            None,
        )
    return True
