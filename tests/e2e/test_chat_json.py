"""`ke-intake chat --json --demo` as a process, driven by a script that knows only field ids.

Each person files into the demo inbox of a temporary KE_DATA_DIR; the test then finds the
sealed referral there by its reference.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialogues.words import is_decline
from tests.conversations import PDF_BYTES, PEOPLE, UPLOAD, answer_for, dig, expects_retry, load
from tests.fixtures.referrals import string_values
from tests.serving import JsonChat, ke_env

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo installation for all five people: its keys are made once."""
    return tmp_path_factory.mktemp("ke-data")


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


def _converse(name: str, data_dir: Path, document: Path) -> tuple[list[dict[str, Any]], int]:
    """One scripted person through one `ke-intake chat --json --demo` process."""
    script = load(name, _today())
    chat = JsonChat(ke_env(data_dir), ROOT, "--demo", "--lang", script.language)
    lines = [chat.read()]
    if script.preset:
        lines.append(chat.send({"command": "start", "arg": script.preset}))
    for _ in range(150):
        line = lines[-1]
        if line["step"] == "done":
            break
        if line["error"] is not None and not expects_retry(script, line["step"]):
            break
        answer = answer_for(script, line["step"], line["optional"])
        if answer is None:
            break
        lines.append(chat.send({"file": str(document)} if answer == UPLOAD else {"text": answer}))
    return lines, chat.close()


@pytest.fixture(scope="module")
def conversations(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[list[dict[str, Any]], int]]:
    """The five people at once, each in its own process (they share one demo inbox)."""
    document = tmp_path_factory.mktemp("upload") / "fullmakt.pdf"
    document.write_bytes(PDF_BYTES)
    # The first filing creates the demo keys; let one person do that before the others start.
    first, *rest = PEOPLE
    done = {first: _converse(first, data_dir, document)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_converse, name, data_dir, document) for name in rest}
        done |= {name: future.result(timeout=120) for name, future in futures.items()}
    return done


@pytest.mark.parametrize("name", PEOPLE)
def test_each_person_files_through_the_json_protocol(
    name: str, conversations: dict[str, tuple[list[dict[str, Any]], int]], data_dir: Path
) -> None:
    lines, code = conversations[name]
    keys = {"step", "text", "choices", "multi", "optional", "progress", "error", "reference"}
    for line in lines:
        assert set(line) == keys
    # Only a typo the person then confirms ("Mente du Bergen?") is refused on the way.
    refused = [line["step"] for line in lines if line["error"] is not None]
    assert set(refused) <= {"kommune"}, refused
    assert lines[-1]["step"] == "done"
    reference = lines[-1]["reference"]
    assert reference and reference.startswith("KE-")
    assert code == 0
    assert any(line["step"] == "summary" for line in lines)

    from bot.bootstrap import App
    from bot.settings import Settings
    from storage.crypto.body import unpack_body
    from storage.crypto.envelope import open_envelope
    from storage.crypto.keys import load_private_key

    app = App.from_settings(Settings(data_dir=data_dir), demo=True)
    try:
        record = app.inbox.get(reference)
        assert record is not None
        assert record.channel == "terminal"
        key = load_private_key(app.demo_private_key_file(), b"demo")
        _, body = open_envelope(
            app.inbox.envelope(reference), private_key=key, verify_keys=app.verify_keys
        )
        referral = json.loads(unpack_body(body)[0])
    finally:
        app.close()
    # Answered in their own words: no "nei", "ingen" or "n/a" is stored anywhere.
    declined = [v for v in string_values(referral) if is_decline(v)]
    assert declined == [], declined
    script = load(name, _today())
    for path, expected in script.expect.items():
        assert dig(referral, path) == expected, path


def test_end_of_input_before_sending_files_nothing(tmp_path: Path) -> None:
    chat = JsonChat(ke_env(tmp_path / "data"), ROOT, "--demo")
    assert chat.read()["step"] == "submitter.role"
    assert chat.send({"choice": "self"})["step"] == "kommune"
    assert chat.send("Bergen")["step"] == "person.given_name"
    assert chat.send({"command": "back"})["step"] == "kommune"
    assert chat.proc.stdin is not None
    chat.proc.stdin.close()
    last = chat.read()
    assert last["step"] == "done" and last["reference"] is None
    assert "Ingenting er sendt" in last["text"]
    assert chat.proc.wait(timeout=30) == 0
    assert not (tmp_path / "data" / "inbox.sqlite3").exists()


def test_plain_text_chat_over_a_pipe(tmp_path: Path) -> None:
    """The interactive face with piped input: numbered choices, then an early end."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--lang", "en", "--demo"],
        input="1\nHerøy\n2\n",
        capture_output=True,
        text=True,
        env=ke_env(tmp_path / "data"),
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0
    out = result.stdout
    assert "1. Myself – it is about me" in out
    assert "1. Herøy (Møre og Romsdal)" in out
    assert "Question 3 of about" in out
    assert "Nothing was sent" in out


def test_the_screen_shows_only_the_conversation(tmp_path: Path) -> None:
    """Logs go to a file, not between the questions; the intro promises only what the terminal
    does (it keeps nothing unfinished)."""
    script = load("english_dnumber", _today())
    lines = ["1"]
    for step in ("kommune", "person.given_name", "person.national_id"):
        lines.append(str(script.answers[step]))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--lang", "en", "--demo"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=ke_env(tmp_path / "data"),
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert "demo mode" not in result.stdout and "INFO" not in result.stdout
    assert "72 hours" not in result.stdout
    from dialogues.flow import text

    assert text("en", "intro.not_kept") in result.stdout


def test_a_kommune_without_a_ke_key_is_said_at_once(tmp_path: Path) -> None:
    """Outside demo mode only a kommune with a registered KE key can receive: the others are
    told so right after the kommune, before anything else is asked."""
    chat = JsonChat(ke_env(tmp_path / "data"), ROOT, "--lang", "nb")
    assert chat.read()["step"] == "submitter.role"
    assert chat.send({"choice": "self"})["step"] == "kommune"
    line = chat.send("Bergen")
    assert line["step"] == "kommune"
    from dialogues.flow import text

    assert line["error"] == text("nb", "kommune.not_ready", name="Bergen")
    assert "prøv igjen" not in line["text"]
    assert chat.close() == 0
