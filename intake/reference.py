"""Receipt references like `KE-7K4M-Q9XA`: short, typable, and carrying no personal data.

Crockford base32 (no I, L, O, U) over 40 random bits; the caller supplies the randomness so the
domain stays pure, and retries on the rare collision the inbox reports.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_BYTES = 5
PATTERN = re.compile(r"^KE-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
_DECODE = {**{c: c for c in ALPHABET}, "O": "0", "I": "1", "L": "1"}


def make_reference(random_bytes: bytes) -> str:
    """The reference for the first 5 bytes of `random_bytes` (40 bits, 8 characters)."""
    if len(random_bytes) < RANDOM_BYTES:
        raise ValueError(f"a reference needs {RANDOM_BYTES} random bytes")
    number = int.from_bytes(random_bytes[:RANDOM_BYTES], "big")
    chars = "".join(ALPHABET[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"KE-{chars[:4]}-{chars[4:]}"


def normalise_reference(raw: str) -> str | None:
    """What a person typed ('ke 7k4m q9xa', 'KE-7K4M-Q9XA') as a reference, or None.

    Crockford base32 reads O as 0 and I/L as 1, so a misread receipt still finds the referral.
    """
    text = "".join(c for c in raw.upper() if c.isalnum())
    text = text.removeprefix("KE")
    if len(text) != 8 or any(c not in _DECODE for c in text):
        return None
    chars = "".join(_DECODE[c] for c in text)
    return f"KE-{chars[:4]}-{chars[4:]}"
