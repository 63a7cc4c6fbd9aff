"""A question's wording made once (`render._wording`) is the wording made each time."""

from __future__ import annotations

from typing import Any

import pytest

from dialogues import engine, render
from dialogues.flow import ROLES, load
from dialogues.plan import Plan, Slot, step_key
from dialogues.state import State
from dialogues.types import Context, Reply, UserInput
from intake.messages import LANGUAGES
from tests.conversations import PEOPLE
from tests.conversations import load as load_script
from tests.conversations.drive import TODAY, context, start, to_filing


def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """`render.ask` with the wording made each time, as before it was kept."""
    monkeypatch.setattr(render, "_wording", render._worded_parts)


def _questions() -> list[Slot]:
    flow = load()
    indexes: dict[str | None, tuple[int | None, ...]] = {None: (None,)}
    return [
        Slot(step_key(step, index), step, index)
        for step in flow.steps
        for index in indexes.get(step.group, (0, 1))
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_question_is_worded_as_made_each_time(
    language: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context()
    for role in (None, *sorted(ROLES)):
        for picked in (False, True):
            state = State(language=language, draft_id="d", mode="ask")
            if role is not None:
                state.answers["submitter.role"] = role
            plan = Plan(state.answers, ctx)
            for slot in _questions():
                multi = slot.step.kind == "multi" and picked
                state.picks = [slot.step.choices[0].id] if multi else []
                kept = [render.ask(state, slot, plan) for _ in range(2)]  # made, then kept
                with monkeypatch.context() as patch:
                    _fresh(patch)
                    made = render.ask(state, slot, plan)
                assert kept == [made, made], (language, role, slot.key)


@pytest.mark.parametrize("name", PEOPLE)
def test_a_conversation_reads_the_same(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reply of a scripted person, with the wording kept and made each time."""

    def replies() -> list[Reply]:
        seen: list[Reply] = []
        real = engine.step

        def recording(state: State, ui: UserInput, ctx: Context):  # type: ignore[no-untyped-def]
            out = real(state, ui, ctx)
            seen.extend(out[1])
            return out

        with monkeypatch.context() as patch:
            patch.setattr(engine, "step", recording)
            script = load_script(name, TODAY)
            to_filing(start(script, context()), script)
        return seen

    kept = replies()
    with monkeypatch.context() as patch:
        _fresh(patch)
        made = replies()
    assert kept == made
    assert len(kept) > 20
