"""A complete referral in Chromium, with JavaScript on and off, in nb, nn and en, by keyboard;
the referral arrives sealed in the KE inbox and opens with the KE's key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conversations import load
from tests.webchat.person import Person
from tests.webchat.server import WebServer

pytestmark = pytest.mark.slow


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


def open_referral(
    server: WebServer, reference: str, channel: str = "web"
) -> tuple[Any, dict[str, bytes]]:
    import json

    from bot.bootstrap import App
    from bot.settings import Settings
    from storage.crypto.body import unpack_body
    from storage.crypto.envelope import open_envelope
    from storage.crypto.keys import load_private_key

    app = App.from_settings(
        Settings(_env_file=None, data_dir=server.data_dir),  # type: ignore[call-arg]
        intake_side=False,
    )
    try:
        record = next(r for r in app.inbox.list() if r.reference == reference)
        assert record.channel == channel
        blob = app.inbox.envelope(reference)
        key = load_private_key(app.demo_private_key_file(), b"demo")
        _, body = open_envelope(blob, private_key=key, verify_keys=app.verify_keys)
        referral_json, files = unpack_body(body)
        return json.loads(referral_json), files
    finally:
        app.close()


# localStorage, sessionStorage and the cookies script can read
STORED = "() => [localStorage.length, sessionStorage.length, document.cookie]"
# answers that are words of the dialogue, not a person's data
BENIGN = {"meg selv", "myself", "koordinator", "personen", "pårørende", "no preference"}


@pytest.mark.parametrize(
    ("name", "js"),
    [
        ("mother_child", True),
        ("mother_child", False),
        ("nn_adult_self", True),
        ("nn_adult_self", False),
        ("english_dnumber", True),
        ("english_dnumber", False),
        ("provider_elderly", False),
    ],
)
def test_a_whole_referral_by_keyboard(
    contexts: Any, server: WebServer, tmp: Path, name: str, js: bool
) -> None:
    script = load(name, today())
    page = contexts.page(js=js)
    role = "&role=provider" if script.preset == "provider" else ""
    page.goto(f"{server.url}/?lang={script.language}{role}")
    assert page.get_attribute("html", "lang") == script.language
    # nothing is stored in the browser before the person answers, and script never stores
    assert page.context.cookies() == []
    assert page.evaluate(STORED) == [0, 0, ""]
    person = Person(page, js=js, tmp=tmp)
    reference = person.complete(script)
    assert page.get_attribute("html", "lang") == script.language
    referral, _ = open_referral(server, reference)
    assert referral["meta"]["channel"] == "web"
    assert referral["meta"]["language"] == script.language
    for path, expected in script.expect.items():
        from tests.conversations import dig

        assert dig(referral, path) == expected, path
    # the receipt is all that is left of the conversation in the page, also after a reload
    page.reload()
    left = person.transcript()
    assert reference in left
    assert str(script.answers["person.given_name"]) not in left
    # nothing the person typed reaches the server's log: names, ids, phones, addresses
    logs = server.logs()
    typed = [v for v in script.answers.values() for v in ([v] if isinstance(v, str) else v)]
    for secret in typed:
        for part in (p.strip() for p in secret.split(",")):
            if len(part) >= 6 and part.lower() not in BENIGN:
                assert part not in logs, part
    assert page.evaluate(STORED) == [0, 0, ""]
