"""`ke-intake file` as a script would run it: a real process, a temporary KE_DATA_DIR."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.referrals import VALID_REFERRAL, personal_strings, valid_referral

pytestmark = pytest.mark.slow
REFERENCE = re.compile(r"^KE-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def ke_intake(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env["KE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir.parent,  # no stray .env file
        timeout=60,
    )


def stored(data_dir: Path, table: str = "referrals") -> int:
    with sqlite3.connect(data_dir / "inbox.sqlite3") as conn:
        count: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    return count


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_demo_filing_prints_the_reference_and_a_retry_prints_it_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = ke_intake(data_dir, "file", VALID_REFERRAL, "--demo", "--idempotency-key", "run-1")
    assert first.returncode == 0, first.stderr
    reference = first.stdout.strip()
    assert REFERENCE.match(reference)
    assert "Demomodus" in first.stderr
    again = ke_intake(
        data_dir, "file", VALID_REFERRAL, "--demo", "--idempotency-key", "run-1", "--lang", "en"
    )
    assert (again.returncode, again.stdout.strip()) == (0, reference)
    assert "Already filed" in again.stderr
    assert stored(data_dir) == 1
    assert (data_dir / "demo-keys" / "demo-ke.key").exists()
    output = first.stdout + first.stderr + again.stdout + again.stderr
    assert [s for s in personal_strings(valid_referral()) if s in output] == []


def test_an_invalid_referral_gets_one_line_per_problem_and_stores_nothing(tmp_path: Path) -> None:
    data = valid_referral()
    data["kommune"] = "9999"
    data["person"]["phone"] = "123"
    del data["consent"]["given_by"]
    bad = write(tmp_path / "bad.json", data)
    result = ke_intake(tmp_path / "data", "file", bad, "--demo")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = [ln for ln in result.stderr.splitlines() if re.match(r"^[a-z_.0-9]+: ", ln)]
    assert {ln.split(":")[0] for ln in lines} == {
        "kommune",
        "person.phone",
        "consent.given_by",
    }
    assert "Traceback" not in result.stderr
    assert not any("123" in line for line in lines)  # the bad phone number is not echoed
    assert stored(tmp_path / "data") == 0
    assert stored(tmp_path / "data", "audit_log") == 0


def test_messages_follow_lang_and_synthetic_ids_need_permission(tmp_path: Path) -> None:
    result = ke_intake(tmp_path / "data", "file", VALID_REFERRAL, "--lang", "en")
    assert result.returncode == 1
    national_id = valid_referral()["person"]["national_id"]
    problems = [ln for ln in result.stderr.splitlines() if ln.startswith("person.")]
    assert problems == [
        "person.national_id: This is a test number, not a real national identity number."
    ]
    assert national_id not in result.stderr
    assert stored(tmp_path / "data") == 0


def test_a_kommune_without_a_key_is_exit_3_with_a_clear_message(tmp_path: Path) -> None:
    result = ke_intake(tmp_path / "data", "file", VALID_REFERRAL, "--allow-synthetic")
    assert result.returncode == 3
    assert "Kommune 0301 har ingen registrert nøkkel" in result.stderr
    assert "ke-intake keys add" in result.stderr
    assert stored(tmp_path / "data") == 0


@pytest.mark.parametrize(
    ("content", "lang", "expected"),
    [
        (b"{not json", "nb", "ikke gyldig JSON"),
        (b"[1, 2]", "en", "JSON object"),
        (None, "nn", "kan ikkje lesast"),
    ],
)
def test_unreadable_input_is_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    lang: str,
    expected: str,
) -> None:
    """In-process (the same `main` the script runs): these exit before any storage is touched."""
    from bot.cli import main

    monkeypatch.setenv("KE_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "input.json"
    if content is not None:
        path.write_bytes(content)
    assert main(["file", str(path), "--lang", lang]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_an_attachment_is_filed_with_the_referral(tmp_path: Path) -> None:
    pdf = tmp_path / "fullmakt.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"x" * 300)
    data = valid_referral()
    data["attachments"] = [
        {
            "kind": "other",
            "filename": "fullmakt.pdf",
            "media_type": "application/pdf",
            "size": pdf.stat().st_size,
            "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(),
        }
    ]
    path = write(tmp_path / "with-attachment.json", data)
    without = ke_intake(tmp_path / "data", "file", path, "--demo", "--lang", "en")
    assert without.returncode == 1
    assert "attachments.0: The attachment is missing" in without.stderr
    result = ke_intake(tmp_path / "data", "file", path, "--demo", "--attach", pdf)
    assert result.returncode == 0, result.stderr
    assert stored(tmp_path / "data") == 1


def test_an_unreachable_inbox_is_exit_4_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env.update(
        KE_DATA_DIR=str(tmp_path / "data"),
        KE_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "file", str(VALID_REFERRAL), "--demo", "--lang", "en"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 4
    assert "The inbox cannot be reached now" in result.stderr
    assert "Traceback" not in result.stderr
