"""`Conversation.to_data` / `from_data`: the per-chat data kept in the (encrypted) FSM storage."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.conversation import Conversation, Keyboard

keyboards = st.none() | st.builds(
    Keyboard,
    nonce=st.text(max_size=8),
    step=st.text(max_size=12),
    choice_ids=st.lists(st.text(max_size=6), max_size=5),
    message_id=st.none() | st.integers(min_value=1, max_value=2**40),
    multi=st.booleans(),
)
conversations = st.builds(
    Conversation,
    engine=st.text(max_size=40),
    seen=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    keyboard=keyboards,
    messages=st.lists(
        st.lists(st.integers(min_value=1, max_value=2**40), min_size=2, max_size=2), max_size=8
    ),
    paused=st.booleans(),
    keep=st.booleans(),
    handled=st.lists(st.text(max_size=12), max_size=4),
    who=st.none() | st.lists(st.integers(min_value=1, max_value=2**40), min_size=2, max_size=2),
)


@given(conversations)
def test_to_data_is_what_asdict_gave_and_round_trips_through_json(conv: Conversation) -> None:
    data = conv.to_data()
    # The stored shape must not change: drafts saved before this version still load, and back.
    assert data == {"c": dataclasses.asdict(conv)}
    stored = json.loads(json.dumps(data))
    assert stored == data
    assert Conversation.from_data(stored) == conv


def test_to_data_does_not_alias_the_live_object() -> None:
    conv = Conversation(
        engine="{}", seen=1.0, keyboard=Keyboard("n", "s", ["a"]), messages=[[1, 2]]
    )
    data = conv.to_data()
    conv.track(3, 4.0)
    conv.messages[0][0] = 9
    assert conv.keyboard is not None
    conv.keyboard.choice_ids.append("b")
    assert data["c"]["messages"] == [[1, 2]]
    assert data["c"]["keyboard"]["choice_ids"] == ["a"]


def test_from_data_rejects_what_is_not_a_conversation() -> None:
    assert Conversation.from_data({}) is None
    assert Conversation.from_data({"c": "x"}) is None
    assert Conversation.from_data({"c": {"seen": 1.0}}) is None
