"""The composition root's App files into any `Inbox`: here the in-memory twin, with real
sealing, so a channel test or a demo needs no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.bootstrap import App
from bot.settings import Settings
from storage.crypto.envelope import RecipientKey, open_envelope
from storage.crypto.keys import generate_recipient_key, generate_signing_key, verify_keys_for
from storage.inbox import MemoryInbox
from tests.fixtures.referrals import valid_referral


def test_the_app_files_into_the_in_memory_inbox() -> None:
    signing = generate_signing_key()
    inbox = MemoryInbox(verify_keys=verify_keys_for(signing.public_key()))
    ke = generate_recipient_key()
    referral = valid_referral()
    now = dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC)
    inbox.add_recipient_key(
        referral["kommune"],
        RecipientKey.of(ke.public_key()).key_id,
        ke.public_key().public_bytes_raw(),
        now,
    )
    app = App(Settings(_env_file=None, allow_synthetic_ids=True), inbox, signing, clock=lambda: now)  # type: ignore[call-arg]
    first = app.file(referral, channel="web", language="en", idempotency_key="once")
    again = app.file(referral, channel="web", language="en", idempotency_key="once")
    assert again.reference == first.reference and again.duplicate and not first.duplicate
    record = inbox.get(first.reference)
    assert record is not None and record.channel == "web" and record.signature_ok
    header, _ = open_envelope(
        inbox.envelope(first.reference), private_key=ke, verify_keys=app.verify_keys
    )
    assert header.referral_id == record.id
    app.close()  # no database to dispose of


def test_the_kommuner_that_can_receive_are_read_again_after_a_while() -> None:
    from bot import bootstrap

    inbox = MemoryInbox()
    now = dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = App(settings, inbox, generate_signing_key(), clock=lambda: now)
    assert app.receiving() == frozenset()
    public = generate_recipient_key().public_key()
    inbox.add_recipient_key("4601", RecipientKey.of(public).key_id, public.public_bytes_raw(), now)
    assert app.receiving() == frozenset()  # trusted for a while
    assert app._receiving is not None
    app._receiving = (app._receiving[0] - bootstrap.RECEIVING_SECONDS - 1, app._receiving[1])
    assert app.receiving() == frozenset({"4601"})
    demo = App(settings, inbox, generate_signing_key(), demo=True)
    assert demo.receiving() is None  # the demo key is registered for any kommune


def test_a_frozen_inbox_does_not_hold_the_turn_that_reads_the_kommuner() -> None:
    import threading
    import time

    from bot import bootstrap

    inbox = MemoryInbox()
    now = dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = App(settings, inbox, generate_signing_key(), clock=lambda: now)
    assert app.receiving() == frozenset()
    thawed = threading.Event()
    reading = inbox.all_recipient_keys

    def frozen() -> Any:
        thawed.wait(30)
        return reading()

    inbox.all_recipient_keys = frozen  # type: ignore[method-assign]
    public = generate_recipient_key().public_key()
    inbox.add_recipient_key("4601", RecipientKey.of(public).key_id, public.public_bytes_raw(), now)
    assert app._receiving is not None
    app._receiving = (app._receiving[0] - bootstrap.RECEIVING_SECONDS - 1, app._receiving[1])
    started = time.monotonic()
    assert app.receiving() == frozenset()  # the list as it was, after a short wait
    assert app.receiving() == frozenset()  # the same read still under way: no second one
    assert time.monotonic() - started < 2 * bootstrap.RECEIVING_WAIT_SECONDS + 1
    thawed.set()
    deadline = time.monotonic() + 5
    while app.receiving() != frozenset({"4601"}):
        assert time.monotonic() < deadline


def test_a_call_that_outlasted_its_wait_is_not_waited_for_again() -> None:
    """A turn on an event loop (Telegram, the web chat) asks for the kommuner: while a read
    hangs, only the first turn waits for it; later ones go on at once until it has ended, so a
    frozen database does not stop every chat for a second a turn."""
    import threading
    import time

    from bot.bootstrap import Background

    thawed = threading.Event()
    background = Background()

    def frozen() -> str:
        thawed.wait(30)
        return "read"

    with pytest.raises(TimeoutError):
        background.run(frozen, 0.2)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        background.run(frozen, 5.0)
    assert time.monotonic() - started < 1.0
    thawed.set()
    deadline = time.monotonic() + 5
    while True:
        try:
            assert background.run(frozen, 0.5) == "read"
            break
        except TimeoutError:
            assert time.monotonic() < deadline
    thawed.clear()
    started = time.monotonic()
    with pytest.raises(TimeoutError):  # a new call is waited for again (its first wait)
        background.run(frozen, 0.3)
    assert time.monotonic() - started >= 0.25
    thawed.set()
