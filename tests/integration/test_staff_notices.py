"""Content-free notices over SMTP, received by a local aiosmtpd server the test starts: one
when referrals arrive, one when a referral has waited too long, none when nothing is new; never
a name, a reference or anything else of a case; the audit head in every notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bot.staff.notices import notify_once
from tests.fixtures.referrals import personal_strings, valid_referral
from tests.serving import free_port
from tests.staffweb.harness import KE, T0, installation


class Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Collect, int]]:
    handler = Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def ke(tmp_path: Path, smtp: tuple[Collect, int]) -> Iterator[KE]:
    with installation(tmp_path) as ke:
        ke.app.settings = ke.app.settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp[1],
                "notice_to": "ke@oslo.kommune.example",
                "notice_from": "innboks@oslo.kommune.example",
            }
        )
        ke.add("kari", "Kari Saksbehandler")
        yield ke


def test_notices_count_and_say_nothing_of_the_cases(ke: KE, smtp: tuple[Collect, int]) -> None:
    collected, _ = smtp
    first = ke.file(T0)
    notify_once(ke.app, ["0301"], T0 + dt.timedelta(minutes=5))
    assert len(collected.messages) == 1
    mail = collected.messages[0]
    assert mail["Subject"] == "1 ny(e) melding(er) i innboksen"
    assert mail["To"] == "ke@oslo.kommune.example"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    before = ke.app.inbox.audit_entries()[-2]  # the head as it was when the notice went out
    assert (
        f"{before.seq} oppføringer, kontrollsum {before.hash}" in body
        and "Det har kommet 1 ny(e) melding(er)" in body
    )
    for secret in [first, *personal_strings(valid_referral())]:
        assert secret not in body and secret not in str(mail["Subject"])

    notify_once(ke.app, ["0301"], T0 + dt.timedelta(minutes=10))
    assert len(collected.messages) == 1  # nothing new, nothing sent

    second = ke.file(T0 + dt.timedelta(days=1))
    notify_once(ke.app, ["0301"], T0 + dt.timedelta(days=23, hours=1))
    mail = collected.messages[-1]
    assert "1 ny(e) melding(er)" in mail["Subject"]
    assert "1 melding(er) har ventet lenge" in mail["Subject"]  # the first, 23 days old
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert first not in body and second not in body
    sent = [e for e in ke.app.inbox.audit_entries() if e.action == "notice_sent"]
    assert [dict(e.details) for e in sent] == [{"new": 1, "waited": 0}, {"new": 1, "waited": 1}]


def test_another_kes_referrals_are_not_announced(ke: KE, smtp: tuple[Collect, int]) -> None:
    ke.file(T0)
    notify_once(ke.app, ["4601"], T0)
    assert smtp[0].messages == []
