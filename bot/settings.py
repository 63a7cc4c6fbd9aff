"""The one typed settings object, read from the environment (prefix KE_) and a .env file."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from intake.facts import CONSENT_AGE
from intake.rules import Policy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite under data_dir"
    )
    redis_url: str | None = None
    # Where a chat channel keeps drafts: "auto" is Redis with redis_url, else the encrypted
    # SQLite file drafts.sqlite3 in data_dir (durable); "memory" is for tests only.
    draft_store: Literal["auto", "memory", "sqlite", "redis"] = "auto"
    allow_synthetic_ids: bool = False
    consent_age: int = CONSENT_AGE
    draft_ttl_hours: int = 72
    language: str = "nb"

    # Draft encryption keys, newest first (comma separated, urlsafe base64 32-byte keys).
    draft_keys: SecretStr | None = None
    # Secret for hashing chat and user ids before they become storage keys.
    id_hash_secret: SecretStr | None = None
    signing_key_file: Path | None = None
    # Only when the signing key file is encrypted (an unattended service usually leaves it plain).
    signing_key_passphrase: SecretStr | None = None

    telegram_token: SecretStr | None = None
    telegram_api_base: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # After this long away, the person is offered to resume or start over.
    telegram_resume_after_minutes: int = 30
    # A Bot API call not answered within this many seconds is a time-out (retried; a reply
    # still refused after the retries is kept and sent later, bot/telegram/outbox.py).
    telegram_request_timeout_seconds: float = 20.0
    # A 429's retry_after up to this long is waited in line; a longer one keeps the reply for
    # later delivery, not before the retry_after.
    telegram_retry_after_max_seconds: float = 60.0
    # Per-chat flood control (bot/telegram/gate.py): a burst of `limit` updates, then one per
    # window/limit seconds, in order; at most `queue` waiting, beyond which the person is told
    # exactly which messages to send again. Telegram itself allows about one message a second.
    telegram_flood_limit: int = 20
    telegram_flood_window_seconds: float = 20.0
    telegram_flood_queue: int = 60

    # The web chat (`ke-intake web`). Origins allowed to frame the chat (space separated, for
    # CSP frame-ancestors), e.g. "https://www.bergen.kommune.no"; empty: only the chat itself.
    web_embed_origins: str = ""
    # A browser session left this long without a turn closes; the draft stays for the resume code.
    web_idle_minutes: float = 30
    web_session_turns_per_minute: int = 60
    web_address_turns_per_minute: int = 600
    web_resume_tries: int = 10  # per address per 15 minutes
    # Optional login with ID-porten (OpenID Connect, authorization code + PKCE).
    web_oidc_issuer: str | None = None
    web_oidc_client_id: str | None = None
    web_oidc_client_secret: SecretStr | None = None
    # The KE staff web (`ke-intake staff-web`, KE side only).
    staff_idle_minutes: int = 15
    staff_oidc_issuer: str | None = None
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: SecretStr | None = None
    # The ID-token claim that names the staff account (`staff add --oidc-subject`).
    staff_oidc_claim: str = "sub"
    # Content-free notices ("1 ny melding i innboksen") by SMTP to the KE's address.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    notice_from: str | None = None
    notice_to: str | None = None
    notice_interval_seconds: int = 300

    # The shared secret Rasa sends to the action server (`Authorization: Bearer <token>`, from
    # `dialogues/rasa/endpoints.yml`); at least 16 characters. The server refuses to start
    # without it and refuses every call that lacks it.
    rasa_action_token: SecretStr | None = None

    @cached_property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'inbox.sqlite3').resolve()}"

    def with_synthetic_ids(self, allowed: bool = True) -> Settings:
        """These settings, with synthetic national ids allowed (demo mode, tests)."""
        return self.model_copy(update={"allow_synthetic_ids": allowed}) if allowed else self

    def policy(self, today: dt.date) -> Policy:
        return Policy(
            today=today, allow_synthetic=self.allow_synthetic_ids, consent_age=self.consent_age
        )
