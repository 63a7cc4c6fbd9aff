"""The five scripted people of issue 3, each to a filed, valid referral."""

from __future__ import annotations

import pytest

from dialogues import engine
from intake.rules import validate_referral
from tests.conversations import PEOPLE, dig, load
from tests.conversations.drive import TODAY, context, start, to_filing


@pytest.mark.parametrize("name", PEOPLE)
def test_person_files_a_valid_referral(name: str) -> None:
    script = load(name, TODAY)
    run = start(script)
    effect = to_filing(run, script)
    data = effect.referral.model_dump(mode="json")
    referral, violations = validate_referral(data, run.ctx.policy)
    assert referral is not None
    assert violations == []
    for path, expected in script.expect.items():
        assert dig(data, path) == expected, path
    assert effect.idempotency_key == f"draft-{name}"
    assert len(run.state.to_json().encode()) < 8 * 1024


@pytest.mark.parametrize("name", PEOPLE)
def test_after_filing_the_person_is_told_what_happens_next(name: str) -> None:
    script = load(name, TODAY)
    run = start(script)
    to_filing(run, script)
    assert run.state.mode == "filing"
    state, replies = engine.filed(run.state, "KE-7K4M-Q9XA", context(can_delete_chat=True))
    assert state.mode == "done"
    assert replies[-1].step == "done" and replies[-1].reference == "KE-7K4M-Q9XA"
    text = replies[-1].text
    assert "KE-7K4M-Q9XA" in text
    assert "Statsforvalt" in text or "County Governor" in text
    # Typing after filing does not file twice.
    state, replies, effects = engine.step(state, engine_input("send"), run.ctx)
    assert effects == [] and "KE-7K4M-Q9XA" in replies[0].text


def engine_input(text: str):  # type: ignore[no-untyped-def]
    from dialogues.types import UserInput

    return UserInput(text=text)


def test_the_attorney_may_send_the_document_later() -> None:
    script = load("attorney_son", TODAY)
    script.answers["attachments"] = "ettersendes"
    run = start(script)
    referral = to_filing(run, script).referral
    assert referral.attachments == ()
    assert referral.submitter.authority_document_follows is True
    assert run.filing is not None and run.filing.attachment_refs == {}


def test_the_upload_is_carried_as_a_reference_to_the_adapter_handle() -> None:
    script = load("attorney_son", TODAY)
    effect = to_filing(start(script), script)
    (attachment,) = effect.referral.attachments
    assert attachment.media_type == "application/pdf"
    assert effect.attachment_refs == {attachment.sha256: "upload-1"}


def test_provider_preset_skips_the_role_question() -> None:
    script = load("provider_elderly", TODAY)
    run = start(script)
    to_filing(run, script)
    assert "submitter.role" not in run.asked
    script = load("provider_elderly", TODAY)
    unpreset = start(script, preset=False)
    to_filing(unpreset, script)
    assert "submitter.role" in unpreset.asked


def test_sami_area_is_mentioned_after_filing() -> None:
    script = load("nn_adult_self", TODAY)
    script.answers["kommune"] = "Kárášjohka"
    run = start(script)
    to_filing(run, script)
    _, replies = engine.filed(run.state, "KE-7K4M-Q9XA", run.ctx)
    assert "samisk" in replies[-1].text
    assert "sletta" not in replies[-1].text  # the terminal cannot delete the chat copy


@pytest.mark.parametrize("name", PEOPLE[:2])
def test_an_interrupted_filing_is_filed_again_under_the_same_key(name: str) -> None:
    """The state was saved in "filing" and the process stopped before the outcome: the next
    contact (any input, a command too) or a sweep files it again with the same idempotency key,
    never "wait" forever."""
    script = load(name, TODAY)
    run = start(script)
    first = to_filing(run, script)
    assert run.state.mode == "filing"
    state, replies, effects = engine.resume_filing(run.state, run.ctx)
    assert [type(e).__name__ for e in effects] == ["FileReferral"]
    assert effects[0].idempotency_key == first.idempotency_key  # type: ignore[attr-defined]
    assert effects[0].referral == first.referral  # type: ignore[attr-defined]
    assert state.mode == "filing" and replies
    for typed in ("hei", "/start", "/cancel", "/restart"):
        _, _, again = engine.step(run.state, engine_input(typed), run.ctx)
        assert [type(e).__name__ for e in again] == ["FileReferral"], typed
    # a state that is not filing is left alone
    done, _ = engine.filed(run.state, "KE-7K4M-Q9XA", run.ctx)
    assert engine.resume_filing(done, run.ctx) == (done, [], [])
