"""Midnight in Oslo on every channel: the dialogue and the filing count ages on the same
Norwegian calendar day, so a young person who turns 16 that day files at 00:00:01 (when the
UTC date is still yesterday's), and one who is 15 until midnight files with the parents'
consent at 23:59:59. Regression for the Telegram bug where the dialogue used the UTC date."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest

from bot.runtime.context import ChannelName, Runtime, context_at
from bot.settings import Settings
from bot.terminal.chat import TerminalChat
from dialogues import flow
from dialogues.state import State
from dialogues.types import Reply, UserInput
from tests import midnight
from tests.botapi.harness import Harness
from tests.botapi.person import Answer
from tests.filers import RecordingFiler

SETTINGS = Settings(_env_file=None, allow_synthetic_ids=True, consent_age=16)  # type: ignore[call-arg]
MOMENTS = pytest.mark.parametrize(
    "moment", [midnight.BEFORE, midnight.AFTER], ids=["23:59:59", "00:00:01"]
)


@MOMENTS
@pytest.mark.parametrize("channel", get_args(ChannelName))
def test_every_channel_context_is_on_the_oslo_day(
    channel: ChannelName, moment: dt.datetime
) -> None:
    ctx = context_at(moment.astimezone(dt.UTC), SETTINGS, channel)
    assert ctx.today == ctx.policy.today == moment.date()


def _consent(referral: Any) -> str:
    return str(referral.consent.given_by)


# -- terminal and web: the engine's replies, driven by channel-neutral inputs ------------------


def _walk(
    turn: Callable[[UserInput], list[Reply]], moment: dt.datetime, until: str = "done"
) -> None:
    """Answer as the young person would until the step `until` is asked."""
    replies = turn(UserInput(command="start"))
    for _ in range(120):
        asking = next((r for r in reversed(replies) if r.step), None)
        assert asking is not None, [r.text for r in replies]
        if asking.step == until:
            return
        given = midnight.answer(asking.step, moment)
        if given is None:
            assert asking.optional or asking.step.endswith(".more"), asking.step
            ui = UserInput(command="skip") if asking.optional else UserInput(choice="no")
        elif given[0] == "text":
            ui = UserInput(text=given[1])
        elif asking.multi:
            turn(UserInput(choice=given[1]))
            ui = UserInput(command="done")
        else:
            ui = UserInput(choice=given[1])
        replies = turn(ui)
    raise AssertionError(f"the conversation did not reach {until}")


def _terminal(chat: TerminalChat) -> Callable[[UserInput], list[Reply]]:
    return lambda ui: chat.turn(ui).replies


@MOMENTS
def test_the_terminal_files_on_the_oslo_day(moment: dt.datetime) -> None:
    filer = RecordingFiler()
    utc = moment.astimezone(dt.UTC)
    chat = TerminalChat(
        runtime=Runtime(SETTINGS, "terminal", clock=lambda: utc),
        language="nb",
        filer=filer,
        json_mode=True,
    )
    _walk(_terminal(chat), moment)
    ((referral, _, _),) = filer.filed
    assert _consent(referral) == midnight.consent_by(moment)


def test_a_birthday_at_midnight_between_summary_and_filing_asks_who_consents_again() -> None:
    """The dialogue ran on the 15th (parents consent) and "send" came at 23:59:59; the filing,
    a moment later, judges on the 16th: refused, and the engine asks who gives consent again
    (the young person, now 16, answers) instead of telling them to send again."""
    from intake.filing import InvalidReferral
    from intake.rules import validate_referral

    moments = [midnight.BEFORE.astimezone(dt.UTC)]

    class JudgingFiler(RecordingFiler):
        def file(self, referral: Any, **options: Any) -> Any:
            _, problems = validate_referral(
                referral.model_dump(mode="json", exclude_none=True),
                SETTINGS.policy(midnight.AFTER.date()),
            )
            if problems:
                raise InvalidReferral(problems)
            return super().file(referral, **options)

    chat = TerminalChat(
        runtime=Runtime(SETTINGS, "terminal", clock=lambda: moments[-1]),
        language="nb",
        filer=JudgingFiler(),
        json_mode=True,
    )
    _walk(_terminal(chat), midnight.BEFORE, until="summary")
    line = chat.turn(UserInput(text="send")).as_json()
    assert line["step"] == "consent.given_by" and line["error"] and not chat.finished
    moments.append(midnight.AFTER.astimezone(dt.UTC))
    line = chat.turn(UserInput(choice="person")).as_json()
    for _ in range(10):
        if line["step"] == "done":
            break
        line = chat.turn(UserInput(text="ja" if line["step"] != "summary" else "send")).as_json()
    assert line["step"] == "done" and line["reference"]


@MOMENTS
def test_the_web_chat_files_on_the_oslo_day(moment: dt.datetime) -> None:
    from bot.web.turns import Turns

    filer = RecordingFiler()
    utc = moment.astimezone(dt.UTC)
    turns = Turns(Runtime(SETTINGS, "web", clock=lambda: utc), filer)
    state = turns.runtime.new_state("nb")

    async def no_uploads(ref: str) -> bytes | None:
        return None

    def turn(ui: UserInput) -> list[Reply]:
        nonlocal state
        result = asyncio.run(turns.step(state, ui, no_uploads))
        state = result.state
        return result.replies

    _walk(turn, moment)
    ((referral, _, channel),) = filer.filed
    assert channel == "web" and _consent(referral) == midnight.consent_by(moment)


# -- Telegram ----------------------------------------------------------------------------------


def _telegram_person(moment: dt.datetime) -> Any:
    def person(step: str, _today: dt.date) -> Answer:
        given = midnight.answer(step, moment)
        if given is None:
            return Answer("choice", ("no",)) if step.endswith(".more") else Answer("skip")
        if step == "consent.given_by":  # its buttons say "me" to a person filing for themselves
            key = flow.variant("nb", f"c.consent.given_by.{given[1]}", "self")
            return Answer("text", (flow.text("nb", key),))
        return Answer(given[0], (given[1],))

    return person


@MOMENTS
async def test_telegram_files_on_the_oslo_day(moment: dt.datetime) -> None:
    harness = Harness(settings=_telegram_settings(), now=moment.astimezone(dt.UTC))
    harness.person = _telegram_person(moment)
    try:
        await harness.walk()
    finally:
        await harness.close()
    ((referral, _, channel),) = harness.filer.filed
    assert channel == "telegram"
    assert _consent(referral) == midnight.consent_by(moment)


def _telegram_settings() -> Settings:
    from storage.drafts import generate_key

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        draft_keys=generate_key(),
        id_hash_secret="unit-test-secret-unit-test-secret",
        allow_synthetic_ids=True,
        consent_age=16,
    )


# -- Rasa ----------------------------------------------------------------------------------------


@MOMENTS
async def test_rasa_judges_consent_on_the_oslo_day(moment: dt.datetime, tmp_path: Path) -> None:
    from bot.rasa import runtime
    from bot.rasa.server import build_executor
    from tests import rasa_calls as rc

    utc = moment.astimezone(dt.UTC)
    runtime.configure(
        demo=True, settings=Settings(data_dir=tmp_path, allow_synthetic_ids=True), clock=lambda: utc
    )
    try:
        executor = build_executor()
        answers = {
            "kommune": "4601",
            # (a relative: someone filing for themselves is not asked who consents)
            "submitter.role": "relative",
            "person.given_name": "Ida",
            "person.family_name": "Testesen",
            "person.national_id": midnight.NATIONAL_ID,
            "requests": ["coordinator"],
        }
        # The engine's state as the turn action keeps it, asking who consents.
        state = State(language="nb", draft_id="m", answers=answers, mode="edit")
        state.focus = "consent.given_by"
        results = {}
        for who in ("person", "parents"):
            conv = rc.Conversation("u", slots={"dialogue_state": state.to_json()})
            conv.took(who, await rc.run(executor, conv.body(who)))
            after = State.from_json(conv.slots["dialogue_state"]).answers
            results[who] = after.get("consent.given_by")
    finally:
        runtime.configure(demo=False)
    allowed = midnight.consent_by(moment)
    assert results[allowed] == allowed
    assert results["person" if allowed == "parents" else "parents"] is None
