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

# Version 2 is what `seal` writes: the signed header also names the reference, the channel and
# the reception time, and the recipient stanzas sit outside the signature so a KE can re-wrap
# without the intake's signing key. Version 1 envelopes are still read (and upgraded by rewrap).
FORMAT_VERSION = 2
MAGIC = b"ke-intake/sealed/v2\n"
WRAP_LABEL = b"ke-intake/sealed/v2 key-wrap\x00"
SIGNATURE_LABEL = b"ke-intake/sealed/v2 signature\x00"
MAGIC_V1 = b"ke-intake/sealed/v1\n"
WRAP_LABEL_V1 = b"ke-intake/sealed/v1 key-wrap\x00"
SIGNATURE_LABEL_V1 = b"ke-intake/sealed/v1 signature\x00"

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
_KEY_ID_BYTES = 16
RECIPIENT_RE = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
REFERENCE_RE = re.compile(r"^[0-9A-Za-z-]{1,32}$")
CHANNEL_RE = re.compile(r"^[a-z_]{1,16}$")
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
    """What an envelope says about itself. In version 2 everything but `key_ids` is signed;
    `reference` and `channel` are None in version 1, which did not carry them."""

    version: int
    referral_id: uuid.UUID
    recipient: str
    filed_at: datetime
    key_ids: tuple[str, ...]
    signer_key_id: str
    reference: str | None = None
    channel: str | None = None


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


_V1_FIELDS = frozenset({"filed_at", "key_ids", "recipient", "referral_id", "signer"})
_V2_FIELDS = frozenset({"channel", "filed_at", "recipient", "reference", "referral_id", "signer"})


def _encode_header(header: EnvelopeHeader) -> bytes:
    fields: dict[str, object] = {
        "filed_at": header.filed_at.astimezone(UTC).strftime(_TIME_FORMAT),
        "recipient": header.recipient,
        "referral_id": str(header.referral_id),
        "signer": header.signer_key_id,
    }
    if header.version == 1:
        fields["key_ids"] = list(header.key_ids)
    else:
        fields["reference"] = header.reference
        fields["channel"] = header.channel
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("ascii")


