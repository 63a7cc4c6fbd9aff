"""The plaintext inside a sealed envelope: the canonical referral JSON plus its attachments.

Layout (all integers big-endian):
    b"ke-intake/body/v1\\n" | u32 json length | json | u16 count |
    count x (32-byte sha256 | u32 length | content)
Attachments are keyed by the sha256 the referral's attachment metadata already names, so the
referral JSON and the files cannot drift apart unnoticed.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

from storage.crypto.errors import SealedEnvelopeError

BODY_MAGIC = b"ke-intake/body/v1\n"
_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_DIGEST = 32
MAX_ATTACHMENTS = 0xFFFF


def pack_body(referral_json: bytes, attachments: Sequence[tuple[str, bytes]]) -> bytes:
    """Bytes to seal. `attachments` are (sha256 hex, content); a duplicate digest is kept once.

    Raises ValueError when a digest does not match its content (a programming error upstream).
    """
    unique: dict[str, bytes] = {}
    for digest, content in attachments:
        if hashlib.sha256(content).hexdigest() != digest:
            raise ValueError("attachment content does not match its sha256")
        unique[digest] = content
    if len(unique) > MAX_ATTACHMENTS:
        raise ValueError("too many attachments")
    parts = [BODY_MAGIC, _U32.pack(len(referral_json)), referral_json, _U16.pack(len(unique))]
    for digest, content in unique.items():
        parts += [bytes.fromhex(digest), _U32.pack(len(content)), content]
    return b"".join(parts)


def unpack_body(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """(referral JSON, {sha256 hex: content}); any malformed body is SealedEnvelopeError."""
    try:
        return _unpack(memoryview(data))
    except (ValueError, struct.error):
        raise SealedEnvelopeError from None


def _unpack(view: memoryview) -> tuple[bytes, dict[str, bytes]]:
    if bytes(view[: len(BODY_MAGIC)]) != BODY_MAGIC:
        raise ValueError("unknown body format")
    pos = len(BODY_MAGIC)
    referral_json, pos = _take(view, pos)
    (count,) = _U16.unpack_from(view, pos)
    pos += _U16.size
    attachments: dict[str, bytes] = {}
    for _ in range(count):
        digest = bytes(view[pos : pos + _DIGEST]).hex()
        content, pos = _take(view, pos + _DIGEST)
        if len(digest) != 2 * _DIGEST or hashlib.sha256(content).hexdigest() != digest:
            raise ValueError("attachment digest mismatch")
        attachments[digest] = content
    if pos != len(view):
        raise ValueError("trailing bytes")
    return referral_json, attachments


def _take(view: memoryview, pos: int) -> tuple[bytes, int]:
    (length,) = _U32.unpack_from(view, pos)
    start = pos + _U32.size
    if start + length > len(view):
        raise ValueError("truncated")
    return bytes(view[start : start + length]), start + length
