"""Run every vector in tests/vectors/ (regenerate them with tests/vectors/generate.py)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto.envelope import (
    RecipientKey,
    SealedEnvelopeError,
    key_id,
    open_envelope,
    read_header,
    seal,
    verify_signature,
)
from storage.crypto.errors import KeyFileError
from storage.crypto.keys import load_private_key, load_public_key, load_signing_key

VECTORS = Path(__file__).parents[1] / "vectors"


def _load(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())
    return cases


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in cases]


OPEN = _load("envelope-open.json")
# Version 1 envelopes, frozen as they were written before version 2: still opened.
OPEN_V1 = _load("envelope-v1-open.json")
SEAL = _load("envelope-seal.json")
KEYFILES = _load("keyfiles.json")


def test_vector_files_cover_the_required_cases() -> None:
    names = " ".join(_ids(OPEN))
    for needed in (
        "flipped bit in header",
        "flipped bit in signature",
        "body swapped",
        "changed kommune",
        "changed referral id",
        "stanza was removed",
        "truncated",
        "wrong private key",
        "unknown version",
        "unknown signer",
    ):
        assert needed in names
    for needed in ("changed reference", "changed channel", "stanzas swapped", "own stanza removed"):
        assert needed in names
    assert sum(c["expect"] == "success" for c in OPEN) == 4
    assert sum(c["expect"] == "success" for c in OPEN_V1) == 3
    # Some negative cases carry a valid filing signature, so they test the AEAD binding.
    assert sum(c["signature_valid"] and c["expect"] == "error" for c in OPEN) >= 5
    assert {c["expect"] for c in OPEN + SEAL + KEYFILES} == {"success", "error"}


def _verify_keys(case: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    keys = {
        k: Ed25519PublicKey.from_public_bytes(bytes.fromhex(v))
        for k, v in case["verify_keys"].items()
    }
    assert all(key_id(v) == k for k, v in keys.items())
    return keys


@pytest.mark.parametrize(
    "case", OPEN + OPEN_V1, ids=_ids(OPEN) + [f"v1: {n}" for n in _ids(OPEN_V1)]
)
def test_open_vector(case: dict[str, Any]) -> None:
    blob = base64.b64decode(case["envelope"])
    private_key = X25519PrivateKey.from_private_bytes(bytes.fromhex(case["private_key"]))
    verify_keys = _verify_keys(case)
    if case["signature_valid"]:
        verify_signature(blob, verify_keys)
    else:
        with pytest.raises(SealedEnvelopeError):
            verify_signature(blob, verify_keys)
    if case["expect"] == "error":
        with pytest.raises(SealedEnvelopeError) as caught:
            open_envelope(blob, private_key=private_key, verify_keys=verify_keys)
        assert str(caught.value) == SealedEnvelopeError.MESSAGE
        return
    header, body = open_envelope(blob, private_key=private_key, verify_keys=verify_keys)
    assert body == base64.b64decode(case["body"])
    expected = case["header"]
    assert header.version == expected["version"]
    assert str(header.referral_id) == expected["referral_id"]
    assert header.recipient == expected["recipient"]
    assert header.filed_at == datetime.fromisoformat(expected["filed_at"])
    assert list(header.key_ids) == expected["key_ids"]
    assert header.signer_key_id == expected["signer_key_id"]
    assert header.reference == expected.get("reference")
    assert header.channel == expected.get("channel")
    assert verify_signature(blob, verify_keys) == header == read_header(blob)


@pytest.mark.parametrize("case", SEAL, ids=_ids(SEAL))
def test_seal_vector(case: dict[str, Any]) -> None:
    privates = [
        X25519PrivateKey.from_private_bytes(bytes.fromhex(h))
        for h in case["recipient_private_keys"]
    ]
    signing_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(case["signing_key"]))
    body = base64.b64decode(case["body"])
    args: dict[str, Any] = {
        "referral_id": uuid.UUID(case["referral_id"]),
        "reference": case["reference"],
        "recipient": case["recipient"],
        "channel": case["channel"],
        "filed_at": datetime.fromisoformat(case["filed_at"]),
        "recipients": [RecipientKey.of(k.public_key()) for k in privates],
        "signing_key": signing_key,
    }
    if case["expect"] == "error":
        with pytest.raises(ValueError):
            seal(body, **args)
        return
    blob = seal(body, **args)
    assert len(blob) == case["envelope_size"]
    verify_keys = {key_id(signing_key.public_key()): signing_key.public_key()}
    for private_key in privates:
        header, opened = open_envelope(blob, private_key=private_key, verify_keys=verify_keys)
        assert opened == body
        assert header.referral_id == args["referral_id"]
        assert header.recipient == args["recipient"]
        assert header.filed_at == args["filed_at"]
        assert (header.reference, header.channel) == (args["reference"], args["channel"])


@pytest.mark.parametrize("case", KEYFILES, ids=_ids(KEYFILES))
def test_keyfile_vector(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text(case["file"])
    path.chmod(0o600)
    passphrase = case.get("passphrase")
    secret = passphrase.encode() if passphrase is not None else None

    def load() -> object:
        if case["kind"] == "recipient-private":
            return load_private_key(path, secret or b"")
        if case["kind"] == "recipient-public":
            return load_public_key(path)
        return load_signing_key(path, secret)

    if case["expect"] == "error":
        with pytest.raises(KeyFileError, match=case["error"]):
            load()
        return
    loaded = load()
    if case["kind"] == "recipient-private":
        assert isinstance(loaded, X25519PrivateKey)
        assert loaded.private_bytes_raw().hex() == case["private_key"]
        assert key_id(loaded.public_key()) == case["key_id"]
    elif case["kind"] == "recipient-public":
        assert isinstance(loaded, tuple)
        kommune, public = loaded
        assert kommune == case["kommune"]
        assert key_id(public) == case["key_id"]
    else:
        assert isinstance(loaded, Ed25519PrivateKey)
        assert key_id(loaded.public_key()) == case["key_id"]
