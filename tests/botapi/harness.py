"""The unit-test rig: a real aiogram Dispatcher and Bot over the recording session, fed real
`Update` objects built by the fake Telegram, with a clock the test controls."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram import Bot

from bot.settings import Settings
from bot.telegram.adapter import Adapter
from bot.telegram.callbacks import Callback
from bot.telegram.fsm import build_backend
from bot.telegram.gate import Gate
from bot.telegram.polling import Poller, accept
from bot.telegram.router import build_gate
from dialogues import flow
from storage.drafts import generate_key
from tests.botapi.fake import ChatMessage, FakeTelegram
from tests.botapi.person import PDF, Answer, answer_for, identify
from tests.botapi.recording import RecordingSession
from tests.filers import RecordingFiler


def label_for(step_id: str, choice_id: str, language: str = "nb") -> str:
    if step_id == "summary":
        return flow.text(language, f"c.summary.{choice_id}")  # type: ignore[arg-type]
    if step_id == "language":
        return flow.text(choice_id, "language.name")  # type: ignore[arg-type]
    step = flow.load().step(step_id)
    key = step.choice_key(choice_id) if step else f"c.{choice_id}"
    return flow.text(language, key)  # type: ignore[arg-type]


class Harness:
    def __init__(
        self,
        *,
        filer: Any = None,
        settings: Settings | None = None,
        now: dt.datetime | None = None,
        flood_limit: int = 1000,
        flood_queue: int = 1000,
        prefix: str = "ke:",
    ) -> None:
        self.now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.fake = FakeTelegram(clock=lambda: self.now.timestamp())
        self.bot = Bot(self.fake.token, session=RecordingSession(self.fake))
        self.settings = settings or Settings(
            _env_file=None,  # type: ignore[call-arg]
            draft_keys=generate_key(),
            id_hash_secret="unit-test-secret-unit-test-secret",
            allow_synthetic_ids=True,
        )
        if not self.settings.redis_url and self.settings.data_dir == Path("var"):
            # never a drafts file where a test runs, unless the test gives a folder for it
            self.settings = self.settings.model_copy(update={"draft_store": "memory"})
        self.prefix = prefix
        self.flood = {"flood_limit": flood_limit, "flood_queue": flood_queue}
        # The gate's monotonic clock; its waits advance it instead of sleeping.
        self.monotonic = 0.0
        self.waited: list[float] = []
        self.backend = build_backend(self.settings, prefix=prefix)
        self.filer = filer if filer is not None else RecordingFiler()
        self.adapter = Adapter(settings=self.settings, filer=self.filer, clock=lambda: self.now)
        self.gate = self._gate(self.adapter, self.backend)
        self.dispatcher = self.gate.dispatcher
        self.workers = [self.gate]
        self.backends = [self.backend]
        self.turn = 0
        # Who answers: the scripted person of tests/botapi/person.py unless a test brings one.
        self.person: Callable[[str, dt.date], Answer] = answer_for

    def _gate(self, adapter: Adapter, backend: Any) -> Gate:
        gate = build_gate(adapter, backend, **self.flood)  # type: ignore[arg-type]
        gate.clock = lambda: self.monotonic

        async def wait(seconds: float) -> None:
            self.waited.append(seconds)
            self.monotonic += seconds

        gate.sleep = wait
        return gate

    def restart(self, filer: Any = None) -> None:
        """A new process on the same settings (and so the same durable draft store)."""
        self.backend = build_backend(self.settings, prefix=self.prefix)
        self.filer = filer if filer is not None else self.filer
        self.adapter = Adapter(settings=self.settings, filer=self.filer, clock=lambda: self.now)
        self.gate = self._gate(self.adapter, self.backend)
        self.dispatcher = self.gate.dispatcher
        self.workers = [self.gate]
        self.backends.append(self.backend)

    def add_worker(self) -> None:
        """Another bot process on the same storage: updates then go to each worker in turn."""
        backend = build_backend(self.settings, prefix=self.prefix)
        adapter = Adapter(settings=self.settings, filer=self.filer, clock=lambda: self.now)
        self.workers.append(self._gate(adapter, backend))
        self.backends.append(backend)

    async def close(self) -> None:
        for backend in self.backends:
            await backend.close()

    @property
    def today(self) -> dt.date:
        return self.now.date()

    async def feed(self, update: dict[str, Any]) -> None:
        """One update as Telegram sends it (JSON), through the gate of the next worker."""
        worker = self.workers[self.turn % len(self.workers)]
        self.turn += 1
        await accept(self.bot, worker, update)

    async def poll_all(self, *, rounds: int = 200) -> Poller:
        """Long-poll the fake until every update pushed so far is handled, then stop."""
        poller = Poller(self.bot, self.gate, timeout=0, hold_seconds=5.0, grace_seconds=5.0)
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run(stop))
        last = self.fake.pushed_ids()[-1:] or [0]
        for _ in range(rounds):
            await asyncio.sleep(0.01)
            if poller.offset() is not None and poller.offset() > last[0]:  # type: ignore[operator]
                break
        stop.set()
        await asyncio.wait_for(task, 10)
        return poller

    async def send(self, text: str) -> list[ChatMessage]:
        before = len(self.fake.calls)
        await self.feed(self.fake.text_update(text))
        return self._new_messages(before)

    async def upload(self, filename: str, media_type: str, content: bytes) -> list[ChatMessage]:
        before = len(self.fake.calls)
        await self.feed(self.fake.document_update(filename, media_type, content))
        return self._new_messages(before)

    def keyboard_message(self) -> ChatMessage:
        return [m for m in self.fake.bot_messages() if m.reply_markup][-1]

    def buttons(self, message: ChatMessage | None = None) -> list[dict[str, str]]:
        message = message or self.keyboard_message()
        assert message.reply_markup is not None
        return [b for row in message.reply_markup["inline_keyboard"] for b in row]

    async def press(self, label: str, message: ChatMessage | None = None) -> list[ChatMessage]:
        message = message or self.keyboard_message()
        for button in self.buttons(message):
            if button["text"] == label or button["text"].endswith(f" {label}"):
                return await self.press_data(message.message_id, button["callback_data"])
        raise AssertionError(f"no button {label!r} in {[b['text'] for b in self.buttons(message)]}")

    async def press_data(self, message_id: int, data: str) -> list[ChatMessage]:
        before = len(self.fake.calls)
        await self.feed(self.fake.callback_update(message_id, data))
        return self._new_messages(before)

    def _new_messages(self, calls_before: int) -> list[ChatMessage]:
        sent = [c for c in self.fake.calls[calls_before:] if c.method == "sendMessage"]
        return [
            ChatMessage(0, True, str(c.params["text"]), c.params.get("reply_markup")) for c in sent
        ]

    def current_step(self) -> str | None:
        for message in reversed(self.fake.bot_messages()):
            step = identify(message.text or "")
            if step is not None:
                return step
        return None

    async def answer_current(self) -> str:
        step = self.current_step()
        assert step is not None, "no question found in the chat"
        answer = self.person(step, self.today)
        if answer.kind == "text":
            await self.send(answer.value[0])
        elif answer.kind == "skip":
            await self.send("/skip")
        elif answer.kind == "file":
            await self.upload(answer.value[0], "application/pdf", PDF)
        else:
            for choice in answer.value:
                await self.press(label_for(step, choice))
            shown = [m for m in self.fake.bot_messages() if m.reply_markup]
            if shown and any(
                b["callback_data"].split("|")[2:] == ["m", "done"] for b in self.buttons(shown[-1])
            ):
                await self.press(flow.text("nb", "btn.done"))
        return step

    async def walk(self, *, until: str | None = None, limit: int = 80) -> list[str]:
        """Answer question after question until the receipt (or the step `until`)."""
        steps: list[str] = []
        await self.send("/start")
        for _ in range(limit):
            if any("KE-" in (m.text or "") for m in self.fake.bot_messages()):
                return steps
            if until is not None and self.current_step() == until:
                return steps
            steps.append(await self.answer_current())
        raise AssertionError(f"the conversation did not finish: {steps[-5:]}")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


__all__ = ["Callback", "Harness", "RecordingFiler", "label_for", "sha256"]
