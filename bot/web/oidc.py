"""Optional login with ID-porten over OpenID Connect: authorization code with PKCE (S256), a
nonce and a state, through authlib's client; the ID token's signature (the provider's JWKS),
issuer, audience, expiry and nonce are checked before its `pid` (the national identity number)
is used. What is pending between the redirect and the callback lives in the server-side draft,
never in the browser.

Configured by `KE_WEB_OIDC_ISSUER`, `KE_WEB_OIDC_CLIENT_ID` and `KE_WEB_OIDC_CLIENT_SECRET`;
without them the chat has no login and works as before.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

DISCOVERY = "/.well-known/openid-configuration"
METADATA_SECONDS = 3600


class LoginFailed(Exception):
    """Any failure of the login; one type without detail (the person may try again)."""


@dataclass
class Login:
    issuer: str
    client_id: str
    client_secret: str | None = None
    scope: str = "openid profile"
    _metadata: dict[str, Any] | None = field(default=None, repr=False)
    _fetched: float = 0.0

    def _client(self, redirect_uri: str) -> Any:
        from authlib.integrations.httpx_client import AsyncOAuth2Client

        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post" if self.client_secret else "none",
            timeout=10,
        )

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._fetched > METADATA_SECONDS:
            import httpx

            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(self.issuer.rstrip("/") + DISCOVERY)
                response.raise_for_status()
                self._metadata = dict(response.json())
                self._fetched = time.monotonic()
        return self._metadata

    async def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider's authorization URL and what to keep until the callback."""
        meta = await self.metadata()
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(24)
        async with self._client(redirect_uri) as client:
            url, state = client.create_authorization_url(
                meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        return str(url), {"state": state, "nonce": nonce, "verifier": verifier}

    async def finish(
        self, redirect_uri: str, pending: dict[str, str], query: dict[str, str]
    ) -> dict[str, Any]:
        """The checked ID token claims, or LoginFailed."""
        if not query.get("code") or not secrets.compare_digest(
            query.get("state", ""), pending.get("state", "")
        ):
            raise LoginFailed()
        try:
            meta = await self.metadata()
            async with self._client(redirect_uri) as client:
                token = await client.fetch_token(
                    meta["token_endpoint"],
                    grant_type="authorization_code",
                    code=query["code"],
                    code_verifier=pending["verifier"],
                )
                jwks = (await client.get(meta["jwks_uri"])).json()
            return self._claims(str(token["id_token"]), jwks, pending["nonce"], meta)
        except LoginFailed:
            raise
        except Exception as error:
            log.warning("web: login failed (%s)", type(error).__name__)
            raise LoginFailed() from None

    def _claims(
        self, id_token: str, jwks: dict[str, Any], nonce: str, meta: dict[str, Any]
    ) -> dict[str, Any]:
        from joserfc import jwt
        from joserfc.jwk import KeySet

        token = jwt.decode(id_token, KeySet.import_key_set(jwks))  # type: ignore[arg-type]
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": meta.get("issuer", self.issuer)},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(claims)
        return claims
