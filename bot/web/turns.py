"""One web turn through the dialogue engine on the channel runtime (bot/runtime): the context
comes from `Runtime`, a filing from `file_effect_async` with its one outcome type, and uploads
are typed by `bot.runtime.uploads`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.runtime.context import Runtime
from bot.runtime.filing import Filed, Filer, file_effect_async
from dialogues import engine
from dialogues.state import State
from dialogues.types import Context, DiscardDraft, FileReferral, Reply, UserInput
from intake.texts import Language

__all__ = ["Filer", "Result", "Turns"]


@dataclass
class Result:
    state: State
    replies: list[Reply]
    discard: bool = False
    reference: str | None = None


VERIFIED_CHANNEL = "web_idporten"


class _Verified:
    """Files as the verified web channel: the filer logged in with ID-porten."""

    def __init__(self, inner: Filer) -> None:
        self.inner = inner

    def file(self, referral: Any, *, channel: str, **kwargs: Any) -> Any:
        return self.inner.file(referral, channel=VERIFIED_CHANNEL, **kwargs)


class Turns:
    def __init__(self, runtime: Runtime, filer: Filer | None) -> None:
        self.runtime = runtime
        self.filer = filer

    def context(self) -> Context:
        return self.runtime.context()

    def start(self, language: Language, role: str | None) -> tuple[State, list[Reply]]:
        state = self.runtime.new_state(language, preset_role=role)
        return self.step_now(state, UserInput(command="start"))

    def step_now(self, state: State, ui: UserInput) -> tuple[State, list[Reply]]:
        """A turn whose effects are not carried out (the presets of a first page)."""
        state, replies, _ = engine.step(state, ui, self.context())
        return state, replies

    async def step(
        self,
        state: State,
        ui: UserInput,
        content_of: Callable[[str], Awaitable[bytes | None]],
        *,
        verified: bool = False,
        before_filing: Callable[[State], Awaitable[None]] | None = None,
    ) -> Result:
        """`verified`: the person logged in (ID-porten), so the filing says so.
        `before_filing(state)` keeps the state in mode "filing" before the filing starts, so a
        process that stops mid-filing leaves it to be finished (`bot.runtime.sweep`)."""
        ctx = self.context()
        state, replies, effects = engine.step(state, ui, ctx)
        result = Result(state, replies)
        for effect in effects:
            if isinstance(effect, DiscardDraft):
                result.discard = True
            elif isinstance(effect, FileReferral):
                if before_filing is not None:
                    await before_filing(state)

                async def fetch(ref: str) -> bytes:
                    content = await content_of(ref)
                    if content is None:
                        raise LookupError("the upload has expired")
                    return content

                filer = self.filer
                if verified and filer is not None:
                    filer = _Verified(filer)
                outcome = await file_effect_async(effect, state, ctx, filer=filer, fetch=fetch)
                shown = [r for r in replies if r.text and not r.step]
                result.state, result.replies = outcome.state, [*shown, *outcome.replies]
                if isinstance(outcome, Filed):
                    result.reference = outcome.reference
        return result
