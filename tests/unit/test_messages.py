"""The message catalogues: every key the code uses exists in nb, nn and en, with the same
placeholders, and `message()` fills them in."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from intake.messages import LANGUAGES, catalogue, message
from intake.rules import _PYDANTIC_KEYS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path for room in ("intake", "dialogues", "bot") for path in (ROOT / room).rglob("*.py")
)

# Which positional argument is the message key, by the called name.
# `__init__` counts only in intake/errors.py, where FieldError subclasses name their key.
KEY_ARG = {"FieldError": 0, "Violation": 1, "message": 0}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):  # FieldError("a" if ... else "b")
        return _strings(node.body) + _strings(node.orelse)
    return []


def keys_used_in_code() -> set[str]:
    keys: set[str] = set(_PYDANTIC_KEYS.values())
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            index = 0 if name == "__init__" and path.name == "errors.py" else KEY_ARG.get(name)
            if index is not None and len(node.args) > index:
                keys.update(_strings(node.args[index]))
    return keys


def test_the_scan_finds_keys() -> None:
    used = keys_used_in_code()
    # A sample from each kind of call, so a broken scan cannot pass vacuously.
    assert {
        "national_id_checksum",
        "guardians_required",
        "validate_ok",
        "kommune_ambiguous",
    } <= used
    assert {"national_id_help_number", "national_id_synthetic", "attachment_type"} <= used
    assert len(used) > 40


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_used_in_code_is_in_every_catalogue(language: str) -> None:
    missing = keys_used_in_code() - set(catalogue(language))  # type: ignore[arg-type]
    assert not missing


def test_catalogues_have_the_same_keys() -> None:
    nb, nn, en = (set(catalogue(lang)) for lang in LANGUAGES)
    assert nb == nn == en


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_placeholders_agree_across_languages() -> None:
    for key, nb_text in catalogue("nb").items():
        expected = _placeholders(nb_text)
        for language in ("nn", "en"):
            assert _placeholders(catalogue(language)[key]) == expected, (key, language)


def test_no_message_is_empty_or_left_untranslated() -> None:
    nb, nn, en = (catalogue(lang) for lang in LANGUAGES)
    for key, text in nb.items():
        assert text.strip() and nn[key].strip() and en[key].strip()
        assert en[key] != text, key  # English differs from bokmål for every message


def test_bokmal_does_not_use_nynorsk_forms() -> None:
    nynorsk_words = {"ikkje", "berre", "fyllast", "eit", "kva", "kven", "meldinga", "høgst"}
    for key, text in catalogue("nb").items():
        words = set(text.lower().replace(".", " ").replace(",", " ").split())
        assert not words & nynorsk_words, key


def test_message_fills_placeholders_in_each_language() -> None:
    assert message("text_too_long", "nb", max=200) == "Svaret er for langt (høyst 200 tegn)."
    assert "200" in message("text_too_long", "nn", max=200)
    assert message("text_too_long", "en", max=200).startswith("The answer is too long")


def test_message_defaults_to_bokmal_and_survives_bad_input(missing_texts: list[str]) -> None:
    assert message("required") == "Dette feltet må fylles ut."
    assert message("text_too_long", "nb") == catalogue("nb")["text_too_long"]  # no params
    assert message("text_too_long", "nb", maks=3) == catalogue("nb")["text_too_long"]
    assert missing_texts == ["text text_too_long in intake/messages (nb) lacks a parameter"]
