"""What an attachment may be: the accepted media types, how each one's content begins, and the
size limit. Every channel's upload check and the filing's final check read these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
# The first bytes of each accepted type: a file is what its content says, not what it is named.
MAGIC: Final[Mapping[str, bytes]] = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
MEDIA_TYPES: Final = frozenset(MAGIC)


def sniff_media_type(content: bytes) -> str | None:
    """The accepted media type `content` begins as, or None (then it is not one we take)."""
    return next((media for media, magic in MAGIC.items() if content.startswith(magic)), None)


def content_is(media_type: str, content: bytes) -> bool:
    magic = MAGIC.get(media_type)
    return magic is not None and content.startswith(magic)
