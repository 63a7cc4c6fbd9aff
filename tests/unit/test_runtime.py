"""The channel runtime on its own: the Oslo context, the upload check, the filing outcomes."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

import pytest

from bot.runtime.context import Runtime, context_at
from bot.runtime.filing import (
    CannotFileHere,
    FailedForNow,
    Filed,
    Refused,
    file_effect,
    file_effect_async,
)
from bot.runtime.uploads import upload_from_path, upload_of
from bot.settings import Settings
from dialogues import engine
from dialogues.flow import texts
from dialogues.state import State
from dialogues.types import FileReferral, UserInput
from intake.attachments import MAX_ATTACHMENT_BYTES
from tests.conversations import PDF_BYTES, answer_for, load
from tests.conversations.drive import TODAY
from tests.filers import RecordingFiler

SETTINGS = Settings(_env_file=None, allow_synthetic_ids=True, consent_age=16)  # type: ignore[call-arg]
# 23:30 UTC on 15 March is 00:30 on 16 March in Oslo (UTC+1 in winter).
LATE_UTC = dt.datetime(2026, 3, 15, 23, 30, tzinfo=dt.UTC)


def test_the_context_counts_days_in_oslo_whatever_the_utc_date() -> None:
    ctx = context_at(LATE_UTC, SETTINGS, "telegram", can_delete_chat=True)
    assert ctx.today == dt.date(2026, 3, 16) and ctx.policy.today == ctx.today
    assert ctx.now == LATE_UTC and ctx.channel == "telegram" and ctx.can_delete_chat
    assert ctx.policy.allow_synthetic and ctx.policy.consent_age == 16
    assert ctx.draft_ttl_hours == SETTINGS.draft_ttl_hours
    summer = dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC)  # 00:30 in Oslo (UTC+2)
    assert context_at(summer, SETTINGS, "web").today == dt.date(2026, 7, 2)
    with pytest.raises(ValueError, match="aware"):
        context_at(dt.datetime(2026, 3, 15, 12, 0), SETTINGS, "web")


def test_the_runtime_reads_its_clock_on_every_context() -> None:
    moments = iter([LATE_UTC - dt.timedelta(hours=1), LATE_UTC])
    runtime = Runtime(SETTINGS, "rasa", clock=lambda: next(moments))
    assert runtime.context().today == dt.date(2026, 3, 15)
    assert runtime.context().today == dt.date(2026, 3, 16)
    assert runtime.new_state("nn").language == "nn"
    assert runtime.new_state("nb").draft_id != runtime.new_state("nb").draft_id


def test_an_upload_is_typed_by_its_content_not_its_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text_named_pdf = tmp_path / "fullmakt.pdf"
    text_named_pdf.write_bytes(b"Dette er ikke en PDF\n")
    upload = upload_from_path(text_named_pdf)
    assert upload is not None and upload.media_type == "application/octet-stream"
    pdf_named_png = upload_of(PDF_BYTES, filename="scan.png", ref="x")
    assert pdf_named_png.media_type == "application/pdf"
    assert pdf_named_png.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    unread = upload_of(None, filename="big.pdf", ref="x", size=MAX_ATTACHMENT_BYTES + 1)
    assert unread.sha256 == "" and unread.size == MAX_ATTACHMENT_BYTES + 1
    assert upload_from_path(tmp_path / "missing.pdf") is None


def _at_upload(name: str = "attorney_son") -> tuple[State, Runtime]:
    runtime = Runtime(
        SETTINGS, "terminal", clock=lambda: dt.datetime(2026, 3, 16, 9, tzinfo=dt.UTC)
    )
    script = load(name, TODAY)
    state, replies, _ = engine.step(
        runtime.new_state("nb"), UserInput(command="start"), runtime.context()
    )
    for _ in range(150):
        step = next(r.step for r in reversed(replies) if r.step)
        if step == "attachments":
            return state, runtime
        answer = answer_for(script, step, next(r for r in reversed(replies) if r.step).optional)
        assert answer is not None, step
        state, replies, _ = engine.step(state, UserInput(text=answer), runtime.context())
    raise AssertionError("never asked for the attachment")


def test_a_text_file_named_pdf_is_refused_at_the_upload_question(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state, runtime = _at_upload()
    fake = tmp_path / "fullmakt.pdf"
    fake.write_bytes(b"just text, not a PDF\n")
    after, replies, effects = engine.step(
        state, UserInput(file=upload_from_path(fake)), runtime.context()
    )
    asking = [r for r in replies if r.step]
    assert asking[-1].step == "attachments" and asking[-1].error
    assert "attachments" not in after.answers and not effects


def _to_filing(tmp_path, name: str = "attorney_son") -> tuple[State, FileReferral, Runtime, str]:  # type: ignore[no-untyped-def]
    state, runtime = _at_upload(name)
    document = tmp_path / "fullmakt.pdf"
    document.write_bytes(PDF_BYTES)
    state, replies, _ = engine.step(
        state, UserInput(file=upload_from_path(document)), runtime.context()
    )
    script = load(name, TODAY)
    for _ in range(50):
        asking = next(r for r in reversed(replies) if r.step)
        if asking.step == "summary":
            state, replies, effects = engine.step(state, UserInput(text="send"), runtime.context())
            effect = next(e for e in effects if isinstance(e, FileReferral))
            return state, effect, runtime, str(document)
        answer = answer_for(script, asking.step, asking.optional)
        assert answer is not None, asking.step
        state, replies, _ = engine.step(state, UserInput(text=answer), runtime.context())
    raise AssertionError("no summary")


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def test_filed_carries_the_receipt_and_the_engine_receipt_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state, effect, runtime, _ = _to_filing(tmp_path)
    filer = RecordingFiler()
    outcome = file_effect(effect, state, runtime.context(), filer=filer, fetch=_read)
    assert isinstance(outcome, Filed) and outcome.reference == "KE-TEST-0001"
    assert outcome.state.mode == "done" and outcome.replies[-1].reference == "KE-TEST-0001"
    ((_, attachments, channel),) = filer.filed
    assert channel == "terminal" and attachments[0][1] == PDF_BYTES


def test_an_attachment_changed_since_upload_is_asked_for_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state, effect, runtime, path = _to_filing(tmp_path)
    with open(path, "ab") as handle:
        handle.write(b"% changed\n")
    filer = RecordingFiler()
    outcome = file_effect(effect, state, runtime.context(), filer=filer, fetch=_read)
    assert isinstance(outcome, Refused) and not filer.calls
    assert [p.key for p in outcome.problems] == ["attachment_mismatch"]
    assert outcome.revisit == ("attachments",)
    assert outcome.state.mode == "edit" and outcome.state.focus == "attachments"
    assert outcome.replies[-1].step == "attachments" and outcome.replies[-1].error


def test_failed_for_now_keeps_the_summary_and_cannot_file_here_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state, effect, runtime, _ = _to_filing(tmp_path)
    ctx = runtime.context()
    failed = file_effect(effect, state, ctx, filer=RecordingFiler(fail=True), fetch=_read)
    assert isinstance(failed, FailedForNow) and failed.error == "RuntimeError"
    assert failed.state.mode == "summary" and failed.replies[0].text == texts("nb")["filing.failed"]
    unreadable = file_effect(
        effect, state, ctx, filer=RecordingFiler(), fetch=lambda ref: _read("/nonexistent")
    )
    assert isinstance(unreadable, FailedForNow) and unreadable.error == "FileNotFoundError"
    nowhere = file_effect(effect, state, ctx, filer=None, fetch=_read)
    assert isinstance(nowhere, CannotFileHere) and nowhere.reason == "no_inbox"
    assert nowhere.replies[0].text == texts("nb")["filing.not_here"]
    assert nowhere.state.mode == "summary" and nowhere.replies[0].choices


def test_the_async_filing_fetches_first_and_gives_the_same_outcomes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state, effect, runtime, _ = _to_filing(tmp_path)

    async def fetch(ref: str) -> bytes:
        return _read(ref)

    async def broken(ref: str) -> bytes:
        raise ConnectionError("gone")

    filer = RecordingFiler()
    ctx = runtime.context()
    outcome = asyncio.run(file_effect_async(effect, state, ctx, filer=filer, fetch=fetch))
    assert isinstance(outcome, Filed) and filer.filed[0][1][0][1] == PDF_BYTES
    failed = asyncio.run(file_effect_async(effect, state, ctx, filer=filer, fetch=broken))
    assert isinstance(failed, FailedForNow) and failed.error == "ConnectionError"
