"""The staff inbox's own request checks beside the shared security headers
(`bot.web.security.SecurityHeaders`): CSRF tokens kept in the server-side session and compared
in constant time, the Origin check, cookie attributes, and the narrower policy of an SVG chart."""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

TOKEN_BYTES = 32
# An SVG chart served on its own (shown in an <img>): its styles are inline, nothing else runs.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
MAX_BODY = 256 * 1024  # staff forms are short; a larger body is refused


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def same_token(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another origin. Under our
    `Referrer-Policy: no-referrer` a browser's own form posts say `Origin: null`; those, and a
    request with neither header (a script), pass here and are still held to the CSRF token and
    the SameSite=Strict cookie."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None or source == "null":
        return True
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def is_loopback(host: str) -> bool:
    return host in ("::1", "localhost") or host.startswith("127.")


def cookie_options(*, secure: bool) -> dict[str, Any]:
    """HttpOnly, SameSite=Strict; Secure unless served on plain HTTP on the loopback."""
    return {"httponly": True, "samesite": "strict", "path": "/", "secure": secure}
