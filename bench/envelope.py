"""Opening one sealed envelope (signature check, key unwrap, body decryption): median time."""

from __future__ import annotations

import datetime as dt
import time
import uuid

from bench.crypto_setup import KOMMUNE, Keys, example_referral
from bench.harness import Figure, median
from intake.model import Referral
from storage.crypto.body import pack_body
from storage.crypto.envelope import open_envelope, seal

TARGET_MS = 2.0


def sealed_example(keys: Keys) -> bytes:
    body = pack_body(Referral.model_validate(example_referral()).canonical_json(), [])
    return seal(
        body,
        referral_id=uuid.uuid4(),
        reference="KE-BNCH-0001",
        recipient=KOMMUNE,
        channel="file",
        filed_at=dt.datetime.now(dt.UTC),
        recipients=[keys.recipient],
        signing_key=keys.signing,
    )


def run(*, opens: int = 2000) -> list[Figure]:
    keys = Keys.fresh()
    blob = sealed_example(keys)
    verify = keys.verify_keys
    for _ in range(50):  # warm caches and lazy imports before timing
        open_envelope(blob, private_key=keys.ke_private, verify_keys=verify)
    times = []
    for _ in range(opens):
        start = time.perf_counter_ns()
        header, body = open_envelope(blob, private_key=keys.ke_private, verify_keys=verify)
        times.append((time.perf_counter_ns() - start) / 1e6)
    assert header.recipient == KOMMUNE and body
    ms = median(times)
    return [
        Figure(
            name="envelope open (with signature check)",
            unit="ms",
            ours=ms,
            target=f"< {TARGET_MS:g} ms",
            met=ms < TARGET_MS,
            note=f"median of {opens} opens of a {len(blob)}-byte envelope; "
            f"p99 {sorted(times)[int(opens * 0.99) - 1]:.3f} ms",
            samples={"ours": []},
        )
    ]
