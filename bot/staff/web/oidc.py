"""Login through the municipality's identity provider (OpenID Connect, authorization code flow
with PKCE and a nonce), with authlib. The provider's metadata and keys are fetched from its
issuer; the ID token's signature, issuer, audience, expiry and nonce are checked. The subject
(or the configured claim) names the staff account (`Account.oidc_subject`)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import JoseError
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from bot.staff.web.sessions import Session

TIMEOUT = httpx.Timeout(10.0)


@dataclass
class OidcLogin:
    issuer: str
    client_id: str
    client_secret: str
    claim: str = "sub"
    scope: str = "openid profile email"
    _metadata: dict[str, Any] | None = field(default=None, repr=False)
    _keys: Any = field(default=None, repr=False)

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                response = await client.get(url)
                response.raise_for_status()
                data: dict[str, Any] = response.json()
                keys = await client.get(data["jwks_uri"])
                keys.raise_for_status()
            self._metadata = data
            self._keys = JsonWebKey.import_key_set(keys.json())
        return self._metadata

    async def start(self, session: Session, redirect_uri: str) -> str:
        meta = await self.metadata()
        state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
        session.pending = {
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "redirect_uri": redirect_uri,
        }
        client = AsyncOAuth2Client(self.client_id, self.client_secret, scope=self.scope)
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"],
            redirect_uri=redirect_uri,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
        )
        return str(url)

    async def finish(self, session: Session, params: dict[str, str]) -> str | None:
        """The account's identifier from a valid callback, else None."""
        pending, session.pending = session.pending, {}
        if not pending or not secrets.compare_digest(params.get("state", ""), pending["state"]):
            return None
        if "code" not in params:
            return None
        meta = await self.metadata()
        async with AsyncOAuth2Client(self.client_id, self.client_secret, timeout=TIMEOUT) as client:
            try:
                token = await client.fetch_token(
                    meta["token_endpoint"],
                    code=params["code"],
                    redirect_uri=pending["redirect_uri"],
                    code_verifier=pending["verifier"],
                    grant_type="authorization_code",
                )
            except Exception:
                return None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            return None
        try:
            claims = jwt.decode(
                id_token,
                self._keys,
                claims_options={
                    "iss": {"essential": True, "value": meta["issuer"]},
                    "aud": {"essential": True, "value": self.client_id},
                    "nonce": {"essential": True, "value": pending["nonce"]},
                    "exp": {"essential": True},
                },
            )
            claims.validate(now=int(time.time()), leeway=60)
        except JoseError:
            return None
        value = claims.get(self.claim)
        return value if isinstance(value, str) and value else None
