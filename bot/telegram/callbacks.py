"""Callback data for inline buttons: short, and tied to the keyboard it was shown on.

Format `k|<nonce>|<op>|<arg>`. The nonce changes with every keyboard the conversation shows, so a
button on an older message (or from a conversation that has since ended) is recognised as stale
and answered kindly instead of acting. Choices travel as an index into the stored keyboard, which
keeps the data far below Telegram's 64-byte limit whatever the choice ids are.
"""

from __future__ import annotations

import re
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
# What each op's argument may be. Anything else (another alphabet's digits, which `str.isdigit`
# accepts and `int` may refuse, a 5,000-digit index, stray characters) is not data we made.
# A choice index has at most 3 ASCII digits: no keyboard has a thousand buttons.
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,8}\Z", re.ASCII)
_ARGS: dict[str, re.Pattern[str]] = {
    "c": re.compile(r"(?:0|[1-9][0-9]{0,2})\Z", re.ASCII),
    "m": re.compile(r"[a-z_]{1,16}\Z", re.ASCII),
    "l": re.compile(r"(?:nb|nn|en)\Z", re.ASCII),
    "r": re.compile(r"\Z"),
    "n": re.compile(r"\Z"),
    "k": re.compile(r"\Z"),
}


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

    @property
    def index(self) -> int | None:
        """The choice index of a "c" button (unpack guarantees 1 to 3 ASCII digits)."""
        return int(self.arg) if self.op == "c" else None

    @classmethod
    def unpack(cls, data: object) -> Callback | None:
        """None for anything that is not ours (or malformed): treated as a stale button.
        Never raises, whatever a forged client sends."""
        if not isinstance(data, str) or not data or len(data) >= MAX_BYTES:
            return None
        parts = data.split("|")
        if len(parts) != 4 or parts[0] != PREFIX or parts[2] not in OPS:
            return None
        nonce, op, arg = parts[1], parts[2], parts[3]
        if not _NONCE.match(nonce) or not _ARGS[op].match(arg):
            return None
        return cls(nonce, op, arg)  # type: ignore[arg-type]
