"""Callback data for inline buttons: short, and tied to the keyboard it was shown on.

Format `k|<nonce>|<op>|<arg>`. The nonce changes with every keyboard the conversation shows, so a
button on an older message (or from a conversation that has since ended) is recognised as stale
and answered kindly instead of acting. Choices travel as an index into the stored keyboard, which
keeps the data far below Telegram's 64-byte limit whatever the choice ids are.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

Op = Literal[
    "c",  # choice: arg is the index into the keyboard's choice ids
    "m",  # command: arg is a dialogue command name (done, skip, back, summary, cancel, ...)
    "l",  # language: arg is nb, nn or en
    "r",  # resume the stored conversation
    "n",  # start over
    "k",  # toggle keeping the chat copy after filing (adapter-side, not the dialogue's)
]
OPS: frozenset[str] = frozenset({"c", "m", "l", "r", "n", "k"})
MAX_BYTES = 64
PREFIX = "k"


def new_nonce() -> str:
    return secrets.token_urlsafe(6)[:8]


@dataclass(frozen=True, slots=True)
class Callback:
    nonce: str
    op: Op
    arg: str = ""

    def pack(self) -> str:
        data = f"{PREFIX}|{self.nonce}|{self.op}|{self.arg}"
        if len(data.encode("utf-8")) >= MAX_BYTES:
            raise ValueError("callback data too long")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Callback | None:
        """None for anything that is not ours (or malformed): treated as a stale button."""
        if not data:
            return None
        parts = data.split("|")
        if len(parts) != 4 or parts[0] != PREFIX or parts[2] not in OPS:
            return None
        return cls(parts[1], parts[2], parts[3])  # type: ignore[arg-type]
