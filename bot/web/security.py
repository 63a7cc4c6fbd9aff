"""The web's guards: security headers with a per-request CSP nonce, a body-size limit, CSRF
tokens and the session cookie's attributes. The staff inbox (bot/staff/web) uses the same
`SecurityHeaders`; its CSRF tokens live in its server-side sessions.

CSRF tokens are stateless HMACs (any worker can check them): bound to the session id once there
is one, and to a timestamp on the first page (which has no session yet, by design: nothing is
stored in the browser before the person answers).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.drafts import IdHasher

COOKIE = "__Host-ke-session"
START_TOKEN_SECONDS = 12 * 3600


class BodyTooLarge(Exception):
    """The request body passed the limit; the route answers with a page in the person's
    language."""


def csrf_token(hasher: IdHasher, sid: str) -> str:
    return hasher.digest("web csrf", sid)


def start_token(hasher: IdHasher, now: float) -> str:
    issued = str(int(now))
    return f"{issued}.{hasher.digest('web csrf start', issued)}"


def check_csrf(hasher: IdHasher, session_token: str | None, token: str, now: float) -> bool:
    """`session_token`: `csrf_token` of the request's session id (None without a session), the
    caller's, computed once per request for the check and the page."""
    if session_token is not None and hmac.compare_digest(token.encode(), session_token.encode()):
        return True
    issued, _, mac = token.partition(".")
    if not issued.isdigit() or not 0 <= now - int(issued) <= START_TOKEN_SECONDS:
        return False
    expected = hasher.digest("web csrf start", issued)
    return hmac.compare_digest(mac.encode(), expected.encode())


def set_session_cookie(response: Response, sid: str, *, embedded: bool) -> None:
    """Secure, HttpOnly, SameSite=Lax, no expiry (it ends with the browser; the resume code
    outlives it). Inside another site's frame: SameSite=None with Partitioned (CHIPS), so the
    cookie lives only in that site's partition. Written by hand: Python < 3.14 cannot say
    Partitioned."""
    same_site = "None; Partitioned" if embedded else "Lax"
    response.headers.append(
        "set-cookie", f"{COOKIE}={sid}; Path=/; Secure; HttpOnly; SameSite={same_site}"
    )


def clear_session_cookie(response: Response) -> None:
    """Both jars: the first-party cookie and a partitioned one from a frame."""
    for same_site in ("Lax", "None; Partitioned"):
        response.headers.append(
            "set-cookie", f"{COOKIE}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite={same_site}"
        )


def content_security_policy(nonce: str, frame_ancestors: Iterable[str]) -> str:
    ancestors = " ".join(frame_ancestors) or "'self'"
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}' 'strict-dynamic'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            f"frame-ancestors {ancestors}",
        )
    )


class SecurityHeaders:
    """Pure ASGI middleware: a fresh nonce in `scope["state"]["nonce"]`, the headers on every
    response, and the body limit on every request. What is the same for every response (the
    policy around its nonce, the other headers) is built once."""

    def __init__(self, app: ASGIApp, *, frame_ancestors: Iterable[str], max_body: int) -> None:
        self.app = app
        self.frame_ancestors = tuple(frame_ancestors)
        self.max_body = max_body
        # the policy around every place its nonce goes (one today; a style nonce would be two)
        policy = content_security_policy(_NONCE, self.frame_ancestors)
        self._csp = policy.encode().split(_NONCE.encode())
        self._headers = list(_HEADERS)
        if not self.frame_ancestors:
            self._headers.append((b"x-frame-options", b"SAMEORIGIN"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["nonce"] = nonce
        static = scope["path"].startswith("/static/")
        csp = nonce.encode().join(self._csp)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                # A response may narrow its own policy (an SVG chart served as an image).
                own_policy = own_cache = False
                for name, _ in headers:
                    if name == b"content-security-policy":
                        own_policy = True
                    elif name == b"cache-control":
                        own_cache = True
                if not own_policy:
                    headers.append((b"content-security-policy", csp))
                headers += self._headers
                if static:
                    headers.append((b"cross-origin-resource-policy", b"same-origin"))
                elif not own_cache:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            scope["state"]["body_too_large"] = True
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            if scope["state"].get("body_too_large"):
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    scope["state"]["body_too_large"] = True
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited_receive, send_with_headers)


_NONCE = "\x00nonce\x00"  # where each response's nonce goes in the policy
# Every response's, after its policy (and before x-frame-options, cache-control, CORP).
_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"strict-transport-security", b"max-age=31536000"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
