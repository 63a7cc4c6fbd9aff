"""Stateless workers as deployed: two `ke-intake web` processes behind a round-robin balancer,
drafts in one Redis, the inbox in one PostgreSQL. Four people at once, each turn posted as
chat.js posts it to the worker after the one before: every referral arrives once, sealed, with
the reference its person was given, and Redis holds nothing readable."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from redis.asyncio import Redis

from tests.conversations import answer_for, load
from tests.webchat.person import REFERENCE
from tests.webchat.server import WebServer, server_env, web_workers

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

PEOPLE = ("nn_adult_self", "mother_child", "english_dnumber", "provider_elderly")
STEP = re.compile(r'data-step="([^"]+)"')
OPTIONAL = re.compile(r'data-optional="(true|false)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ENTRY = re.compile(r'data-id="(\d+)"')


async def person(name: str, workers: list[WebServer], start: int) -> tuple[str, list[int]]:
    """One scripted person, each turn to the next worker; returns (reference, ports used)."""
    script = load(name, dt.datetime.now(ZoneInfo("Europe/Oslo")).date())
    role = "&role=provider" if script.preset == "provider" else ""
    urls = [w.url.replace("localhost", "127.0.0.1") for w in workers]
    used: list[int] = []
    async with httpx.AsyncClient(timeout=30) as client:
        html = (await client.get(f"{urls[start % 2]}/?lang={script.language}{role}")).text
        cookie, since, first = "", "", True
        for turn in range(start, start + 200):
            found = STEP.search(html)
            if found is None:
                break
            optional = (OPTIONAL.search(html) or ["", "false"])[1] == "true"
            fields = {"csrf": CSRF.findall(html)[-1]}
            fields["text"] = answer_for(script, found.group(1), optional) or ""
            if first:
                fields |= {"first": "1", "lang": script.language, "role": script.preset or ""}
            headers = {"x-ke-partial": "1", "x-ke-since": since}
            if cookie:
                headers["cookie"] = cookie
            url = urls[turn % 2]
            response = await client.post(f"{url}/turn", data=fields, headers=headers)
            assert response.status_code == 200, (name, found.group(1), response.status_code)
            assert response.headers.get("x-ke-partial") == "1"
            used.append(turn % 2)
            if "set-cookie" in response.headers:
                cookie = response.headers["set-cookie"].split(";")[0]
            html, first = response.text, False
            since = (ENTRY.findall(html) or [since])[-1]
    receipt = REFERENCE.search(html)
    assert receipt, f"{name}: no receipt"
    return receipt.group(0), used


def test_two_workers_one_redis_one_postgres_four_people_at_once(
    redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    env = server_env(
        tmp_path / "data",
        KE_REDIS_URL=redis_url,
        KE_DATABASE_URL=postgres_url,
        KE_DRAFT_TTL_HOURS="1",
    )
    with ExitStack() as stack:
        workers = stack.enter_context(web_workers(tmp_path, env))

        async def everyone() -> list[tuple[str, list[int]]]:
            return await asyncio.gather(
                *(person(name, workers, start) for start, name in enumerate(PEOPLE))
            )

        done = asyncio.run(everyone())
        references = [reference for reference, _ in done]
        assert len(set(references)) == len(PEOPLE)
        assert all(set(used) == {0, 1} for _, used in done)
        for worker in workers:
            with urllib.request.urlopen(f"{worker.url}/healthz", timeout=5):  # noqa: S310
                pass
            assert "Traceback" not in worker.logs()
        filed = opened(workers[0].data_dir, postgres_url)
        assert sorted(filed) == sorted(references)
        assert sorted(filed.values()) == sorted(
            load(name, dt.date.today()).language for name in PEOPLE
        )
        asyncio.run(nothing_readable_in_redis(redis_url, references))


def opened(data_dir: Path, database_url: str) -> dict[str, str]:
    """Every referral in the PostgreSQL inbox, opened with the demo KE key: reference -> the
    language the referral records."""
    import json

    from bot.bootstrap import App
    from bot.settings import Settings
    from storage.crypto.body import unpack_body
    from storage.crypto.envelope import open_envelope
    from storage.crypto.keys import load_private_key

    settings = Settings(_env_file=None, data_dir=data_dir, database_url=database_url)  # type: ignore[call-arg]
    app = App.from_settings(settings, intake_side=False)
    try:
        key = load_private_key(app.demo_private_key_file(), b"demo")
        found: dict[str, str] = {}
        for record in app.inbox.list():
            assert record.channel == "web"
            blob = app.inbox.envelope(record.reference)
            _, body = open_envelope(blob, private_key=key, verify_keys=app.verify_keys)
            referral: dict[str, Any] = json.loads(unpack_body(body)[0])
            found[record.reference] = referral["meta"]["language"]
        return found
    finally:
        app.close()


async def nothing_readable_in_redis(redis_url: str, references: list[str]) -> None:
    """The workers' drafts (the receipts are left) are sealed: no name, street or reference."""
    redis = Redis.from_url(redis_url)
    try:
        seen = 0
        async for name in redis.scan_iter("ke:draft:web:*", count=1000):
            value = await redis.get(name)
            if value is None:
                continue
            seen += 1
            assert b"Nordmann" not in value and b"gata" not in value
            assert not any(ref.encode() in value for ref in references)
        assert seen >= len(references)
    finally:
        await redis.aclose()
