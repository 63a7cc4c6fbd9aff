"""End to end: `ke-intake telegram` started as a user would, long polling a Bot API server that
this test runs on 127.0.0.1; a scripted person completes a referral over HTTP. The inbox must
hold it sealed and the chat copy must be gone."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
from pathlib import Path

import pytest

from dialogues import flow
from storage.drafts import generate_key
from tests.botapi.fake import FakeTelegram
from tests.botapi.harness import label_for
from tests.botapi.person import PDF, answer_for, identify
from tests.botapi.server import BotAPIServer
from tests.serving import KE_INTAKE
from tests.synthetic import born_years_ago, synthetic_id

pytestmark = pytest.mark.slow


class Person:
    """Acts in the chat, then waits until the bot has answered and gone quiet."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def settle(self, calls_before: int, *, question: bool = True) -> None:
        """Wait for the bot's answer: a new question (or the receipt) when `question`, else any
        call; then until it has been quiet for 100 ms."""
        last_seen = max((m.message_id for m in self.fake.bot_messages()), default=0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20.0

        def answered() -> bool:
            if not question:
                return len(self.fake.calls) > calls_before
            return any(
                m.message_id > last_seen and (identify(m.text or "") or "KE-" in (m.text or ""))
                for m in self.fake.bot_messages()
            )

        while not answered():
            if loop.time() > deadline:
                raise AssertionError("the bot did not answer")
            await asyncio.sleep(0.02)
        seen = -1
        while seen != len(self.fake.calls):
            seen = len(self.fake.calls)
            await asyncio.sleep(0.1)

    async def send(self, text: str) -> None:
        before = len(self.fake.calls)
        self.fake.text_update(text)
        await self.settle(before)

    async def upload(self, name: str, content: bytes) -> None:
        before = len(self.fake.calls)
        self.fake.document_update(name, "application/pdf", content)
        await self.settle(before)

    async def press(self, label: str, *, question: bool = True) -> None:
        message = [m for m in self.fake.bot_messages() if m.reply_markup][-1]
        assert message.reply_markup is not None
        for row in message.reply_markup["inline_keyboard"]:
            for button in row:
                if button["text"] == label or button["text"].endswith(f" {label}"):
                    before = len(self.fake.calls)
                    self.fake.callback_update(message.message_id, button["callback_data"])
                    await self.settle(before, question=question)
                    return
        raise AssertionError(f"no button {label!r}")

    def current_step(self) -> str | None:
        for message in reversed(self.fake.bot_messages()):
            if (step := identify(message.text or "")) is not None:
                return step
        return None

    def receipt(self) -> str | None:
        for message in self.fake.bot_messages():
            if "KE-" in (message.text or ""):
                return message.text
        return None

    async def complete_referral(self, today: dt.date) -> str:
        await self.send("/start")
        for _ in range(80):
            if (receipt := self.receipt()) is not None:
                return receipt
            step = self.current_step()
            assert step is not None, "no question in the chat"
            answer = answer_for(step, today)
            if answer.kind == "text":
                await self.send(answer.value[0])
            elif answer.kind == "skip":
                await self.send("/skip")
            elif answer.kind == "file":
                await self.upload(answer.value[0], PDF)
            else:
                multi = step in ("requests", "need.life_areas")
                for choice in answer.value:
                    await self.press(label_for(step, choice), question=not multi)
                if multi:
                    await self.press(flow.text("nb", "btn.done"))
        raise AssertionError("the referral was not completed")


async def test_ke_intake_telegram_files_a_referral_and_cleans_the_chat(tmp_path: Path) -> None:
    fake = FakeTelegram()
    server = BotAPIServer(fake)
    await server.start()
    env = {key: value for key, value in os.environ.items() if not key.startswith("KE_")} | {
        "KE_TELEGRAM_TOKEN": fake.token,
        "KE_TELEGRAM_API_BASE": server.base_url,
        "KE_DATA_DIR": str(tmp_path / "data"),
        "KE_DRAFT_KEYS": generate_key(),
        "KE_ID_HASH_SECRET": "e2e-secret-e2e-secret-e2e-secret",
        "KE_TELEGRAM_FLOOD_LIMIT": "1000",  # the scripted person types faster than anyone
    }
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            str(KE_INTAKE),
            "telegram",
            "--demo",
            cwd=tmp_path,
            env=env,
            stdout=log_file,
            stderr=log_file,
        )
        try:
            for _ in range(900):  # the bot is up once it has set its menus and started polling
                if fake.calls_of("deleteWebhook") or process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
            assert process.returncode is None, log_path.read_text()
            today = dt.datetime.now(dt.UTC).date()
            receipt = await Person(fake).complete_referral(today)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 15)
            await server.stop()
    logs = log_path.read_text()
    assert code == 0, logs

    # the command menu in each language
    assert {"nb", "nn", "en"} <= set(fake.commands)
    assert fake.commands["nn"][0]["description"] == flow.text("nn", "cmd.start")

    # the document was fetched from Telegram (getFile + download) and sealed, never echoed
    assert fake.calls_of("getFile")
    assert not any("PDF-1.4" in str(c.params) for c in fake.calls_of("sendMessage"))

    # questions said where the person was; the summary offered to keep the chat (off: delete)
    sent = [c.params for c in fake.calls_of("sendMessage")]
    progress = re.escape(flow.text("nb", "progress", i=998, n=999))
    progress = progress.replace("998", r"\d+").replace("999", r"\d+") + "\n"
    assert sum(bool(re.match(progress, str(p["text"]))) for p in sent) > 20
    toggles = [
        b["text"]
        for p in sent
        for row in (p.get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row
        if b["text"].endswith(flow.text("nb", "tg.keep_chat"))
    ]
    assert toggles and not toggles[-1].startswith("\u2705")
    assert flow.text("nb", "filed.chat_deleted") in receipt

    # the chat: only the receipt and the notice of what was removed are left
    left = [m.text or "" for m in fake.chat.values()]
    assert len(left) == 2, left
    assert left[0] == receipt
    assert str(len(fake.deleted)) in left[1]
    assert len(fake.deleted) > 60

    # the inbox: listed without any key, sealed, reference as in the receipt
    from bot.bootstrap import App
    from bot.settings import Settings

    app = App.from_settings(
        Settings(_env_file=None, data_dir=tmp_path / "data"),  # type: ignore[call-arg]
        intake_side=False,
    )
    try:
        records = app.inbox.list()
        assert len(records) == 1
        record = records[0]
        assert record.reference in receipt
        assert record.channel == "telegram"
        assert record.recipient == "0301"
        blob = app.inbox.envelope(record.reference)
        national_id = synthetic_id(born_years_ago(today, 40))
        for secret in (b"Kari", b"Nordmann", national_id.encode(), b"41234567", b"PDF-1.4"):
            assert secret not in blob
        # only the KE's private key opens it: the referral and the uploaded document are inside
        from storage.crypto.body import unpack_body
        from storage.crypto.envelope import open_envelope
        from storage.crypto.keys import load_private_key

        private_key = load_private_key(app.demo_private_key_file(), b"demo")
        _, body = open_envelope(blob, private_key=private_key, verify_keys=app.verify_keys)
        referral_json, files = unpack_body(body)
        assert national_id.encode() in referral_json and b"Kari" in referral_json
        assert list(files.values()) == [PDF]
    finally:
        app.close()

    # the logs name no one
    for secret in ("Kari", "Nordmann", national_id, "41234567", "Storgata", fake.token):
        assert secret not in logs
