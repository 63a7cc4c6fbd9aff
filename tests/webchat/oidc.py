"""A local OpenID Connect provider for the login tests: oidc-provider-mock (PyPI) with the PKCE
check (RFC 7636) that its token endpoint lacks, put in front of it.

oidc-provider-mock 0.3 accepts `code_challenge` and ignores it: its authorization code grant
registers no `CodeChallenge` extension and its stored codes keep no challenge, so a token request
with any verifier, or none, gets tokens. A test of our PKCE against it could not fail. ID-porten
requires PKCE with S256, so the provider here does what ID-porten does: `PkceCheck` remembers the
challenge an authorization request carried, by the code the provider issued for it, and the
token endpoint refuses a code whose request had no S256 challenge, or whose `code_verifier` is
missing or does not hash to it (authlib's own `create_s256_code_challenge`, the function
authlib's server-side `CodeChallenge` uses). A refused request never reaches the provider, so a
refusal does not use up the code. Everything else (login page, tokens, JWKS) is the package's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

AUTHORIZE = "/oauth2/authorize"
TOKEN = "/oauth2/token"


@dataclass
class PkceCheck:
    """WSGI middleware: the provider's token endpoint checks PKCE (S256 only)."""

    app: Callable[..., Iterable[bytes]]
    # the authorization code -> (code_challenge, code_challenge_method) it was issued for
    challenges: dict[str, tuple[str, str]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # why each refused token request was refused

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == TOKEN and environ.get("REQUEST_METHOD") == "POST":
            return self._token(environ, start_response)
        if path != AUTHORIZE:
            return self.app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        challenge = query.get("code_challenge", [""])[0]
        method = query.get("code_challenge_method", ["plain"])[0]

        def remember(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            location = next((v for k, v in headers if k.lower() == "location"), "")
            code = parse_qs(urlsplit(location).query).get("code", [""])[0]
            if code:
                self.challenges[code] = (challenge, method)
            return start_response(status, headers, *rest)

        return self.app(environ, remember)

    def _token(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        form = parse_qs(body.decode("ascii", "replace"))
        code = form.get("code", [""])[0]
        verifier = form.get("code_verifier", [""])[0]
        challenge, method = self.challenges.get(code, ("", ""))
        why = ""
        if form.get("grant_type", [""])[0] == "authorization_code":
            if not challenge or method != "S256":
                why = "the authorization request had no S256 code_challenge"
            elif not verifier:
                why = "no code_verifier"
            elif create_s256_code_challenge(verifier) != challenge:
                why = "the code_verifier does not match the code_challenge"
        if why:
            self.refused.append(why)
            payload = b'{"error": "invalid_grant", "error_description": "PKCE check failed"}'
            start_response(
                "400 Bad Request",
                [("content-type", "application/json"), ("content-length", str(len(payload)))],
            )
            return [payload]
        environ["wsgi.input"] = BytesIO(body)
        return self.app(environ, start_response)


@dataclass
class Provider:
    issuer: str
    check: PkceCheck


@contextmanager
def oidc_provider(users: list[Any]) -> Iterator[Provider]:
    """oidc-provider-mock on a free port of 127.0.0.1, nonce required (as ID-porten does),
    behind `PkceCheck`."""
    import oidc_provider_mock
    import werkzeug.serving

    check = PkceCheck(oidc_provider_mock.app(user_claims=users, require_nonce=True))
    server = werkzeug.serving.make_server("127.0.0.1", 0, check, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}", check)
    finally:
        server.shutdown()
        thread.join(2)
        server.server_close()
