"""Free-text cleaning: control characters, bidi tricks, whitespace and length limits."""

from __future__ import annotations

import sys

import pytest

from intake.errors import FieldError
from intake.text import (
    _INVISIBLE,
    _filtered,
    clean_text,
    validate_filename,
    validate_long_text,
    validate_name,
    validate_need_description,
    validate_short_text,
)


def key_of(call: object) -> tuple[str, dict[str, object]]:
    assert callable(call)
    with pytest.raises(FieldError) as info:
        call()
    return info.value.key, info.value.params


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("  Kari  Nordmann ", "Kari Nordmann"),
        ("Kari\x00Nordmann", "KariNordmann"),  # NUL dropped
        ("Kari\x1b[31mNordmann", "KariNordmann"),  # the whole terminal escape goes
        ("Kari\u202eNordmann", "KariNordmann"),  # right-to-left override
        ("Kari\u2066Nordmann\u2069", "KariNordmann"),  # bidi isolates
        ("Kari\u200bNordmann", "KariNordmann"),  # zero-width space
        ("\ufeffKari", "Kari"),  # byte-order mark
        ("Kari\ue000", "Kari"),  # private use
        ("Kari\tNordmann", "Kari Nordmann"),
        ("Kari\nNordmann", "Kari Nordmann"),  # one line where one line is asked
        ("Kari\u00a0Nordmann", "Kari Nordmann"),
        ("Kari\u3000Nordmann", "Kari Nordmann"),  # ideographic space
        ("Kari\u2028Nordmann", "Kari Nordmann"),  # line separator
        ("Kari\x0bNordmann", "Kari Nordmann"),  # vertical tab separates, not joins
        ("Bjo\u0308rn", "Björn"),  # NFC: the decomposed ö is composed
        ("Gáivuotna", "Gáivuotna"),
        ("Ŋ ŧ đ č š ž á", "Ŋ ŧ đ č š ž á"),  # Sami letters are letters
    ],
)
def test_short_text_cleaning(typed: str, clean: str) -> None:
    assert validate_short_text(typed) == clean


def test_long_text_keeps_paragraphs_but_not_runs_of_blank_lines() -> None:
    typed = "  Første linje. \r\nAndre\u2028linje.\n\n\n\n\nNytt avsnitt\x07.  "
    assert validate_long_text(typed) == "Første linje.\nAndre\nlinje.\n\nNytt avsnitt."


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: validate_short_text(""), ("text_empty", {})),
        (lambda: validate_short_text(" \t\n "), ("text_empty", {})),
        (lambda: validate_short_text("\u202e\u200b\x00"), ("text_empty", {})),
        (lambda: validate_short_text("x" * 201), ("text_too_long", {"max": 200})),
        (lambda: validate_name("x" * 101), ("text_too_long", {"max": 100})),
        (lambda: validate_long_text("x" * 4001), ("text_too_long", {"max": 4000})),
        (lambda: validate_name("12345"), ("name_letters", {})),
        (lambda: validate_name("--- ..."), ("name_letters", {})),
        (lambda: clean_text("abc", min_length=5), ("text_too_short", {"min": 5})),
        (lambda: validate_need_description("Trenger hjelp."), ("text_too_short", {"min": 20})),
        (
            lambda: validate_need_description("Hjelpmedbehovogtjenester!!"),
            ("text_too_short", {"min": 20}),
        ),
    ],
)
def test_rejections(call: object, expected: tuple[str, dict[str, object]]) -> None:
    assert key_of(call) == expected


def test_a_huge_answer_is_refused_before_it_is_cleaned() -> None:
    assert key_of(lambda: validate_long_text("x" * 10_000_000)) == ("text_too_long", {"max": 4000})


def test_limits_count_characters_after_cleaning() -> None:
    assert validate_short_text("x" * 200 + "\u200b" * 50) == "x" * 200
    assert validate_name("Ærlig Østby Åsen") == "Ærlig Østby Åsen"


def test_need_description_accepts_a_sentence() -> None:
    text = "Trenger hjelp fra hjemmetjenesten og NAV samtidig."
    assert validate_need_description(text) == text


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("fullmakt.pdf", "fullmakt.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\kari\\vergevedtak.PDF", "vergevedtak.PDF"),
        ("skann\u202efdp.exe", "skannfdp.exe"),
    ],
)
def test_filenames_keep_only_the_last_part(typed: str, name: str) -> None:
    assert validate_filename(typed) == name


@pytest.mark.parametrize("typed", ["..", "dir/", "/", "a/.."])
def test_filenames_that_are_only_a_path_are_rejected(typed: str) -> None:
    assert key_of(lambda: validate_filename(typed))[0] == "filename_invalid"


def test_what_clean_text_passes_without_filtering_is_what_filtering_keeps() -> None:
    # clean_text skips the per-character filter for printable text without invisible
    # characters: each such character must come out of the filter as it went in.
    chars = (chr(code) for code in range(sys.maxunicode + 1))
    passed = "".join(ch for ch in chars if ch.isprintable() and ch not in _INVISIBLE)
    assert _filtered(passed, multiline=False) == passed
    assert _filtered(passed, multiline=True) == passed
