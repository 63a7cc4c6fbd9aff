"""Hostile input through the terminal channel (`ke-intake chat --json`, a real process) and the
per-field rules every channel shares (intake/text.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake.errors import FieldError
from intake.text import neutralise_formula, validate_name, validate_short_text
from tests.hostile.catalogue import (
    BAD_JSON_LINES,
    EMPTY_AFTER_CLEANING,
    FORMULAS,
    HOSTILE_ANSWERS,
    PERSONAL_PROBE,
)
from tests.hostile.checks import assert_safe, problems


@pytest.mark.parametrize("raw", EMPTY_AFTER_CLEANING)
def test_a_field_left_empty_by_cleaning_is_refused(raw: str) -> None:
    for validator in (validate_name, validate_short_text):
        with pytest.raises(FieldError):
            validator(raw)
        with pytest.raises(FieldError):
            validator(f" {raw} ")


def test_cleaning_keeps_the_letters_around_hostile_characters() -> None:
    assert validate_name("Kari\u3164 \x1b[31mNordmann\x1b[0m") == "Kari Nordmann"
    assert validate_name("A\u0301se") == "\u00c1se"  # NFC


@pytest.mark.parametrize("formula", FORMULAS)
def test_formulas_are_defused_for_export(formula: str) -> None:
    assert neutralise_formula(formula).startswith("'")
    assert neutralise_formula("+4791234567") == "+4791234567"


@pytest.mark.slow
def test_the_json_chat_refuses_every_bad_line_and_keeps_the_question(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env["KE_DATA_DIR"] = str(tmp_path)
    lines = [*BAD_JSON_LINES, *EMPTY_AFTER_CLEANING]
    script = "\n".join(line.replace("\n", " ") for line in lines) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--demo"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    first, *answers, end = out
    assert end["step"] == "done"  # end of input: nothing sent
    asked = first["step"]
    assert asked and first["error"] is None
    refused, cleaned = answers[: len(BAD_JSON_LINES)], answers[len(BAD_JSON_LINES) :]
    for line, reply in zip(BAD_JSON_LINES, refused, strict=True):
        assert reply["error"] and "--json" in reply["error"], line[:60]
        assert reply["step"] == asked, line[:60]
    # Invisible or escape-only answers: an error from the field's rule (or, at a choice, "not a
    # choice"), never an answer taken.
    for raw, reply in zip(EMPTY_AFTER_CLEANING, cleaned, strict=True):
        assert reply["error"], repr(raw)
        assert reply["step"] == asked, repr(raw)


@pytest.mark.slow
@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,
        "null",
        '["Kari"]',
        '{"kommune": {"a": ' * 5000 + "1" + "}" * 5000,
    ],
    ids=["deep array", "null", "list", "deep object"],
)
def test_the_file_channel_refuses_hostile_json_without_a_traceback(
    content: str, tmp_path: Path
) -> None:
    path = tmp_path / "referral.json"
    path.write_text(content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env["KE_DATA_DIR"] = str(tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "file", str(path), "--demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Error" not in result.stderr.split(":")[0]
    assert not (tmp_path / "data" / "inbox.sqlite3").exists() or "KE-" not in result.stdout


def _chat(tmp_path: Path, *args: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env["KE_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args, "--demo"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.slow
def test_every_hostile_answer_through_the_json_chat(tmp_path: Path) -> None:
    result = _chat(tmp_path, "--json", lines=[json.dumps({"text": raw}) for raw in HOSTILE_ANSWERS])
    assert not problems(result.stderr), result.stderr[-2000:]
    first, *replies, end = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == len(HOSTILE_ANSWERS) and end["step"] == "done"
    for raw, reply in zip(HOSTILE_ANSWERS, replies, strict=True):
        assert reply["error"] and reply["step"] == first["step"], repr(raw[:40])
        assert_safe(raw, reply)
    assert not (tmp_path / "inbox.sqlite3").exists()  # nothing filed


@pytest.mark.slow
def test_every_hostile_answer_through_the_terminal(tmp_path: Path) -> None:
    """The plain terminal: what it prints back is what a terminal would interpret."""
    result = _chat(tmp_path, lines=list(HOSTILE_ANSWERS))
    assert result.returncode == 0 and not problems(result.stderr), result.stderr[-2000:]
    assert not problems(result.stdout), problems(result.stdout)
    assert PERSONAL_PROBE not in result.stdout
