"""Regenerate the sealed-envelope and key-file test vectors.

    .venv/bin/python tests/vectors/generate.py

Keys come from fixed seeds so the vectors name stable key ids; the envelopes themselves differ
on every run (HPKE uses a fresh ephemeral key), which is why they are generated once and committed.
Negative cases are made by editing a good envelope; "re-signed" cases are then signed again with
the real filing key, so they show that the AEAD and key-wrap bindings hold even against someone
holding the signing key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto import envelope
from storage.crypto.body import pack_body
from storage.crypto.envelope import RecipientKey, key_id, seal
from storage.crypto.keys import (
    Argon2Params,
    save_private_key,
    save_public_key,
    save_signing_key,
)

HERE = Path(__file__).parent
WRAPPED = 80
SIG = 64


def seed(label: str) -> bytes:
    return hashlib.sha256(b"ke-intake test vector " + label.encode()).digest()


STAFF_A = X25519PrivateKey.from_private_bytes(seed("staff-a"))
STAFF_B = X25519PrivateKey.from_private_bytes(seed("staff-b"))
BACKUP = X25519PrivateKey.from_private_bytes(seed("backup"))
OUTSIDER = X25519PrivateKey.from_private_bytes(seed("outsider"))
SIGNER = Ed25519PrivateKey.from_private_bytes(seed("signer"))
ROGUE_SIGNER = Ed25519PrivateKey.from_private_bytes(seed("rogue-signer"))
RECIPIENTS = [RecipientKey.of(k.public_key()) for k in (STAFF_A, STAFF_B, BACKUP)]

REFERRAL_ID = uuid.UUID("0b7e2c1a-5d43-4f0e-9a6b-3c2d1e0f9a8b")
OTHER_ID = uuid.UUID("6f1d2e3c-4b5a-4978-8c6d-5e4f3a2b1c0d")
FILED_AT = datetime(2026, 3, 2, 9, 15, 30, 250000, tzinfo=UTC)
REFERRAL_JSON = b'{"kommune":"0301","note":"test vector, no personal data"}'
ATTACHMENT = b"%PDF-1.4 test attachment\n"
BODY = pack_body(REFERRAL_JSON, [(hashlib.sha256(ATTACHMENT).hexdigest(), ATTACHMENT)])


def raw(key: X25519PrivateKey | Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    ).hex()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def verify_keys(*keys: Ed25519PrivateKey) -> dict[str, str]:
    return {
        key_id(k.public_key()): k.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
        for k in keys
    }


def sealed(
    body: bytes = BODY, *, referral_id: uuid.UUID = REFERRAL_ID, recipient: str = "0301"
) -> bytes:
    return seal(
        body,
        referral_id=referral_id,
        recipient=recipient,
        filed_at=FILED_AT,
        recipients=RECIPIENTS,
        signing_key=SIGNER,
    )


def header_end(blob: bytes) -> int:
    return (
        len(envelope.MAGIC)
        + 4
        + int.from_bytes(blob[len(envelope.MAGIC) : len(envelope.MAGIC) + 4])
    )


def resign(blob: bytes, key: Ed25519PrivateKey = SIGNER) -> bytes:
    signed = blob[:-SIG]
    return signed + key.sign(envelope.SIGNATURE_LABEL + signed)


def flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


def edit_header(blob: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    end = header_end(blob)
    fields = json.loads(blob[len(envelope.MAGIC) + 4 : end])
    edit(fields)
    new = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return envelope.MAGIC + len(new).to_bytes(4) + new + blob[end:]


def open_case(
    name: str, blob: bytes, *, key: X25519PrivateKey = STAFF_A, **extra: Any
) -> dict[str, Any]:
    case: dict[str, Any] = {
        "name": name,
        "operation": "open",
        "private_key": raw(key),
        "verify_keys": verify_keys(SIGNER),
        "envelope": b64(blob),
        "expect": "error",
    }
    case.update(extra)
    return case


def success(name: str, blob: bytes, key: X25519PrivateKey) -> dict[str, Any]:
    header = envelope.read_header(blob)
    return open_case(
        name,
        blob,
        key=key,
        expect="success",
        body=b64(BODY),
        header={
            "version": header.version,
            "referral_id": str(header.referral_id),
            "recipient": header.recipient,
            "filed_at": header.filed_at.isoformat(),
            "key_ids": list(header.key_ids),
            "signer_key_id": header.signer_key_id,
        },
    )


def open_vectors() -> list[dict[str, Any]]:
    good = sealed()
    other = sealed(referral_id=OTHER_ID)
    end = header_end(good)
    body_start = end + WRAPPED * len(RECIPIENTS)
    swapped = good[:body_start] + other[body_start:-SIG] + good[-SIG:]
    vectors = [
        success(f"opens with {n}", good, k)
        for n, k in (("staff key A", STAFF_A), ("staff key B", STAFF_B), ("backup key", BACKUP))
    ]
    regions = {
        "magic": 3,
        "header length": len(envelope.MAGIC) + 2,
        "header": len(envelope.MAGIC) + 4 + 20,
        "own wrapped key": end + 40,
        "another recipient's wrapped key": end + WRAPPED + 40,
        "body ciphertext": body_start + 100,
        "body tag": len(good) - SIG - 1,
        "signature": len(good) - 10,
    }
    vectors += [
        open_case(f"flipped bit in {region}", flip(good, i)) for region, i in regions.items()
    ]
    vectors += [
        open_case(
            "flipped bit in body ciphertext, re-signed", resign(flip(good, body_start + 100))
        ),
        open_case("flipped bit in own wrapped key, re-signed", resign(flip(good, end + 40))),
        open_case("body swapped from another envelope", swapped),
        open_case("body swapped from another envelope, re-signed", resign(swapped)),
        open_case(
            "changed kommune in header",
            edit_header(good, lambda h: h.update(recipient="4601")),
        ),
        open_case(
            "changed kommune in header, re-signed",
            resign(edit_header(good, lambda h: h.update(recipient="4601"))),
        ),
        open_case(
            "changed referral id in header, re-signed",
            resign(edit_header(good, lambda h: h.update(referral_id=str(OTHER_ID)))),
        ),
        open_case(
            "changed filing time in header, re-signed",
            resign(edit_header(good, lambda h: h.update(filed_at="2026-03-02T09:15:31.250000Z"))),
        ),
        open_case(
            "removed recipient (header and stanza), re-signed",
            resign(_remove_recipient(good, index=1)),
        ),
        open_case("removed recipient stanza only", _remove_stanza(good, index=1)),
        open_case("non-canonical header spacing, re-signed", resign(_spaced_header(good))),
        open_case(
            "unknown version, re-signed",
            resign(b"ke-intake/sealed/v2\n" + good[len(envelope.MAGIC) :]),
        ),
        open_case("trailing byte", good + b"\x00"),
        open_case("wrong private key (not a recipient)", good, key=OUTSIDER),
        open_case(
            "signed by an unknown signer",
            resign(
                edit_header(good, lambda h: h.update(signer=key_id(ROGUE_SIGNER.public_key()))),
                ROGUE_SIGNER,
            ),
        ),
        open_case("signature by another key under the real signer id", resign(good, ROGUE_SIGNER)),
        open_case("signature of zeros", good[:-SIG] + bytes(SIG)),
        open_case("empty input", b""),
    ]
    cuts = {
        "magic": 5,
        "header": end - 10,
        "wrapped keys": end + 30,
        "body": body_start + 50,
        "signature": len(good) - 1,
    }
    vectors += [open_case(f"truncated in {part}", good[:n]) for part, n in cuts.items()]
    for case in vectors:
        # Re-signed cases pass the signature check: the AEAD and key-wrap bindings must catch them.
        case["signature_valid"] = _signature_valid(base64.b64decode(case["envelope"]))
    return vectors


def _signature_valid(blob: bytes) -> bool:
    try:
        envelope.verify_signature(blob, {key_id(SIGNER.public_key()): SIGNER.public_key()})
    except envelope.SealedEnvelopeError:
        return False
    return True


def _remove_stanza(blob: bytes, index: int) -> bytes:
    start = header_end(blob) + WRAPPED * index
    return blob[:start] + blob[start + WRAPPED :]


def _remove_recipient(blob: bytes, index: int) -> bytes:
    removed = RECIPIENTS[index].key_id
    edited = edit_header(
        blob, lambda h: h.update(key_ids=[k for k in h["key_ids"] if k != removed])
    )
    return _remove_stanza(edited, index)


def _spaced_header(blob: bytes) -> bytes:
    end = header_end(blob)
    spaced = json.dumps(json.loads(blob[len(envelope.MAGIC) + 4 : end]), sort_keys=True).encode()
    return envelope.MAGIC + len(spaced).to_bytes(4) + spaced + blob[end:]


def seal_vectors() -> list[dict[str, Any]]:
    def case(
        name: str, body: bytes, size: int, recipient: str = "0301", n: int = 3
    ) -> dict[str, Any]:
        return {
            "name": name,
            "operation": "seal",
            "expect": "success",
            "body": b64(body),
            "referral_id": str(REFERRAL_ID),
            "recipient": recipient,
            "filed_at": FILED_AT.isoformat(),
            "recipient_private_keys": [raw(k) for k in (STAFF_A, STAFF_B, BACKUP)[:n]],
            "signing_key": raw(SIGNER),
            "envelope_size": size,
        }

    cases = [
        ("empty body, three recipients", b"", "0301", 3),
        ("referral with attachment, three recipients", BODY, "0301", 3),
        ("one recipient, KE id as recipient", BODY, "ke-vestfold.1", 1),
        ("body just above the padding floor", bytes(5000), "0301", 3),
        ("large body", bytes(range(256)) * 100, "5001", 2),
    ]
    out = []
    for name, body, recipient, n in cases:
        blob = seal(
            body,
            referral_id=REFERRAL_ID,
            recipient=recipient,
            filed_at=FILED_AT,
            recipients=RECIPIENTS[:n],
            signing_key=SIGNER,
        )
        out.append(case(name, body, len(blob), recipient, n))
    out.append({**case("no recipients", b"", 0, "0301", 0), "expect": "error"})
    out[-1].pop("envelope_size")
    return out


def keyfile_vectors(tmp: Path) -> list[dict[str, Any]]:
    cheap = Argon2Params.cheap_for_tests()
    save_private_key(tmp / "a.key", STAFF_A, b"correct horse", "0301", argon2=cheap, overwrite=True)
    save_public_key(tmp / "a.pub", STAFF_A.public_key(), "0301", overwrite=True)
    save_signing_key(tmp / "s.key", SIGNER, None, overwrite=True)
    private = (tmp / "a.key").read_text()
    public = (tmp / "a.pub").read_text()
    signing = (tmp / "s.key").read_text()
    a_id = key_id(STAFF_A.public_key())

    def case(name: str, kind: str, text: str, expect: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "kind": kind, "file": text, "expect": expect, **extra}

    return [
        case(
            "private key, right passphrase",
            "recipient-private",
            private,
            "success",
            passphrase="correct horse",
            private_key=raw(STAFF_A),
            key_id=a_id,
        ),
        case(
            "private key, wrong passphrase",
            "recipient-private",
            private,
            "error",
            passphrase="wrong horse",
            error="wrong passphrase",
        ),
        case(
            "private key, kommune edited",
            "recipient-private",
            private.replace("kommune: 0301", "kommune: 4601"),
            "error",
            passphrase="correct horse",
            error="wrong passphrase",
        ),
        case(
            "private key, truncated",
            "recipient-private",
            private[: len(private) // 2],
            "error",
            passphrase="correct horse",
            error="corrupt",
        ),
        case(
            "public key file given as private key",
            "recipient-private",
            public,
            "error",
            passphrase="correct horse",
            error="public key",
        ),
        case("public key", "recipient-public", public, "success", kommune="0301", key_id=a_id),
        case(
            "public key, key id edited",
            "recipient-public",
            public.replace(a_id, "0" * 16),
            "error",
            error="key id does not match",
        ),
        case(
            "unknown version",
            "recipient-public",
            public.replace(" v1\n", " v9\n", 1),
            "error",
            error="unsupported key file version",
        ),
        case(
            "unencrypted signing key",
            "signing",
            signing,
            "success",
            passphrase=None,
            key_id=key_id(SIGNER.public_key()),
        ),
    ]


def main() -> None:
    import tempfile

    (HERE / "envelope-open.json").write_text(json.dumps(open_vectors(), indent=1) + "\n")
    (HERE / "envelope-seal.json").write_text(json.dumps(seal_vectors(), indent=1) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        (HERE / "keyfiles.json").write_text(json.dumps(keyfile_vectors(Path(tmp)), indent=1) + "\n")


if __name__ == "__main__":
    main()
