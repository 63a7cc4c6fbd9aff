"""The fault suite for Telegram: `ke-intake telegram` as a real process, long polling the local
Bot API server, with drafts in a private Redis and the inbox in a private PostgreSQL that the
tests freeze, stop and thaw (tests/faults/services.py). Each test counts lost referrals (a
receipt without its inbox row, or a person without a receipt), duplicated ones (inbox rows
beyond one per person, receipts beyond one per person) and unanswered turns (an action the
bot never answered), and requires all three to be 0."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bench.crowd import TOKEN, Crowd
from bench.load import _filed, _prepare_inbox
from bench.people import Person, Stuck
from dialogues import flow
from storage.drafts import generate_key
from tests.botapi.harness import label_for
from tests.botapi.person import PDF, answer_for
from tests.botapi.server import BotAPIServer
from tests.faults.conftest import Services
from tests.faults.services import PrivatePostgres, PrivateRedis, free_port
from tests.faults.tally import tally

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


KE_INTAKE = Path(sys.executable).with_name("ke-intake")
REFERENCE = re.compile(r"KE-[0-9A-Z]{4}-[0-9A-Z]{4}")


class FaultPerson(Person):
    """The scripted person of the load test, who can stop at the summary."""

    async def until_summary(self, limit: int = 120) -> None:
        await self._act(lambda: self.fake.text_update("/start"))
        for _ in range(limit):
            step = self._current_step()
            if step == "summary":
                return
            if step is None:
                raise Stuck("no question in the chat")
            answer = answer_for(step, self.today)
            if answer.kind == "text":
                await self._act(partial(self.fake.text_update, answer.value[0]))
            elif answer.kind == "skip":
                await self._act(lambda: self.fake.text_update("/skip"))
            elif answer.kind == "file":
                upload = partial(self.fake.document_update, answer.value[0], "application/pdf", PDF)
                await self._act(upload)
            else:
                multi = step in ("requests", "need.life_areas")
                for choice in answer.value:
                    await self._press(label_for(step, choice), toggle=multi)
                if multi:
                    await self._press(flow.text("nb", "btn.done"))
        raise Stuck("the summary was not reached")

    def press_send(self) -> None:
        """Press "send" under the summary, without waiting for the answer."""
        message = [m for m in self.fake.bot_messages() if m.reply_markup][-1]
        label = label_for("summary", "send")
        for row in message.reply_markup["inline_keyboard"]:
            for button in row:
                if button["text"] == label or button["text"].endswith(f" {label}"):
                    self.fake.callback_update(message.message_id, button["callback_data"])
                    return
        raise Stuck("no send button")

    def receipts(self) -> list[str]:
        return [
            m.group(0)
            for message in self.fake.bot_messages()
            if (m := REFERENCE.search(message.text or ""))
            and flow.text("nb", "filed.contact")[:20] in (message.text or "")
        ]


@dataclass
class Rig:
    postgres: PrivatePostgres
    redis: PrivateRedis
    database_url: str
    crowd: Crowd
    folder: Path
    keys: Any
    env: dict[str, str]
    server: BotAPIServer
    process: asyncio.subprocess.Process | None = None
    logs: list[Path] = field(default_factory=list)

    async def start_bot(self) -> None:
        log = self.folder / f"bot-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                str(KE_INTAKE), "telegram", env=self.env, stdout=out, stderr=out, cwd=self.folder
            )
        polls = self.crowd.polls
        for _ in range(600):
            if self.crowd.polls > polls or self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert self.process.returncode is None, log.read_text()

    async def kill_bot(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop_bot(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)

    def inbox(self) -> list[tuple[str, str, bool]]:
        return _filed(self.database_url, self.folder / "data", self.keys)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs)


@asynccontextmanager
async def rig(services: Services) -> AsyncIterator[Rig]:
    postgres, redis = services.postgres, services.redis
    with tempfile.TemporaryDirectory() as folder:
        keys = _prepare_inbox(services.database_url)
        crowd = Crowd()
        server = BotAPIServer(crowd, free_port(), access_log=False)
        await server.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")} | {
            "KE_TELEGRAM_TOKEN": TOKEN,
            "KE_TELEGRAM_API_BASE": server.base_url,
            "KE_DATA_DIR": str(Path(folder) / "data"),
            "KE_DATABASE_URL": services.database_url,
            "KE_REDIS_URL": redis.url,
            "KE_DRAFT_KEYS": generate_key(),
            "KE_ID_HASH_SECRET": "faults-secret-faults-secret-faults",
            "KE_ALLOW_SYNTHETIC_IDS": "true",
            "KE_TELEGRAM_FLOOD_LIMIT": "1000",
        }
        state = Rig(postgres, redis, services.database_url, crowd, Path(folder), keys, env, server)
        try:
            yield state
        finally:
            if state.process is not None and state.process.returncode is None:
                state.process.kill()
                await state.process.wait()
            await server.stop()


def _people(crowd: Crowd, count: int) -> list[FaultPerson]:
    today = dt.datetime.now(dt.UTC).date()
    return [
        FaultPerson(crowd.chat(810_000_000 + n), today, random.Random(n), (0.0, 0.05))
        for n in range(count)
    ]


async def _until(condition: Any, seconds: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def _count(people: list[FaultPerson], inbox: list[tuple[str, str, bool]]) -> dict[str, int]:
    return tally([p.receipts() for p in people], inbox)


async def test_kill_9_while_the_database_is_frozen_mid_filing(services: Services) -> None:
    """Three people press send while PostgreSQL is frozen; the bot is killed with SIGKILL while
    their filings hang, PostgreSQL thaws, the bot starts again: its sweep files each referral
    once and every person gets one receipt."""
    async with rig(services) as r:
        await r.start_bot()
        people = _people(r.crowd, 3)
        await asyncio.gather(*(p.until_summary() for p in people))
        r.postgres.freeze()
        for person in people:
            person.press_send()
        await asyncio.sleep(3.0)  # the filings are under way, stuck in the database
        await r.kill_bot()
        r.postgres.thaw()
        await r.start_bot()
        finished = await _until(lambda: all(p.receipts() for p in people), 90)
        assert await r.stop_bot() == 0
        counts = _count(people, r.inbox())
        print(f"\nkill -9 mid-filing (PostgreSQL frozen): {counts}")
        assert finished, r.log_text()[-3000:]
        assert counts == {"lost": 0, "duplicated": 0, "opened": 3}
        logs = r.log_text()
        assert "sweep finished" in logs
        for secret in ("Kari", "Nordmann", "41234567", "Storgata"):
            assert secret not in logs


async def test_redis_frozen_mid_conversation_then_thawed(services: Services) -> None:
    """Redis is frozen (SIGSTOP) while a person answers: they are told within seconds that the
    message was not saved; after the thaw they send it again and finish with one receipt."""
    async with rig(services) as r:
        await r.start_bot()
        (person,) = _people(r.crowd, 1)
        await person.until_summary()
        sent = len(person.fake.bot_messages())
        r.redis.freeze()
        person.fake.text_update("/summary")
        told = await _until(
            lambda: any(
                flow.text("nb", "tg.unavailable") == m.text
                for m in person.fake.bot_messages()[sent:]
            ),
            30,
        )
        r.redis.thaw()
        assert told, "nobody told the person while Redis was frozen"
        await person._act(lambda: person.fake.text_update("/summary"))
        person.press_send()
        finished = await _until(lambda: bool(person.receipts()), 60)
        assert await r.stop_bot() == 0
        counts = _count([person], r.inbox())
        print(f"\nRedis frozen mid-conversation: {counts}")
        assert finished, r.log_text()[-3000:]
        assert counts == {"lost": 0, "duplicated": 0, "opened": 1}


async def test_postgres_frozen_under_an_open_inbox_holds_no_other_chat(
    services: Services,
) -> None:
    """PostgreSQL freezes (SIGSTOP) under the open inbox and stays frozen past the minute the
    list of kommuner that can receive is trusted: the next turn that reads it again must not
    hold the bot (in Telegram, every chat's event loop). A person who writes meanwhile is
    answered within seconds; after the thaw both people file once."""
    from bot import bootstrap

    async with rig(services) as r:
        await r.start_bot()
        early, late = _people(r.crowd, 2)
        await early.until_summary()  # the inbox is open, the list read
        await late._act(lambda: late.fake.text_update("/start"))
        r.postgres.freeze()
        await asyncio.sleep(bootstrap.RECEIVING_SECONDS + 2)
        loop_time = asyncio.get_running_loop().time()
        answered = True
        try:
            await late._act(lambda: late.fake.text_update("meg selv"))
        except Stuck:
            answered = False
        took = asyncio.get_running_loop().time() - loop_time
        r.postgres.thaw()
        await asyncio.gather(early.until_summary(), late.until_summary())
        for person in (early, late):
            await person._act(person.press_send)
        finished = await _until(lambda: all(p.receipts() for p in (early, late)), 60)
        assert await r.stop_bot() == 0
        counts = _count([early, late], r.inbox())
        print(f"\nPostgreSQL frozen under the open inbox: answered in {took:.1f} s, {counts}")
        assert answered and took < 10, r.log_text()[-3000:]
        assert finished and counts == {"lost": 0, "duplicated": 0, "opened": 2}
