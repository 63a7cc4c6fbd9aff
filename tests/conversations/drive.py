"""Drive the engine in-process with a scripted person (unit tests), one turn at a time."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from dialogues import engine
from dialogues.state import State
from dialogues.types import Context, Effect, FileReferral, FileUpload, Reply, UserInput
from intake.rules import Policy
from tests.conversations import PDF_BYTES, UPLOAD, Script, answer_for, expects_retry

TODAY = dt.date(2026, 3, 16)
NOW = dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)


def context(
    *,
    today: dt.date = TODAY,
    can_delete_chat: bool = False,
    draft_ttl_hours: int = 72,
    receiving: frozenset[str] | None = None,
) -> Context:
    return Context(
        today=today,
        now=NOW,
        policy=Policy(today=today, allow_synthetic=True),
        channel="terminal",
        can_delete_chat=can_delete_chat,
        draft_ttl_hours=draft_ttl_hours,
        receiving=receiving,
    )


def pdf_upload() -> FileUpload:
    return FileUpload(
        filename="fullmakt.pdf",
        media_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        ref="upload-1",
    )


@dataclass
class Run:
    state: State
    ctx: Context
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    history: list[Reply] = field(default_factory=list)  # every reply so far

    @property
    def last(self) -> Reply:
        asking = [r for r in self.replies if r.step]
        return asking[-1] if asking else self.replies[-1]

    def send(self, ui: UserInput) -> Run:
        self.state, self.replies, self.effects = engine.step(self.state, ui, self.ctx)
        self.history += self.replies
        if self.last.step:
            self.asked.append(self.last.step)
        return self

    def say(self, text: str) -> Run:
        return self.send(UserInput(text=text))

    def command(self, name: str, arg: str | None = None) -> Run:
        return self.send(UserInput(command=name, arg=arg))  # type: ignore[arg-type]

    @property
    def filing(self) -> FileReferral | None:
        return next((e for e in self.effects if isinstance(e, FileReferral)), None)


def start(script: Script, ctx: Context | None = None, *, preset: bool = True) -> Run:
    state = engine.new_state(
        language=script.language,  # type: ignore[arg-type]
        draft_id=f"draft-{script.name}",
        preset_role=script.preset if preset else None,
    )
    return Run(state, ctx or context()).command("start")


def answer_once(run: Run, script: Script) -> Run:
    reply = run.last
    value = answer_for(script, reply.step, reply.optional)
    if value is None:
        raise AssertionError(f"the script {script.name} has no answer for {reply.step}")
    if value == UPLOAD:
        return run.send(UserInput(file=pdf_upload()))
    return run.say(value)


def until(run: Run, script: Script, stop: str, limit: int = 200) -> Run:
    """Answer until the step `stop` is asked (or "summary", or a filing)."""
    for _ in range(limit):
        if run.last.step == stop or run.filing is not None:
            return run
        answer_once(run, script)
    raise AssertionError(f"{script.name}: {stop} never asked")


def to_filing(run: Run, script: Script, limit: int = 200) -> FileReferral:
    for _ in range(limit):
        if run.filing is not None:
            return run.filing
        if run.last.error and not expects_retry(script, run.last.step):
            raise AssertionError(f"{script.name}: {run.last.step}: {run.last.error}")
        answer_once(run, script)
    raise AssertionError(f"{script.name}: never filed")
