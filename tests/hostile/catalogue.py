"""The catalogue itself: data only, no test logic."""

from __future__ import annotations

# Forged Telegram callback data for a choice button, given the live keyboard's nonce. Each must
# be answered as a stale button: no exception, no answer recorded, the question still open.
FORGED_CHOICE_INDEXES = (
    "\u00b2",  # superscript two: str.isdigit() is True, int() refuses it
    "\u0663",  # Arabic-Indic three: int() accepts it
    "\uff11",  # fullwidth one
    "1" * 5000,  # far past int()'s 4,300-digit limit, and past Telegram's 64 bytes
    "-1",
    "+1",
    " 1",
    "1 ",
    "01",
    "1e3",
    "0x1",
    "",
)


def forged_callbacks(nonce: str) -> list[str]:
    """Whole callback data strings built on a real nonce, plus shapes that are not ours."""
    data = [f"k|{nonce}|c|{index}" for index in FORGED_CHOICE_INDEXES]
    data += [
        f"k|{nonce}|c|999",  # well-formed, but past the end of the keyboard
        f"k|{nonce}|m|rm -rf",
        f"k|{nonce}|m|" + "x" * 40,
        f"k|{nonce}|l|de",
        f"k|{nonce}|r|1",
        f"k|{nonce}|c|1|extra",
        f"k|{nonce}\u0000|c|1",
        "k|" + "n" * 60 + "|c|1",
        "k||c|1",
        "|||",
        "\u202ek|x|c|1",
        "k|" * 2000,
    ]
    return data
