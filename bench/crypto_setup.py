"""Keys and a realistic referral for the filing and envelope benchmarks (fresh keys per run)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from intake.rules import Policy
from storage.crypto.envelope import RecipientKey, key_id

# The repository's example referral (a synthetic national id), read as data: bench/ does not
# depend on the test package.
_EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "referral_valid.json"
KOMMUNE = "0301"


@dataclass(frozen=True)
class Keys:
    ke_private: X25519PrivateKey
    signing: Ed25519PrivateKey

    @classmethod
    def fresh(cls) -> Keys:
        return cls(X25519PrivateKey.generate(), Ed25519PrivateKey.generate())

    @property
    def recipient(self) -> RecipientKey:
        return RecipientKey.of(self.ke_private.public_key())

    @property
    def verify_keys(self) -> dict[str, Ed25519PublicKey]:
        public = self.signing.public_key()
        return {key_id(public): public}

    def ke_public_raw(self) -> bytes:
        return self.ke_private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )


def example_referral() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_EXAMPLE.read_text("utf-8"))
    return data


def policy() -> Policy:
    return Policy(today=dt.date.today(), allow_synthetic=True, consent_age=16)
