"""Free-text normalisation shared by every text field."""

from __future__ import annotations

import re
import unicodedata

from intake.errors import FieldError

# Control and format characters (C0/C1, bidi overrides and isolates, zero-width characters,
# private use, lone surrogates) hide text or reorder it on a caseworker's screen. Whitespace of
# any kind becomes a plain space, and line breaks are kept only in long answers.
_DROP = frozenset({"Cc", "Cf", "Co", "Cs"})
_LINE_BREAKS = frozenset({"\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"})
# Characters that show as nothing yet count as letters or marks (Hangul fillers, the braille
# blank, combining grapheme joiner, Khmer and Mongolian invisibles, variation selectors): a
# "name" of only these looks empty on a caseworker's screen.
_INVISIBLE = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)
# Terminal escape sequences (CSI, OSC and two-character ones), and the remnants they leave
# once the ESC is gone ("[2J[31m"): removed whole, not just their control character.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-_]"
    r"|\[\??[0-9]{1,4}(?:;[0-9]{1,4})*[A-HJKSTfhlmnsu]"
)
# What a spreadsheet reads as the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "@", "\t", "\r", "\uff1d", "\uff20")
_SPACES = re.compile(r" +")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(
    raw: str, *, max_length: int = 200, min_length: int = 1, multiline: bool = False
) -> str:
    """Trim, normalise to NFC, drop control characters and enforce length limits."""
    if len(raw) > 4 * max_length + 1000:  # far too long whatever cleaning removes: stop early
        raise FieldError("text_too_long", max=max_length)
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text or "[" in text:  # (every escape or remnant starts with one of them)
        text = _ESCAPES.sub("", text)
    if not (text.isprintable() and _INVISIBLE.isdisjoint(text)):
        # (Printable text has no line break, no whitespace but " " and nothing to drop, so it
        # is what `_filtered` would keep: tests/unit/test_text.py checks every character.)
        text = _filtered(text, multiline=multiline)
    text = "\n".join(_single_spaced(line).strip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip()
    if not text:
        raise FieldError("text_empty")
    if len(text) < min_length:
        raise FieldError("text_too_short", min=min_length)
    if len(text) > max_length:
        raise FieldError("text_too_long", max=max_length)
    return text


def _single_spaced(line: str) -> str:
    return _SPACES.sub(" ", line) if "  " in line else line


def _filtered(text: str, *, multiline: bool) -> str:
    """Line breaks as spaces (kept in long answers), any other whitespace as a space, control,
    format and invisible characters dropped."""
    kept: list[str] = []
    for ch in text:
        if ch in _LINE_BREAKS:
            kept.append("\n" if multiline else " ")
        elif ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in _DROP and ch not in _INVISIBLE:
            kept.append(ch)
    return "".join(kept)


def neutralise_formula(value: str) -> str:
    """Text as an export writes it: a value a spreadsheet would run as a formula ("=HYPERLINK(",
    "@SUM(", "+cmd", "-2+3") gets a leading apostrophe, as OWASP advises; a phone number in
    E.164 ("+4791234567") or a negative number stays as it is."""
    if value.startswith(_FORMULA_START):
        return "'" + value
    if value[:1] in ("+", "-") and not re.fullmatch(r"[+-][0-9 .,]*", value):
        return "'" + value
    return value


def validate_name(raw: str) -> str:
    """A person's or organisation's name: one line, at most 100 characters, some letters."""
    text = clean_text(raw, max_length=100)
    if not any(ch.isalpha() for ch in text):
        raise FieldError("name_letters")
    return text


# Name particles that stay in lower case inside a name ("Anne de Vries", "Carl von Linné").
_PARTICLES = frozenset(
    {"af", "av", "da", "de", "del", "den", "der", "di", "do", "dos", "du", "la", "le", "van", "von"}
)
_NAME_PART = re.compile(r"([\s\-']+)")


def tidy_name(text: str) -> str:
    """A name typed all in lower case, capitalised ("kari nordmann" -> "Kari Nordmann").

    People often type on a phone without capitals; the KE writes letters with the name and
    matches it against the population register, where names are capitalised. A name with
    any capital letter is kept exactly as typed: "McLean", "de Vries" and "DeShawn" are the
    person's own spelling, which no rule may undo. The name is shown in the summary, where
    the person can change it."""
    if any(ch.isupper() for ch in text) or not any(ch.isalpha() for ch in text):
        return text
    out: list[str] = []
    first = True
    for part in _NAME_PART.split(text):
        if not part or _NAME_PART.fullmatch(part):
            out.append(part)
            continue
        keep = not first and part in _PARTICLES
        out.append(part if keep else part[:1].upper() + part[1:])
        first = False
    return "".join(out)


def validate_short_text(raw: str) -> str:
    return clean_text(raw, max_length=200)


def validate_long_text(raw: str) -> str:
    return clean_text(raw, max_length=4000, multiline=True)


def validate_need_description(raw: str) -> str:
    """At least a sentence: the KE must understand the need before it can call anyone."""
    text = clean_text(raw, max_length=4000, min_length=20, multiline=True)
    if len(text.split()) < 4:
        raise FieldError("text_too_short", min=20)
    return text


def validate_filename(raw: str) -> str:
    """An attachment's name as metadata only: the last path part, never a path to write to."""
    text = clean_text(raw, max_length=200)
    base = re.split(r"[/\\]", text)[-1].strip()
    if base in {"", ".", ".."}:
        raise FieldError("filename_invalid")
    return base
