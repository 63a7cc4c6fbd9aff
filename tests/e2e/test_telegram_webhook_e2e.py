"""End to end, webhook mode: `ke-intake telegram --webhook URL --listen HOST:PORT` started as a
user would, with the secret token set. The test plays Telegram: it checks the bot registered its
webhook with the secret, posts real update JSON with and without the secret header, and sees the
answers arrive at the Bot API server it runs on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from storage.drafts import generate_key
from tests.botapi.fake import FakeTelegram
from tests.botapi.person import identify
from tests.botapi.server import BotAPIServer, free_port
from tests.serving import KE_INTAKE

pytestmark = pytest.mark.slow
SECRET = "e2e-webhook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def wait_for(condition: Any, what: str, seconds: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def asked(fake: FakeTelegram) -> list[str | None]:
    return [identify(m.text or "") for m in fake.bot_messages()]


async def test_webhook_mode_answers_only_updates_with_the_secret(tmp_path: Path) -> None:
    fake = FakeTelegram()
    server = BotAPIServer(fake)
    await server.start()
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg"
    env = {key: value for key, value in os.environ.items() if not key.startswith("KE_")} | {
        "KE_TELEGRAM_TOKEN": fake.token,
        "KE_TELEGRAM_API_BASE": server.base_url,
        "KE_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "KE_DATA_DIR": str(tmp_path / "data"),
        "KE_DRAFT_KEYS": generate_key(),
        "KE_ID_HASH_SECRET": "e2e-secret-e2e-secret-e2e-secret",
    }
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            str(KE_INTAKE),
            "telegram",
            "--demo",
            "--webhook",
            hook,
            "--listen",
            f"127.0.0.1:{port}",
            cwd=tmp_path,
            env=env,
            stdout=log_file,
            stderr=log_file,
        )
        try:
            await wait_for(
                lambda: fake.calls_of("setWebhook") or process.returncode is not None,
                "setWebhook",
                30.0,
            )
            assert process.returncode is None, log_path.read_text()
            registered = fake.calls_of("setWebhook")[-1].params
            assert registered["url"] == hook
            assert registered["secret_token"] == SECRET
            assert not fake.calls_of("deleteWebhook")  # no polling in webhook mode

            async with aiohttp.ClientSession() as http:
                start = fake.text_update("/start")
                for headers in ({}, {HEADER: "not-the-secret"}):
                    async with http.post(hook, json=start, headers=headers) as refused:
                        assert refused.status in (401, 403)
                await asyncio.sleep(0.3)
                assert not fake.calls_of("sendMessage")

                async with http.post(hook, json=start, headers={HEADER: SECRET}) as accepted:
                    assert accepted.status == 200
                await wait_for(lambda: "submitter.role" in asked(fake), "the first question")

                answer = fake.text_update("meg selv")
                async with http.post(hook, json=answer, headers={HEADER: SECRET}) as accepted:
                    assert accepted.status == 200
                await wait_for(lambda: "kommune" in asked(fake), "the next question")
                # Telegram redelivers an update it thinks was lost: it is handled once
                sent = len(fake.calls_of("sendMessage"))
                async with http.post(hook, json=answer, headers={HEADER: SECRET}) as again:
                    assert again.status == 200
                await asyncio.sleep(0.5)
                assert len(fake.calls_of("sendMessage")) == sent
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 15)
            await server.stop()
    logs = log_path.read_text()
    assert code == 0, logs
    assert "webhook listening" in logs
    for secret in (SECRET, fake.token, "meg selv"):
        assert secret not in logs
