"""Carrying out the engine's `FileReferral`, the same way in every channel, with one outcome.

    outcome = file_effect(effect, state, ctx, filer=app, fetch=read_bytes)
    outcome = await file_effect_async(effect, state, ctx, filer=app, fetch=download)

The outcome is one of:
- `Filed`: in the inbox; `receipt` has the reference (`duplicate` when a retry met the first).
- `Refused`: the referral breaks a rule judged at filing (e.g. an age that changed at
  midnight, an attachment that changed): `problems`, the questions to `revisit`, and the
  engine's state and replies that ask the first of them again.
- `FailedForNow`: nothing was stored or it is not known to be; sending again is safe (the same
  idempotency key files at most once). The state is back at the summary.
- `CannotFileHere`: this service cannot file it (no inbox configured, or the kommune has no KE
  key registered); trying again will not help.

Every outcome carries the engine state to keep and the replies to show. Nothing personal is
logged: only the outcome and the class of an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from dialogues import engine
from dialogues.flow import text
from dialogues.state import State
from dialogues.types import Context, FileReferral, Reply
from intake.filing import InvalidReferral, Receipt
from intake.model import Attachment, Referral
from intake.rules import Violation
from intake.texts import Language
from storage.crypto.errors import NoRecipientKeysError

log = logging.getLogger(__name__)

Fetch = Callable[[str], bytes]
FetchAsync = Callable[[str], Awaitable[bytes]]


class Filer(Protocol):
    """What files a validated referral; `bot.bootstrap.App` is the real one."""

    def file(
        self,
        referral: Referral,
        *,
        channel: str,
        language: Language,
        idempotency_key: str | None,
        attachments: Sequence[tuple[Attachment, bytes]] = (),
    ) -> Receipt: ...


@dataclass(frozen=True)
class Filed:
    receipt: Receipt
    state: State
    replies: tuple[Reply, ...]

    @property
    def reference(self) -> str:
        return self.receipt.reference


@dataclass(frozen=True)
class Refused:
    problems: tuple[Violation, ...]
    revisit: tuple[str, ...]  # field ids of the questions to ask again, first one asked now
    state: State
    replies: tuple[Reply, ...]


@dataclass(frozen=True)
class FailedForNow:
    error: str  # the exception's class name, for logs and metrics
    state: State
    replies: tuple[Reply, ...]


@dataclass(frozen=True)
class CannotFileHere:
    reason: Literal["no_inbox", "no_recipient_key"]
    state: State
    replies: tuple[Reply, ...]


FilingOutcome = Filed | Refused | FailedForNow | CannotFileHere


class _AttachmentProblem(Exception):
    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.key)
        self.violation = violation


def file_effect(
    effect: FileReferral,
    state: State,
    ctx: Context,
    *,
    filer: Filer | None,
    fetch: Fetch,
) -> FilingOutcome:
    """File `effect` (the engine's state `state` just emitted it) in channel `ctx.channel`.
    `fetch(ref)` returns an attachment's bytes by the channel's handle (a path, a file id)."""
    try:
        attachments = _attachments(effect, fetch)
    except _AttachmentProblem as problem:
        return refused(state, [problem.violation], ctx)
    except Exception as error:  # a fetch that failed: the person may send again
        return failed_for_now(state, ctx, error)
    return _file(effect, state, ctx, filer, attachments)


async def file_effect_async(
    effect: FileReferral,
    state: State,
    ctx: Context,
    *,
    filer: Filer | None,
    fetch: FetchAsync,
) -> FilingOutcome:
    """`file_effect` for an event loop: attachments fetched here, filing in a worker thread."""
    contents: dict[str, bytes] = {}
    try:
        for ref in dict.fromkeys(effect.attachment_refs.values()):
            contents[ref] = await fetch(ref)
    except Exception as error:  # a fetch that failed: the person may send again
        return failed_for_now(state, ctx, error)
    return await asyncio.to_thread(
        file_effect, effect, state, ctx, filer=filer, fetch=contents.__getitem__
    )


def _file(
    effect: FileReferral,
    state: State,
    ctx: Context,
    filer: Filer | None,
    attachments: list[tuple[Attachment, bytes]],
) -> FilingOutcome:
    if filer is None:
        return cannot_file_here(state, ctx, "no_inbox")
    try:
        receipt = filer.file(
            effect.referral,
            channel=ctx.channel,
            language=state.language,
            idempotency_key=effect.idempotency_key,
            attachments=attachments,
        )
    except InvalidReferral as error:
        return refused(state, error.violations, ctx)
    except NoRecipientKeysError:
        return cannot_file_here(state, ctx, "no_recipient_key")
    except Exception as error:  # the person keeps every answer and may send again
        return failed_for_now(state, ctx, error)
    new, replies = engine.filed(state, receipt.reference, ctx)
    return Filed(receipt, new, tuple(replies))


def _attachments(effect: FileReferral, fetch: Fetch) -> list[tuple[Attachment, bytes]]:
    """Each listed attachment with its bytes, which must still be the ones uploaded."""
    pairs: list[tuple[Attachment, bytes]] = []
    where = "attachments"  # the one question that asks for them
    for attachment in effect.referral.attachments:
        ref = effect.attachment_refs.get(attachment.sha256)
        if ref is None:
            raise _AttachmentProblem(Violation(where, "attachment_missing"))
        content = fetch(ref)
        if hashlib.sha256(content).hexdigest() != attachment.sha256:
            raise _AttachmentProblem(Violation(where, "attachment_mismatch"))
        pairs.append((attachment, content))
    return pairs


def refused(state: State, problems: Sequence[Violation], ctx: Context) -> Refused:
    log.info("filing refused: %s problem(s)", len(problems))
    revisit = engine.revisit_keys(state, problems, ctx)
    new, replies = engine.filing_refused(state, problems, ctx)
    return Refused(tuple(problems), revisit, new, tuple(replies))


def failed_for_now(state: State, ctx: Context, error: BaseException) -> FailedForNow:
    log.warning("filing failed (%s); the draft is kept", type(error).__name__)
    new, replies = engine.filing_failed(state, ctx)
    return FailedForNow(type(error).__name__, new, tuple(replies))


def cannot_file_here(
    state: State, ctx: Context, reason: Literal["no_inbox", "no_recipient_key"]
) -> CannotFileHere:
    log.warning("filing impossible here (%s); the draft is kept", reason)
    new, replies = engine.filing_failed(state, ctx)
    # The summary stays (every answer can still be read), but not the advice to send again.
    said = text(state.language, "filing.not_here")
    return CannotFileHere(reason, new, tuple(replace(r, text=said) for r in replies))
