"""The engine never raises and never loses an answer, whatever arrives at whatever step."""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogues import engine
from dialogues.flow import texts
from dialogues.state import State, StateError
from dialogues.types import FileUpload, UserInput
from tests.conversations import PEOPLE, load
from tests.conversations.drive import TODAY, answer_once, context, start

COMMANDS = (
    "start",
    "back",
    "help",
    "skip",
    "done",
    "summary",
    "edit",
    "language",
    "cancel",
    "restart",
)


@functools.cache
def checkpoints() -> tuple[str, ...]:
    """Stored states at every step of every scripted person (as JSON, like a draft store)."""
    out: list[str] = []
    for name in PEOPLE:
        script = load(name, TODAY)
        run = start(script)
        for _ in range(120):
            out.append(run.state.to_json())
            if run.filing is not None:
                break
            answer_once(run, script)
    return tuple(out)


inputs = st.one_of(
    st.just(UserInput()),  # an adapter that sent nothing usable
    st.builds(lambda t: UserInput(text=t), st.text(max_size=60)),
    st.builds(
        lambda t: UserInput(text=t),
        st.sampled_from(
            [
                "1",
                "2",
                "99",
                "1,3,5",
                "ja",
                "nei",
                "tilbake",
                "/edit 3",
                "endre 99",
                "språk xx",
                "send",
                "",
                " ",
                "hopp over",
                "ferdig",
                "/start provider",
                "ettersendes",
                "0",
                "-1",
            ]
        ),
    ),
    st.builds(lambda c: UserInput(choice=c), st.text(max_size=20)),
    st.builds(lambda cs: UserInput(choices=tuple(cs)), st.lists(st.text(max_size=10), max_size=4)),
    st.builds(
        lambda c, a: UserInput(command=c, arg=a),
        st.sampled_from(COMMANDS),
        st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["1", "en", "provider"])),
    ),
    st.builds(
        lambda name, media, size, sha: UserInput(
            file=FileUpload(filename=name, media_type=media, size=size, sha256=sha, ref="r")
        ),
        st.text(max_size=30),
        st.sampled_from(["application/pdf", "image/png", "text/html", ""]),
        st.integers(min_value=-5, max_value=20 * 1024 * 1024),
        st.one_of(st.text(max_size=64), st.just("a" * 64)),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_never_raises(data: st.DataObject) -> None:
    ctx = context()
    state = State.from_json(data.draw(st.sampled_from(checkpoints())))
    internal = {texts(lang)["error.internal"] for lang in ("nb", "nn", "en")}
    for ui in data.draw(st.lists(inputs, min_size=1, max_size=4)):
        before = state.to_json()
        answers_before = dict(state.answers)
        state, replies, effects = engine.step(state, ui, ctx)
        assert replies, "every input gets an answer"
        if any(r.error for r in replies):  # a refused answer loses nothing already given
            assert state.answers == answers_before, ui
        assert not {r.text for r in replies} & internal, ui
        assert State.from_json(state.to_json()) == state
        assert State.from_json(before) is not state  # the input state is never mutated
        assert isinstance(effects, list)


def test_a_crash_inside_is_an_apology_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    from dialogues.turn import Turn

    state = State.from_json(checkpoints()[3])

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Turn, "run", broken)
    new, replies, effects = engine.step(state, UserInput(text="x"), context())
    assert new == state and effects == []
    assert replies[0].text == texts(state.language)["error.internal"]


def test_state_round_trips_and_stays_small() -> None:
    for text in checkpoints():
        state = State.from_json(text)
        assert state.to_json() == text
        assert len(text.encode()) < 8 * 1024


@pytest.mark.parametrize(
    "text",
    ["", "[]", "{}", '{"v": 99}', "not json", json.dumps({"v": 1, "language": "xx"})],
)
def test_a_bad_stored_state_is_refused_plainly(text: str) -> None:
    with pytest.raises(StateError):
        State.from_json(text)
