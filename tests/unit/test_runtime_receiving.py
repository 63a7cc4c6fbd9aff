"""Which kommuner can receive: the registered KE keys, said to the engine through the context."""

from __future__ import annotations

import datetime as dt

import pytest

import bot.bootstrap as bootstrap
from bot.bootstrap import App
from bot.runtime.context import Runtime
from bot.settings import Settings
from storage.crypto.envelope import RecipientKey
from storage.crypto.keys import generate_recipient_key
from storage.inbox.memory import MemoryInbox

AT = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)
KEY = RecipientKey.of(generate_recipient_key().public_key())


def _app(*, demo: bool = False) -> App:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return App(settings=settings, inbox=MemoryInbox(), signing_key=None, demo=demo)


def test_only_a_kommune_with_an_active_key_can_receive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap, "RECEIVING_SECONDS", 0.0)
    app = _app()
    assert app.receiving() == frozenset()
    app.inbox.add_recipient_key("4601", KEY.key_id, KEY.public_key.public_bytes_raw(), AT)
    assert app.receiving() == frozenset({"4601"})
    app.inbox.retire_recipient_key("4601", KEY.key_id, actor="test", at=AT)
    assert app.receiving() == frozenset()


def test_demo_mode_takes_every_kommune() -> None:
    assert _app(demo=True).receiving() is None


def test_the_context_carries_it_and_the_terminal_promises_no_draft() -> None:
    app = _app()
    app.inbox.add_recipient_key("0301", KEY.key_id, KEY.public_key.public_bytes_raw(), AT)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    ctx = Runtime(settings, "terminal", keeps_drafts=False, receiving=app.receiving).context()
    assert ctx.receiving == frozenset({"0301"}) and ctx.draft_ttl_hours == 0
    assert Runtime(settings, "telegram").context().receiving is None
