"""The terminal adapter in-process: input lines, output rendering, filing outcomes.

Only the filing transport is replaced (a function that returns a reference or fails); the
engine, texts and rules are the real ones."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from bot.runtime.context import Runtime
from bot.settings import Settings
from bot.terminal.chat import Refused, TerminalChat, parse_line, render_plain, run
from dialogues.flow import texts
from dialogues.types import UserInput
from intake.filing import InvalidReferral
from intake.rules import Violation
from storage.crypto.errors import NoRecipientKeysError
from tests.conversations import PDF_BYTES, answer_for, load
from tests.conversations.drive import TODAY
from tests.filers import RecordingFiler

NOW = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
SETTINGS = Settings(_env_file=None, allow_synthetic_ids=True)  # type: ignore[call-arg]


def _chat(filer: RecordingFiler | None, language: str = "nb") -> TerminalChat:
    return TerminalChat(
        runtime=Runtime(SETTINGS, "terminal", clock=lambda: NOW),
        language=language,  # type: ignore[arg-type]
        filer=filer,
        json_mode=True,
    )


def _to_summary(chat: TerminalChat, name: str) -> None:
    script = load(name, TODAY)
    turn = chat.turn(UserInput(command="start"))
    for _ in range(150):
        line = turn.as_json()
        if line["step"] == "summary":
            return
        answer = answer_for(script, line["step"], line["optional"])
        assert answer is not None, line["step"]
        turn = chat.turn(UserInput(text=answer))
    raise AssertionError("no summary")


def test_a_failed_filing_keeps_everything_and_can_be_retried() -> None:
    filer = RecordingFiler(fail=OSError("inbox unavailable"))
    chat = _chat(filer)
    _to_summary(chat, "mother_child")
    first = chat.turn(UserInput(text="send")).as_json()
    assert first["step"] == "summary" and first["reference"] is None
    assert texts("nb")["filing.failed"] in first["text"]
    filer.fail = False
    second = chat.turn(UserInput(text="send")).as_json()
    assert second["step"] == "done" and second["reference"] == "KE-TEST-0001"
    keys = [call["key"] for call in filer.calls]
    assert len(keys) == 2 and keys[0] == keys[1]  # a retry is not a second filing
    assert chat.finished and chat.reference == "KE-TEST-0001"


def test_a_refused_filing_asks_the_question_again_with_the_problem() -> None:
    filer = RecordingFiler(fail=InvalidReferral([Violation("need.description", "text_too_short")]))
    chat = _chat(filer, "en")
    _to_summary(chat, "english_dnumber")
    line = chat.turn(UserInput(text="send")).as_json()
    assert line["step"] == "need.description" and line["reference"] is None
    assert texts("en")["check.problem"] in line["text"]
    assert line["error"]
    assert not chat.finished


def test_a_kommune_without_a_key_is_told_it_cannot_be_sent_here() -> None:
    chat = _chat(RecordingFiler(fail=NoRecipientKeysError("4601")), "en")
    _to_summary(chat, "english_dnumber")
    line = chat.turn(UserInput(text="send")).as_json()
    assert line["step"] == "summary"
    assert texts("en")["filing.not_here"] in line["text"]
    assert texts("en")["filing.failed"] not in line["text"]


def test_json_lines_in() -> None:
    assert parse_line('{"choice": "self"}\n', json_mode=True) == UserInput(choice="self")
    assert parse_line('{"choices": ["a", 2]}', json_mode=True) == UserInput(choices=("a", "2"))
    assert parse_line('{"command": "edit", "arg": 3}', json_mode=True) == UserInput(
        command="edit", arg="3"
    )
    # Not a documented shape: refused by the gate, never an answer (tests/hostile has more).
    assert isinstance(parse_line('{"command": "rm -rf"}', json_mode=True), Refused)
    assert isinstance(parse_line("{not json", json_mode=True), Refused)
    assert parse_line("Bergen\r\n", json_mode=False) == UserInput(text="Bergen")


def test_a_local_file_becomes_an_upload_typed_by_its_content(tmp_path: Path) -> None:
    renamed = tmp_path / "fullmakt.png"
    renamed.write_bytes(PDF_BYTES)
    ui = parse_line(json.dumps({"file": str(renamed)}), json_mode=True)
    assert ui.file is not None
    assert ui.file.media_type == "application/pdf" and ui.file.size == len(PDF_BYTES)
    assert parse_line(json.dumps({"file": str(tmp_path / "missing.pdf")}), json_mode=True) == (
        UserInput(text="")
    )


def test_plain_rendering_numbers_choices_but_not_summary_actions() -> None:
    chat = _chat(RecordingFiler())
    chat.json_mode = False
    out = io.StringIO()
    code = run(chat, io.StringIO("meg selv\nHerøy\n"), out)
    text = out.getvalue()
    assert code == 0
    assert "  1. Herøy (Møre og Romsdal)" in text
    assert "[Spørsmål 1 av ca." in text and "[Spørsmål 2 av ca." in text
    assert texts("nb")["eof.nothing_sent"].split(".")[0] in text
    _to_summary(chat, "nn_adult_self")
    summary = render_plain(chat.turn(UserInput(command="summary")).replies, "nb", 80)
    assert "  - Send" in summary and "  1. Send" not in summary
