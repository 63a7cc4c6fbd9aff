"""`ke-intake telegram` refuses clearly, before touching anything, when it cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_missing_token_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("KE_TELEGRAM_TOKEN", raising=False)
    monkeypatch.setenv("KE_DATA_DIR", str(tmp_path / "data"))
    assert main(["telegram"]) == 2
    assert "KE_TELEGRAM_TOKEN is not set" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_bad_listen_address_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KE_TELEGRAM_TOKEN", "123:ABC")
    assert main(["telegram", "--webhook", "https://example.org", "--listen", "8080"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err
