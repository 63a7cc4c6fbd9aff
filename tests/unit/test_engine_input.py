"""A step never changes the state it was given: a channel may keep it (the draft before the
turn), and the copy a turn works on shares the history's entries with it."""

from __future__ import annotations

import pytest

from dialogues import engine
from dialogues.state import State
from dialogues.types import Context, UserInput
from tests.conversations import PEOPLE, load
from tests.conversations.drive import TODAY, context, start, to_filing, until


@pytest.mark.parametrize("name", PEOPLE)
def test_no_step_changes_the_state_it_was_given(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine.step
    steps = 0

    def checked(state: State, ui: UserInput, ctx: Context):  # type: ignore[no-untyped-def]
        nonlocal steps
        before = state.to_json()
        out = real(state, ui, ctx)
        assert state.to_json() == before, ui
        steps += 1
        return out

    monkeypatch.setattr(engine, "step", checked)
    script = load(name, TODAY)
    run = start(script, context())
    until(run, script, "summary")
    for _ in range(6):  # undo answers (and what they set), then give them again
        run.command("back")
    run.command("edit", "1")
    run.say("")
    to_filing(run, script)
    assert steps > 20