def _decode_header(raw: bytes, version: int, key_ids: tuple[str, ...] = ()) -> EnvelopeHeader:
    fields = json.loads(raw.decode("ascii"))
    expected = _V1_FIELDS if version == 1 else _V2_FIELDS
    if not isinstance(fields, dict) or set(fields) != expected:
        raise ValueError("header fields")
    if version == 1:
        key_ids = fields["key_ids"]
        if not isinstance(key_ids, list) or not all(isinstance(k, str) for k in key_ids):
            raise ValueError("key ids")
    text = [fields[k] for k in expected if k != "key_ids"]
    if not all(isinstance(v, str) for v in text):
        raise ValueError("header values")
    header = EnvelopeHeader(
        version=version,
        referral_id=uuid.UUID(fields["referral_id"]),
        recipient=fields["recipient"],
        filed_at=datetime.strptime(fields["filed_at"], _TIME_FORMAT).replace(tzinfo=UTC),
        key_ids=tuple(key_ids),
        signer_key_id=fields["signer"],
        reference=fields.get("reference"),
        channel=fields.get("channel"),
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
    if header.version == 2 and not (
        isinstance(header.reference, str)
        and REFERENCE_RE.match(header.reference)
        and isinstance(header.channel, str)
        and CHANNEL_RE.match(header.channel)
    ):
        raise ValueError("reference and channel must be short ASCII names")


# -- framing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    header: EnvelopeHeader
    aad: bytes  # magic, header length and header: what the body AEAD authenticates
    wrapped: Mapping[str, bytes]
    ciphertext: bytes
    signed: bytes  # what the signature covers, label excluded
    signature: bytes

    @property
    def labels(self) -> tuple[bytes, bytes]:
        """(key-wrap label, signature label) of this envelope's version."""
        if self.header.version == 1:
            return WRAP_LABEL_V1, SIGNATURE_LABEL_V1
        return WRAP_LABEL, SIGNATURE_LABEL


def _parse(blob: bytes) -> _Parsed:
    if blob.startswith(MAGIC):
        return _parse_v2(blob)
    if blob.startswith(MAGIC_V1):
        return _parse_v1(blob)
    raise ValueError("unknown format or version")


def _split_header(blob: bytes, magic: bytes) -> tuple[bytes, int]:
    (header_len,) = _LEN.unpack_from(blob, len(magic))
    if header_len > _MAX_HEADER_BYTES:
        raise ValueError("header too long")
    header_end = len(magic) + _LEN.size + header_len
    if len(blob) < header_end:
        raise ValueError("truncated")
    return blob[len(magic) + _LEN.size : header_end], header_end


def _parse_v1(blob: bytes) -> _Parsed:
    raw_header, header_end = _split_header(blob, MAGIC_V1)
    header = _decode_header(raw_header, 1)
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


def _parse_v2(blob: bytes) -> _Parsed:
    raw_header, header_end = _split_header(blob, MAGIC)
    if len(blob) < header_end + 1:
        raise ValueError("truncated")
    count = blob[header_end]
    stanzas_start = header_end + 1
    body_start = stanzas_start + count * (_KEY_ID_BYTES + _WRAPPED_BYTES)
    body_end = len(blob) - _SIGNATURE_BYTES
    if body_end - body_start < PAD_FLOOR + _TAG_BYTES:
        raise ValueError("truncated")
    wrapped: dict[str, bytes] = {}
    for i in range(count):
        at = stanzas_start + i * (_KEY_ID_BYTES + _WRAPPED_BYTES)
        kid = blob[at : at + _KEY_ID_BYTES].decode("ascii")
        if kid in wrapped:
            raise ValueError("duplicate recipient")
        wrapped[kid] = blob[at + _KEY_ID_BYTES : at + _KEY_ID_BYTES + _WRAPPED_BYTES]
    header = _decode_header(raw_header, 2, tuple(wrapped))
    aad = blob[:header_end]
    ciphertext = blob[body_start:body_end]
    return _Parsed(
        header=header,
        aad=aad,
        wrapped=wrapped,
        ciphertext=ciphertext,
        signed=aad + ciphertext,
        signature=blob[body_end:],
    )


def _wrap_info(parsed_or_aad: _Parsed | bytes) -> bytes:
    if isinstance(parsed_or_aad, _Parsed):
        return parsed_or_aad.labels[0] + hashlib.sha256(parsed_or_aad.aad).digest()
    return WRAP_LABEL + hashlib.sha256(parsed_or_aad).digest()


def _stanzas(data_key: bytes, recipients: Sequence[RecipientKey], info: bytes) -> bytes:
    if not 1 <= len(recipients) <= MAX_RECIPIENTS:
        raise ValueError("between 1 and 32 distinct recipient keys are needed")
    if len({r.key_id for r in recipients}) != len(recipients):
        raise ValueError("between 1 and 32 distinct recipient keys are needed")
    if any(r.key_id != key_id(r.public_key) for r in recipients):
        raise ValueError("a recipient key id does not match its public key")
    return bytes([len(recipients)]) + b"".join(
        r.key_id.encode("ascii") + _SUITE.encrypt(data_key, r.public_key, info=info)
        for r in recipients
    )


def _verified(blob: bytes, verify_keys: Mapping[str, Ed25519PublicKey]) -> _Parsed:
    parsed = _parse(blob)
    signer = verify_keys[parsed.header.signer_key_id]
    signer.verify(parsed.signature, parsed.labels[1] + parsed.signed)
    return parsed


def _data_key(parsed: _Parsed, private_key: X25519PrivateKey) -> tuple[bytes, bytes]:
    """(data key, padded plaintext): the body is decrypted too, so a data key is only ever
    returned together with proof that it opens this envelope's body."""
    wrapped = parsed.wrapped[key_id(private_key.public_key())]
    data_key = _SUITE.decrypt(wrapped, private_key, info=_wrap_info(parsed))
    padded = ChaCha20Poly1305(data_key).decrypt(_BODY_NONCE, parsed.ciphertext, parsed.aad)
    return data_key, padded


# -- public operations -----------------------------------------------------------------------


def seal(
    body: bytes,
    *,
    referral_id: uuid.UUID,
    reference: str,
    recipient: str,
    channel: str,
    filed_at: datetime,
    recipients: Sequence[RecipientKey],
    signing_key: Ed25519PrivateKey,
) -> bytes:
    """Encrypt `body` to every key in `recipients` and sign it for the filing service: the
    signature covers the header (referral id, reference, recipient, channel, reception time,
    signer) and the body ciphertext.

    Raises ValueError for a programming error (no recipients, naive time, malformed names).
    """
    header = EnvelopeHeader(
        version=FORMAT_VERSION,
        referral_id=referral_id,
        recipient=recipient,
        filed_at=filed_at,
        key_ids=tuple(r.key_id for r in recipients),
        signer_key_id=key_id(signing_key.public_key()),
        reference=reference,
        channel=channel,
    )
    _check_header(header)
    header_bytes = _encode_header(header)
    aad = MAGIC + _LEN.pack(len(header_bytes)) + header_bytes

    data_key = os.urandom(_DATA_KEY_BYTES)
    stanzas = _stanzas(data_key, recipients, _wrap_info(aad))
    ciphertext = ChaCha20Poly1305(data_key).encrypt(_BODY_NONCE, _pad(body), aad)
    signature = signing_key.sign(SIGNATURE_LABEL + aad + ciphertext)
    return aad + stanzas + ciphertext + signature


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
        _, padded = _data_key(parsed, private_key)
        return parsed.header, _unpad(padded)
    except _FAILURES:
        raise SealedEnvelopeError from None


def rewrap(
    blob: bytes,
    *,
    private_key: X25519PrivateKey,
    verify_keys: Mapping[str, Ed25519PublicKey],
    recipients: Sequence[RecipientKey],
    signing_key: Ed25519PrivateKey | None = None,
    reference: str | None = None,
    channel: str | None = None,
) -> bytes:
    """Re-wrap an envelope to `recipients` (key rotation, removing a staff member's key).

    Version 2: the data key is unwrapped with `private_key` (and shown to open the body), then
    wrapped anew to each of `recipients`; header, body and signature stay as they are, so no
    signing key is needed and a KE can do it on its own side. A key left out of `recipients`
    finds no stanza in the new envelope.

    Version 1 is upgraded to version 2: opened, then sealed again under a fresh data key and
    signed with `signing_key`, naming `reference` and `channel` (which version 1 did not bind;
    the caller takes them from the signed body, not from a database column).
    """
    if not isinstance(private_key, X25519PrivateKey):
        raise TypeError("private_key must be an X25519PrivateKey")
    try:
        parsed = _verified(blob, verify_keys)
        if parsed.header.version == 1:
            _, padded = _data_key(parsed, private_key)
            body = _unpad(padded)
        else:
            data_key, _ = _data_key(parsed, private_key)
    except _FAILURES:
        raise SealedEnvelopeError from None
    header = parsed.header
    if header.version == 1:
        if signing_key is None or reference is None or channel is None:
            raise ValueError(
                "upgrading a version 1 envelope needs the signing key, reference and channel"
            )
        return seal(
            body,
            referral_id=header.referral_id,
            reference=reference,
            recipient=header.recipient,
            channel=channel,
            filed_at=header.filed_at,
            recipients=recipients,
            signing_key=signing_key,
        )
    return (
        parsed.aad
        + _stanzas(data_key, recipients, _wrap_info(parsed))
        + parsed.ciphertext
        + parsed.signature
    )
