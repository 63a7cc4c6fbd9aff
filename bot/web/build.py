"""Wiring the web chat: settings -> draft store (Redis, the SQLite draft file or memory) -> turns
-> the ASGI app."""

from __future__ import annotations

import logging
from typing import Any

from bot.bootstrap import App, LazyApp
from bot.runtime.context import Runtime
from bot.runtime.drafts import sqlite_drafts
from bot.runtime.redisclient import redis_client
from bot.settings import Settings
from bot.web.app import Limits, Web, create_app
from bot.web.session import Sessions
from bot.web.turns import Filer, Turns
from intake.texts import LANGUAGES, Language
from storage.counters import MemoryWindowCounter, RedisWindowCounter, WindowCounter
from storage.drafts import (
    DraftCipher,
    EncryptedDrafts,
    IdHasher,
    MemoryValueStore,
    RedisValueStore,
    ValueStore,
)

log = logging.getLogger(__name__)


def build_web(
    settings: Settings,
    filer: Filer | None,
    *,
    prefix: str = "ke:",
    clock: Any = None,
    oidc: Any = None,
) -> Web:
    """The draft store and counters are the ones Telegram uses (same keys, cipher, expiry):
    Redis (`KE_REDIS_URL`) for several workers, else the durable SQLite draft file beside the
    inbox (one worker; a restart keeps every conversation), memory only with
    `KE_DRAFT_STORE=memory` (tests)."""
    choice = settings.draft_store
    if choice == "auto":
        choice = "redis" if settings.redis_url else "sqlite"
    counter: WindowCounter = MemoryWindowCounter()
    if choice == "sqlite":
        drafts = sqlite_drafts(settings, prefix=f"{prefix}draft:")
        log.info("web: drafts in the SQLite draft file, expiry %s h", settings.draft_ttl_hours)
    else:
        secret = settings.id_hash_secret.get_secret_value() if settings.id_hash_secret else None
        keys = settings.draft_keys.get_secret_value() if settings.draft_keys else None
        store: ValueStore = MemoryValueStore()
        if choice == "redis" and settings.redis_url:
            redis = redis_client(settings.redis_url)
            store = RedisValueStore(redis)
            counter = RedisWindowCounter(redis, f"{prefix}web:")
            log.info("web: drafts in Redis, expiry %s h", settings.draft_ttl_hours)
        else:
            log.info("web: drafts in memory (tests), expiry %s h", settings.draft_ttl_hours)
        drafts = EncryptedDrafts(
            store,
            DraftCipher.from_secret(keys),
            IdHasher.from_secret(secret),
            ttl_seconds=settings.draft_ttl_hours * 3600,
            prefix=f"{prefix}draft:",
        )
    receiving = filer.receiving if isinstance(filer, App | LazyApp) else None
    # The transcript goes once filed.
    runtime = Runtime(settings, "web", can_delete_chat=True, receiving=receiving)
    if clock is not None:
        runtime = runtime.with_clock(clock)
    turns = Turns(runtime, filer)
    if oidc is None and settings.web_oidc_issuer and settings.web_oidc_client_id:
        from bot.web.oidc import Login

        client_secret = settings.web_oidc_client_secret
        oidc = Login(
            settings.web_oidc_issuer,
            settings.web_oidc_client_id,
            client_secret.get_secret_value() if client_secret else None,
        )
    language: Language = next((c for c in LANGUAGES if c == settings.language), "nb")
    limits = Limits(
        session_turns_per_minute=settings.web_session_turns_per_minute,
        address_turns_per_minute=settings.web_address_turns_per_minute,
        resume_tries=settings.web_resume_tries,
        idle_minutes=settings.web_idle_minutes,
    )
    return Web(
        sessions=Sessions(drafts),
        turns=turns,
        hasher=drafts.hasher,
        counter=counter,
        limits=limits,
        default_language=language,
        draft_ttl_hours=settings.draft_ttl_hours,
        frame_ancestors=tuple(settings.web_embed_origins.split()),
        oidc=oidc,
    )


def asgi_app(web: Web) -> Any:
    return create_app(web)
