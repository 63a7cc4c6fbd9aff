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


def test_webhook_without_its_secret_is_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KE_TELEGRAM_TOKEN", "123:ABC")
    monkeypatch.delenv("KE_TELEGRAM_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("KE_DATA_DIR", str(tmp_path / "data"))
    assert main(["telegram", "--webhook", "https://example.org/tg"]) == 2
    assert "KE_TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_webhook_url_path_is_served_and_a_bare_origin_gets_the_default() -> None:
    from bot.telegram.runner import WEBHOOK_PATH, webhook_target

    assert webhook_target("https://example.org/tg") == ("https://example.org/tg", "/tg")
    assert webhook_target("https://example.org/") == (
        "https://example.org" + WEBHOOK_PATH,
        WEBHOOK_PATH,
    )
