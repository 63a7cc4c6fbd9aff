"""Unfinished conversations at rest: the draft cipher (AES-GCM, rotatable keys, expiry) and the
keyed pseudonyms that replace chat and user ids in storage keys.

No framework imports here: the Telegram adapter wraps aiogram's FSM storage around these pieces,
and any other channel may use them as they are.
"""

from storage.drafts.cipher import DraftCipher, DraftUnreadable, generate_key, parse_keys
from storage.drafts.pseudonyms import IdHasher
from storage.drafts.store import (
    EncryptedDrafts,
    MemoryValueStore,
    RedisValueStore,
    ValueStore,
)

__all__ = [
    "DraftCipher",
    "DraftUnreadable",
    "EncryptedDrafts",
    "IdHasher",
    "MemoryValueStore",
    "RedisValueStore",
    "ValueStore",
    "generate_key",
    "parse_keys",
]
