"""Regenerate the sealed-envelope and key-file test vectors.

    .venv/bin/python tests/vectors/generate.py

Keys come from fixed seeds so the vectors name stable key ids; the envelopes themselves differ
on every run (HPKE uses a fresh ephemeral key), which is why they are generated once and committed.
This writes version 2 vectors (`envelope-open.json`, `envelope-seal.json`); `envelope-v1-open.json`
holds the version 1 vectors as they were generated before version 2, kept so readers keep opening
old envelopes (nothing writes version 1 any more).
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
STANZA = 16 + WRAPPED
SIG = 64
REFERENCE = "KE-7K4M-Q9XA"


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
        reference=REFERENCE,
        recipient=recipient,
        channel="telegram",
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


def body_start(blob: bytes) -> int:
    end = header_end(blob)
    return end + 1 + blob[end] * STANZA


def resign(blob: bytes, key: Ed25519PrivateKey = SIGNER) -> bytes:
    """Sign again what version 2 signs: the header and the body ciphertext."""
    signed = blob[: header_end(blob)] + blob[body_start(blob) : -SIG]
    return blob[:-SIG] + key.sign(envelope.SIGNATURE_LABEL + signed)


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
            "reference": header.reference,
            "channel": header.channel,
        },
    )


def open_vectors() -> list[dict[str, Any]]:
    good = sealed()
    other = sealed(referral_id=OTHER_ID)
    end = header_end(good)
    start = body_start(good)
    swapped = good[:start] + other[start:-SIG] + good[-SIG:]
    vectors = [
        success(f"opens with {n}", good, k)
        for n, k in (("staff key A", STAFF_A), ("staff key B", STAFF_B), ("backup key", BACKUP))
    ]
    regions = {
        "magic": 3,
        "header length": len(envelope.MAGIC) + 2,
        "header": len(envelope.MAGIC) + 4 + 20,
        "stanza count": end,
        "own key id": end + 1 + 3,
        "own wrapped key": end + 1 + 16 + 40,
        "body ciphertext": start + 100,
        "body tag": len(good) - SIG - 1,
        "signature": len(good) - 10,
    }
    vectors += [
        open_case(f"flipped bit in {region}", flip(good, i)) for region, i in regions.items()
    ]
    edits = {
        "changed kommune in header": {"recipient": "4601"},
        "changed reference in header": {"reference": "KE-AAAA-BBBB"},
        "changed channel in header": {"channel": "web"},
        "changed filing time in header": {"filed_at": "2026-03-02T09:15:31.250000Z"},
        "changed referral id in header": {"referral_id": str(OTHER_ID)},
    }
    for name, change in edits.items():
        vectors.append(open_case(name, edit_header(good, lambda h, c=change: h.update(c))))
        vectors.append(
            open_case(
                f"{name}, re-signed", resign(edit_header(good, lambda h, c=change: h.update(c)))
            )
        )
    vectors += [
        open_case("flipped bit in body ciphertext, re-signed", resign(flip(good, start + 100))),
        open_case("body swapped from another envelope", swapped),
        open_case("body swapped from another envelope, re-signed", resign(swapped)),
        open_case(
            "stanzas swapped from another envelope",
            good[:end] + other[end:start] + good[start:],
        ),
        open_case("own stanza removed", _remove_stanza(good, index=0)),
        open_case("non-canonical header spacing, re-signed", resign(_spaced_header(good))),
        open_case(
            "unknown version, re-signed",
            resign(b"ke-intake/sealed/v3\n" + good[len(envelope.MAGIC) :]),
        ),
        open_case("version 2 relabelled as version 1", b"ke-intake/sealed/v1\n" + good[20:]),
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
    # Stanzas sit outside the signature: another recipient's stanza removed leaves this one
    # opening the true body (the removed recipient is locked out, see the case above).
    vectors.append(
        {
            **success(
                "opens after another recipient's stanza was removed",
                _remove_stanza(good, 1),
                STAFF_A,
            ),
        }
    )
    cuts = {
        "magic": 5,
        "header": end - 10,
        "stanzas": end + 30,
        "body": start + 50,
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
    end = header_end(blob)
    start = end + 1 + STANZA * index
    return blob[:end] + bytes([blob[end] - 1]) + blob[end + 1 : start] + blob[start + STANZA :]


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
            "reference": REFERENCE,
            "recipient": recipient,
            "channel": "file",
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
            reference=REFERENCE,
            recipient=recipient,
            channel="file",
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
