"""What every channel's hostile-input test checks, written once."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tests.hostile.catalogue import PERSONAL_PROBE

# Control (but newline and tab), bidi, zero-width and invisible "letters": never echoed, never
# stored.
DANGEROUS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\u3164\u2800\ufe00-\ufe0f]"
)
TRACE = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+|\bat 0x[0-9a-f]+')


def strings(value: Any) -> Iterable[str]:
    """Every string inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def problems(text: str) -> list[str]:
    """What is wrong with a reply, or with a stored value, as short words (empty: nothing)."""
    found = []
    if TRACE.search(text):
        found.append("traceback")
    if DANGEROUS.search(text):
        found.append(f"dangerous character {DANGEROUS.search(text).group(0)!r}")  # type: ignore[union-attr]
    if PERSONAL_PROBE in text:
        found.append("national id repeated")
    return found


def assert_safe(raw: str, *replies: Any) -> None:
    """Each reply (text or decoded JSON) is free of traces, dangerous characters and the
    probe's national id; `raw` names the input in the failure."""
    bad = [p for reply in replies for s in strings(reply) for p in problems(s)]
    assert not bad, (repr(raw[:60]), bad)
