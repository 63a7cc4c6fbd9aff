"""Webhook mode: the aiohttp application the runner serves accepts updates carrying the secret
token and refuses the rest; the updates reach the same gate and adapter, and are answered 200
once handled (a malformed one too, so Telegram does not send it again forever)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.telegram.runner import WEBHOOK_PATH, webhook_app
from tests.botapi.harness import Harness

SECRET = "webhook-secret-for-tests"


async def test_webhook_accepts_only_the_secret_token() -> None:
    harness = Harness()
    app = webhook_app(harness.bot, harness.gate, SECRET)
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
        assert harness.current_step() == "submitter.role"  # handled before the answer
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        broken = {"update_id": 99, "message": {"message_id": 5, "text": "no chat, no date"}}
        assert (await client.post(WEBHOOK_PATH, json=broken, headers=headers)).status == 200
        garbage = await client.post(WEBHOOK_PATH, data=b"{not json", headers=headers)
        assert garbage.status == 200
