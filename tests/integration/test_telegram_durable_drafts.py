"""Drafts survive a restart by default: without Redis, a Telegram process keeps them encrypted
in `drafts.sqlite3` in the data directory, with generated keys kept beside it when none are
set; a conversation goes on after the restart, and a filing interrupted by it is swept."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from bot.telegram.sweep import sweep
from tests.botapi.harness import Harness
from tests.unit.test_telegram_recovery import Inbox, _die_while_filing, _receipts


def _settings(folder: Path) -> Settings:
    # no KE_DRAFT_KEYS, no KE_ID_HASH_SECRET, no Redis: the defaults of a fresh installation
    return Settings(_env_file=None, data_dir=folder, allow_synthetic_ids=True)  # type: ignore[call-arg]


async def test_a_conversation_goes_on_after_a_restart(tmp_path: Path) -> None:
    harness = Harness(settings=_settings(tmp_path))
    await harness.send("/start")
    await harness.answer_current()
    await harness.answer_current()
    asked = harness.current_step()
    assert asked is not None
    harness.restart()
    await harness.answer_current()
    assert harness.current_step() not in (None, asked)
    assert (tmp_path / "drafts.sqlite3").exists()
    assert (tmp_path / "drafts.key").stat().st_mode & 0o077 == 0
    raw = (tmp_path / "drafts.sqlite3").read_bytes()
    assert b"Kari" not in raw and b"Nordmann" not in raw and b"Oslo" not in raw
    await harness.close()


async def test_an_interrupted_filing_is_swept_after_a_restart(tmp_path: Path) -> None:
    inbox = Inbox()
    harness = Harness(filer=inbox, settings=_settings(tmp_path))
    await _die_while_filing(harness, inbox, "before")
    harness.restart(inbox)
    assert await sweep(harness.bot, harness.adapter, harness.backend) == 1
    assert len(inbox.filed) == 1 and len(_receipts(harness)) == 1
    await harness.close()
