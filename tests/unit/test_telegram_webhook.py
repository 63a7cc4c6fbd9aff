"""Webhook mode: the aiohttp application the runner serves accepts updates carrying the secret
token and refuses the rest, and the updates reach the same adapter."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.telegram.runner import WEBHOOK_PATH, webhook_app
from tests.botapi.harness import Harness

SECRET = "webhook-secret-for-tests"


async def test_webhook_accepts_only_the_secret_token() -> None:
    harness = Harness()
    app = webhook_app(harness.bot, harness.dispatcher, SECRET)
    async with TestClient(TestServer(app)) as client:
        update = harness.fake.text_update("/start")
        refused = await client.post(WEBHOOK_PATH, json=update)
        assert refused.status == 401
        wrong = await client.post(
            WEBHOOK_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert wrong.status == 401
        assert not harness.fake.calls_of("sendMessage")
        accepted = await client.post(
            WEBHOOK_PATH, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert accepted.status == 200
        for _ in range(100):  # handled in the background, as Telegram expects a quick 200
            if harness.current_step() == "kommune":
                break
            await asyncio.sleep(0.02)
        assert harness.current_step() == "kommune"
