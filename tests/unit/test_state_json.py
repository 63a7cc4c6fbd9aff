"""The state's JSON (orjson) is the text the stdlib wrote before, and reads what it wrote.

Drafts stored by earlier versions (in Redis, the SQLite draft file, a Rasa slot) were written by
`json.dumps(data, ensure_ascii=False, separators=(",", ":"))`; they must load as they did, and a
state must be written as the same text (a draft compared or hashed as text stays the same)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogues.state import _FIELDS, UNSET, State, StateError

# Every JSON value but floats (a state holds none: see State.to_json). Text of any code point,
# lone surrogates and control characters included; ints beyond 64 bits.
atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(),
    st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)),
    st.sampled_from([UNSET, "æøå ÆØÅ", "\u2028\u2029\x7f", "\ud800", "😀", '"\\/']),
)
values = st.recursive(
    atoms,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def stdlib_text(state: State) -> str:
    """What `State.to_json` wrote before orjson."""
    data = {name: getattr(state, name) for name in _FIELDS}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def stdlib_read(text: str) -> State:
    """What `State.from_json` read before orjson (the checks aside)."""
    return State(**json.loads(text))


states = st.builds(
    State,
    language=st.sampled_from(["nb", "nn", "en"]),
    draft_id=st.text(),
    answers=st.dictionaries(st.text(), values, max_size=6),
    history=st.lists(st.lists(values, max_size=3), max_size=4),
    mode=st.sampled_from(["ask", "edit", "summary", "done"]),
    focus=st.none() | st.text(),
    fails=st.dictionaries(st.text(), st.integers(0, 9), max_size=2),
    picks=st.lists(st.text(), max_size=3),
    offer=st.lists(st.text(), max_size=3),
    prior=st.dictionaries(st.text(), values, max_size=2),
    reference=st.none() | st.text(),
)


@settings(max_examples=400, deadline=None)
@given(states)
def test_written_as_the_stdlib_wrote_it_and_read_back(state: State) -> None:
    text = state.to_json()
    assert text == stdlib_text(state)
    # What the stdlib reads it as (a state never holds an int beyond 64 bits, which orjson would
    # read as a float: see State.to_json).
    if not _has_huge_int(dataclasses.astuple(state)):
        assert State.from_json(text) == stdlib_read(text)


@settings(max_examples=200, deadline=None)
@given(states)
def test_a_draft_the_stdlib_wrote_loads_as_before(state: State) -> None:
    text = stdlib_text(state)
    if not _has_huge_int(dataclasses.astuple(state)):
        assert State.from_json(text) == stdlib_read(text)


def test_what_only_the_stdlib_reads_is_read() -> None:
    """Text orjson refuses: a lone surrogate (escaped, or raw in the text), NaN."""
    base = State(language="nb", draft_id="d")
    for value, text in [
        ("\ud800", stdlib_text(dataclasses.replace(base, focus="\ud800"))),
        ("\udfff", stdlib_text(base).replace('"focus":null', '"focus":"\\udfff"')),
    ]:
        assert State.from_json(text).focus == value
    nan = State.from_json(stdlib_text(base).replace('"fails":{}', '"fails":{"x":NaN}'))
    assert nan.fails["x"] != nan.fails["x"]


@pytest.mark.parametrize("value", [dt.date(2026, 12, 1), dt.datetime(2026, 12, 1, 12), object()])
def test_what_the_stdlib_refused_is_refused(value: Any) -> None:
    """orjson would write a date; the stdlib refused it, and so does the state still."""
    with pytest.raises(TypeError):
        State(language="nb", draft_id="d", answers={"x": value}).to_json()


def test_a_bad_text_is_still_refused_plainly() -> None:
    for text in ["{", "[1] x", "\ufeff{}", '{"v":1,', "\ud800"]:
        with pytest.raises(StateError):
            State.from_json(text)


def _has_huge_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return any(_has_huge_int(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_huge_int(v) for v in value)
    return False


@settings(max_examples=200, deadline=None)
@given(states)
def test_the_state_as_a_json_value_is_the_state_as_text(state: State) -> None:
    """`to_data`/`from_data`: what a channel keeps inside its own JSON document is the value
    the state's text holds, and reads back as the text does."""
    text = state.to_json()
    assert json.loads(text) == json.loads(json.dumps(state.to_data()))
    if not _has_huge_int(dataclasses.astuple(state)):
        assert State.from_data(json.loads(text)) == State.from_json(text)


@pytest.mark.parametrize("value", [[], {}, {"v": 99}, {"v": 1, "language": "xx", "mode": "ask"}])
def test_a_bad_json_value_is_refused_plainly(value: Any) -> None:
    with pytest.raises(StateError):
        State.from_data(value)
