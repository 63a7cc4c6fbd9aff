"""The draft secrets and the durable draft file, the same for every channel process.

`draft_secrets(settings, kept=True)`: the id-hash secret and draft keys from the settings, or,
for the SQLite draft file beside the inbox when they are not set, generated once and kept in
`drafts-id.secret` / `drafts.key` (0600) in the data directory, so a restart reads what was
written before. `sqlite_drafts(settings)`: `EncryptedDrafts` on that file (`drafts.sqlite3`)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings
from storage.drafts import DraftCipher, EncryptedDrafts, IdHasher, generate_key
from storage.drafts.sqlite import SqliteValueStore
from storage.files import create_once

log = logging.getLogger(__name__)

DRAFT_FILE = "drafts.sqlite3"


def _random_secret() -> str:
    return secrets.token_hex(32)


def draft_secrets(settings: Settings, *, kept: bool) -> tuple[str | None, str | None]:
    """(id-hash secret, draft keys); `kept`: generate and keep missing ones in the data dir."""
    secret = settings.id_hash_secret.get_secret_value() if settings.id_hash_secret else None
    keys = settings.draft_keys.get_secret_value() if settings.draft_keys else None
    if kept:
        secret = secret or _kept_secret(settings.data_dir / "drafts-id.secret", _random_secret)
        keys = keys or _kept_secret(settings.data_dir / "drafts.key", generate_key)
    return secret, keys


def sqlite_drafts(settings: Settings, *, prefix: str = "ke:draft:") -> EncryptedDrafts:
    secret, keys = draft_secrets(settings, kept=True)
    store = SqliteValueStore(settings.data_dir / DRAFT_FILE)
    ttl = settings.draft_ttl_hours * 3600
    return EncryptedDrafts(
        store,
        DraftCipher.from_secret(keys),
        IdHasher.from_secret(secret),
        ttl_seconds=ttl,
        prefix=prefix,
    )


def _kept_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret kept in a file of its own (0600) under the data directory, made once: drafts
    written before a restart must still be found and read after it."""
    if not path.exists() and create_once(path, make(), folder_mode=0o777):
        log.warning(
            "drafts: created %s (set KE_DRAFT_KEYS / KE_ID_HASH_SECRET to manage it)", path.name
        )
    return path.read_text().strip()
