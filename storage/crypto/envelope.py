"""Sealed envelopes: a referral body only the receiving KE can open.

The format is specified in docs/ENVELOPE.md; this module is a small recipe over pyca primitives
(HPKE RFC 9180 for the key wrap, ChaCha20-Poly1305 for the body, Ed25519 for the filing
signature). Every failure to read or open an envelope is the one `SealedEnvelopeError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from storage.crypto.errors import SealedEnvelopeError

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "EnvelopeHeader",
    "RecipientKey",
    "SealedEnvelopeError",
    "key_id",
    "open_envelope",
    "padded_size",
    "read_header",
    "rewrap",
    "seal",
    "verify_signature",
]

FORMAT_VERSION = 1
MAGIC = b"ke-intake/sealed/v1\n"
WRAP_LABEL = b"ke-intake/sealed/v1 key-wrap\x00"
SIGNATURE_LABEL = b"ke-intake/sealed/v1 signature\x00"

_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.CHACHA20_POLY1305)
_DATA_KEY_BYTES = 32
_WRAPPED_BYTES = KEM.X25519.enc_length() + _DATA_KEY_BYTES + 16  # enc || sealed key || tag
_TAG_BYTES = 16
_SIGNATURE_BYTES = 64
# The data key encrypts exactly one plaintext, so a fixed nonce is safe and leaves nothing to
# store or get wrong.
_BODY_NONCE = bytes(12)
_LEN = struct.Struct(">I")

# Bodies smaller than the floor all look the same size; above it padmé leaks O(log log n) bits
# with at most ~12% overhead.
PAD_FLOOR = 4096
_MAX_HEADER_BYTES = 16 * 1024
MAX_RECIPIENTS = 32

_KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
RECIPIENT_RE = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Everything that malformed or forged input can raise on the way; all become SealedEnvelopeError.
_FAILURES = (
    ValueError,  # includes json and unicode decoding errors
    TypeError,
    AttributeError,
    KeyError,
    struct.error,
    InvalidSignature,
    InvalidTag,
)


def key_id(public_key: X25519PublicKey | Ed25519PublicKey) -> str:
    """Short hex fingerprint of a public key; the kind is part of the hash so ids never collide."""
    kind = b"x25519" if isinstance(public_key, X25519PublicKey) else b"ed25519"
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(b"ke-intake key-id\x00" + kind + b"\x00" + raw).hexdigest()[:16]


@dataclass(frozen=True)
class RecipientKey:
    key_id: str
    public_key: X25519PublicKey

    @classmethod
    def of(cls, public_key: X25519PublicKey) -> RecipientKey:
        return cls(key_id(public_key), public_key)


@dataclass(frozen=True)
class EnvelopeHeader:
    version: int
    referral_id: uuid.UUID
    recipient: str
    filed_at: datetime
    key_ids: tuple[str, ...]
    signer_key_id: str


# -- padding ---------------------------------------------------------------------------------


def padded_size(length: int) -> int:
    """Size of the padded plaintext for `length` bytes of body (a 4-byte length prefix included)."""
    n = max(length + _LEN.size, PAD_FLOOR)
    exponent = n.bit_length() - 1
    mask = (1 << (exponent - exponent.bit_length())) - 1
    return (n + mask) & ~mask


def _pad(body: bytes) -> bytes:
    size = padded_size(len(body))
    return _LEN.pack(len(body)) + body + bytes(size - _LEN.size - len(body))


def _unpad(padded: bytes) -> bytes:
    (length,) = _LEN.unpack_from(padded)
    end = _LEN.size + length
    if len(padded) != padded_size(length) or any(padded[end:]):
        raise ValueError("non-canonical padding")
    return padded[_LEN.size : end]


# -- header ----------------------------------------------------------------------------------


def _encode_header(header: EnvelopeHeader) -> bytes:
    fields = {
        "filed_at": header.filed_at.astimezone(UTC).strftime(_TIME_FORMAT),
        "key_ids": list(header.key_ids),
        "recipient": header.recipient,
        "referral_id": str(header.referral_id),
        "signer": header.signer_key_id,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("ascii")


def _decode_header(raw: bytes) -> EnvelopeHeader:
    fields = json.loads(raw.decode("ascii"))
    if not isinstance(fields, dict) or set(fields) != {
        "filed_at",
        "key_ids",
        "recipient",
        "referral_id",
        "signer",
    }:
        raise ValueError("header fields")
    key_ids = fields["key_ids"]
    if not isinstance(key_ids, list) or not all(isinstance(k, str) for k in key_ids):
        raise ValueError("key ids")
    header = EnvelopeHeader(
        version=FORMAT_VERSION,
        referral_id=uuid.UUID(fields["referral_id"]),
        recipient=fields["recipient"],
        filed_at=datetime.strptime(fields["filed_at"], _TIME_FORMAT).replace(tzinfo=UTC),
        key_ids=tuple(key_ids),
        signer_key_id=fields["signer"],
    )
    _check_header(header)
    # One header, one byte string: anything else (spacing, key order, uuid case) is refused.
    if _encode_header(header) != raw:
        raise ValueError("non-canonical header")
    return header


def _check_header(header: EnvelopeHeader) -> None:
    ids = header.key_ids
    if not 1 <= len(ids) <= MAX_RECIPIENTS or len(set(ids)) != len(ids):
        raise ValueError("between 1 and 32 distinct recipient keys are needed")
    if not all(_KEY_ID_RE.match(k) for k in (*ids, header.signer_key_id)):
        raise ValueError("malformed key id")
    if not RECIPIENT_RE.match(header.recipient):
        raise ValueError("recipient must be a kommune number or KE id")
    if header.filed_at.tzinfo is None:
        raise ValueError("filed_at must be timezone-aware")


# -- framing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    header: EnvelopeHeader
    aad: bytes  # magic, header length and header: what the body AEAD authenticates
    wrapped: Mapping[str, bytes]
    ciphertext: bytes
    signed: bytes
    signature: bytes


def _parse(blob: bytes) -> _Parsed:
    if not blob.startswith(MAGIC):
        raise ValueError("unknown format or version")
    (header_len,) = _LEN.unpack_from(blob, len(MAGIC))
    if header_len > _MAX_HEADER_BYTES:
        raise ValueError("header too long")
    header_end = len(MAGIC) + _LEN.size + header_len
    if len(blob) < header_end:
        raise ValueError("truncated")
    header = _decode_header(blob[len(MAGIC) + _LEN.size : header_end])
    body_start = header_end + _WRAPPED_BYTES * len(header.key_ids)
    body_end = len(blob) - _SIGNATURE_BYTES
    if body_end - body_start < PAD_FLOOR + _TAG_BYTES:
        raise ValueError("truncated")
    wrapped = {
        kid: blob[header_end + i * _WRAPPED_BYTES : header_end + (i + 1) * _WRAPPED_BYTES]
        for i, kid in enumerate(header.key_ids)
    }
    return _Parsed(
        header=header,
        aad=blob[:header_end],
        wrapped=wrapped,
        ciphertext=blob[body_start:body_end],
        signed=blob[:body_end],
        signature=blob[body_end:],
    )


def _wrap_info(aad: bytes) -> bytes:
    return WRAP_LABEL + hashlib.sha256(aad).digest()


def _verified(blob: bytes, verify_keys: Mapping[str, Ed25519PublicKey]) -> _Parsed:
    parsed = _parse(blob)
    signer = verify_keys[parsed.header.signer_key_id]
    signer.verify(parsed.signature, SIGNATURE_LABEL + parsed.signed)
    return parsed


# -- public operations -----------------------------------------------------------------------


def seal(
    body: bytes,
    *,
    referral_id: uuid.UUID,
    recipient: str,
    filed_at: datetime,
    recipients: Sequence[RecipientKey],
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """Encrypt `body` to every key in `recipients` and sign the result for the filing service.

    Raises ValueError for a programming error (no recipients, naive time, malformed recipient).
    """
    header = EnvelopeHeader(
        version=FORMAT_VERSION,
        referral_id=referral_id,
        recipient=recipient,
        filed_at=filed_at,
        key_ids=tuple(r.key_id for r in recipients),
        signer_key_id=key_id(signing_key.public_key()),
    )
    _check_header(header)
    if any(r.key_id != key_id(r.public_key) for r in recipients):
        raise ValueError("a recipient key id does not match its public key")
    header_bytes = _encode_header(header)
    aad = MAGIC + _LEN.pack(len(header_bytes)) + header_bytes

    data_key = os.urandom(_DATA_KEY_BYTES)
    info = _wrap_info(aad)
    wrapped = b"".join(_SUITE.encrypt(data_key, r.public_key, info=info) for r in recipients)
    ciphertext = ChaCha20Poly1305(data_key).encrypt(_BODY_NONCE, _pad(body), aad)

    signed = aad + wrapped + ciphertext
    return signed + signing_key.sign(SIGNATURE_LABEL + signed)


def read_header(blob: bytes) -> EnvelopeHeader:
    """The header, unauthenticated: for routing and listing only, never for trust decisions."""
    try:
        return _parse(blob).header
    except _FAILURES:
        raise SealedEnvelopeError from None


def verify_signature(blob: bytes, verify_keys: Mapping[str, Ed25519PublicKey]) -> EnvelopeHeader:
    """The header, once the filing signature checks out against one of `verify_keys`."""
    try:
        return _verified(blob, verify_keys).header
    except _FAILURES:
        raise SealedEnvelopeError from None


def open_envelope(
    blob: bytes,
    *,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
) -> tuple[EnvelopeHeader, bytes]:
    """Verify the signature, unwrap the data key with `private_key` and return the body."""
    # Checked outside the opaque zone: a wrong argument type is a bug to report plainly.
    if not isinstance(private_key, X25519PrivateKey):
        raise TypeError("private_key must be an X25519PrivateKey")
    try:
        parsed = _verified(blob, verify_keys)
        wrapped = parsed.wrapped[key_id(private_key.public_key())]
        data_key = _SUITE.decrypt(wrapped, private_key, info=_wrap_info(parsed.aad))
        padded = ChaCha20Poly1305(data_key).decrypt(_BODY_NONCE, parsed.ciphertext, parsed.aad)
        return parsed.header, _unpad(padded)
    except _FAILURES:
        raise SealedEnvelopeError from None


def rewrap(
    blob: bytes,
    *,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
    recipients: Sequence[RecipientKey],
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """Re-seal an envelope to `recipients` (key rotation).

    Referral id, recipient and filing time are kept; key ids and signer change, and the body is
    re-encrypted under a fresh data key so a removed key cannot open the new envelope.
    """
    header, body = open_envelope(blob, private_key=private_key, verify_keys=verify_keys)
    return seal(
        body,
        referral_id=header.referral_id,
        recipient=header.recipient,
        filed_at=header.filed_at,
        recipients=recipients,
        signing_key=signing_key,
    )
