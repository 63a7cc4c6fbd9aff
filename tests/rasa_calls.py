"""Action-server calls exactly as Rasa 3.6 sends them, and a stand-in for Rasa's loop.

`call()` builds the body of `RemoteAction._action_call_format` in Rasa 3.6: `next_action`,
`sender_id`, `tracker` (`DialogueStateTracker.current_state(EventVerbosity.ALL)`), `domain`
(`Domain.as_dict()`) and `version`. Every message of the person is one call to
`action_referral_turn` (the rule runs it after each user message); `converse` plays that loop,
applying the slot events to the tracker as Rasa does, and answers from a script by the step
the engine's state says it is asking.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

RASA_VERSION = "3.6.21"
DOMAIN_FILE = Path(__file__).resolve().parents[1] / "dialogues" / "rasa" / "domain.yml"
_clock = itertools.count()


def _ts() -> float:
    return time.time() + next(_clock) / 1000


@cache
def domain() -> dict[str, Any]:
    """The committed domain as Rasa 3.6's `Domain.as_dict()` sends it (checked against a captured
    call: the YAML's content with the intents sorted)."""
    raw: dict[str, Any] = YAML(typ="safe").load(DOMAIN_FILE.read_text("utf-8"))
    return {**raw, "intents": sorted(raw["intents"])}


def user_event(
    text: str, intent: str = "inform", entities: list[Any] | None = None
) -> dict[str, Any]:
    message_id = uuid.uuid4().hex
    parse_data = {
        "intent": {"name": intent, "confidence": 0.98},
        "entities": entities or [],
        "text": text,
        "message_id": message_id,
        "metadata": {},
        "text_tokens": [[0, len(text)]],
        "intent_ranking": [{"name": intent, "confidence": 0.98}],
    }
    return {
        "event": "user",
        "timestamp": _ts(),
        "metadata": {},
        "text": text,
        "parse_data": parse_data,
        "input_channel": "rest",
        "message_id": message_id,
    }


def action_event(name: str, policy: str | None = "RulePolicy") -> dict[str, Any]:
    return {
        "event": "action",
        "timestamp": _ts(),
        "metadata": {},
        "name": name,
        "policy": policy,
        "confidence": 1.0 if policy else None,
        "action_text": None,
        "hide_rule_turn": False,
    }


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "timestamp": _ts(), "metadata": {}, "name": name, "value": value}


def _session_start() -> list[dict[str, Any]]:
    return [
        action_event("action_session_start", policy=None),
        {"event": "session_started", "timestamp": _ts(), "metadata": {}},
        action_event("action_listen", policy=None),
    ]


def tracker(
    sender: str,
    slots: Mapping[str, Any],
    events: list[dict[str, Any]],
    *,
    active_loop: str | None = None,
) -> dict[str, Any]:
    latest = next((e for e in reversed(events) if e["event"] == "user"), None)
    latest_action = next((e for e in reversed(events) if e["event"] == "action"), None)
    all_slots: dict[str, Any] = {name: None for name in domain()["slots"]}
    # Rasa's own slot comes with the domain's (a domain without forms has no requested_slot).
    all_slots |= {"session_started_metadata": None}
    all_slots.update(slots)
    loop: dict[str, Any] = {}
    if active_loop:
        loop = {
            "name": active_loop,
            "is_interrupted": False,
            "rejected": False,
            "trigger_message": (latest or {}).get("parse_data", {}),
        }
    return {
        "sender_id": sender,
        "slots": all_slots,
        "latest_message": latest["parse_data"] if latest else {},
        "latest_event_time": events[-1]["timestamp"] if events else None,
        "followup_action": None,
        "paused": False,
        "events": events,
        "latest_input_channel": "rest",
        "active_loop": loop,
        "latest_action": {"action_name": latest_action["name"]} if latest_action else {},
        "latest_action_name": latest_action["name"] if latest_action else None,
    }


def call(next_action: str, tracker_state: dict[str, Any]) -> dict[str, Any]:
    return {
        "next_action": next_action,
        "sender_id": tracker_state["sender_id"],
        "tracker": tracker_state,
        "domain": domain(),
        "version": RASA_VERSION,
    }


def apply(slots: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Apply the events an action returned to the slots, as Rasa's tracker does."""
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
        elif event["event"] == "reset_slots":
            slots.clear()


TURN = "action_referral_turn"
STATE = "dialogue_state"


def turn_call(
    sender: str, slots: Mapping[str, Any], text: str, history: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Rasa's call to the turn action right after the person said `text`; `history` is the
    events of the conversation so far (kept by `Conversation`)."""
    events = [*(history if history is not None else _session_start())]
    events += [action_event("action_listen"), user_event(text)]
    return call(TURN, tracker(sender, slots, events))


@dataclass
class Conversation:
    """One Rasa conversation: the slots and events the tracker holds, grown call by call."""

    sender: str
    slots: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=_session_start)
    said: list[str] = field(default_factory=list)

    def body(self, text: str) -> dict[str, Any]:
        return turn_call(self.sender, self.slots, text, self.events)

    def took(self, text: str, result: dict[str, Any]) -> list[str]:
        """Apply the action's answer as Rasa does; returns what the bot said."""
        self.events += [action_event("action_listen"), user_event(text), action_event(TURN)]
        for event in result["events"]:
            self.events.append({**event, "timestamp": _ts()})
        apply(self.slots, result["events"])
        texts = [r["text"] for r in result["responses"] if r.get("text")]
        self.events += [
            {"event": "bot", "timestamp": _ts(), "text": t, "data": {}, "metadata": {}}
            for t in texts
        ]
        self.said += texts
        return texts

    def step(self) -> str:
        """What the engine asks now (from the state slot): a field id, "summary", "done"..."""
        from dialogues import engine
        from dialogues.state import State

        raw = self.slots.get(STATE)
        if not raw:
            return ""
        state = State.from_json(raw)
        return engine.current_step(state) or state.mode


def optional(step: str) -> bool:
    """Whether the flow lets the person skip the question `step` (`guardians[0].phone`)."""
    import re

    from dialogues.flow import load

    found = load().step(re.sub(r"\[\d+\]", "[]", step))
    return found is not None and found.optional


def converse(
    post: Callable[[dict[str, Any]], tuple[int, Any]],
    answer: Callable[[str], str],
    *,
    sender: str,
    language: str = "nb",
    limit: int = 150,
) -> Conversation:
    """Play a conversation against the action server until the engine says it is done: the
    first message picks the language, then `answer(step)` answers whatever the engine asks."""
    conv = Conversation(sender)
    text = language
    for _ in range(limit):
        status, result = post(conv.body(text))
        assert status == 200, (conv.step(), status, result)
        conv.took(text, result)
        step = conv.step()
        if step in ("done", "filing"):
            return conv
        text = answer(step)
    raise AssertionError(f"the conversation did not finish (at {conv.step()})")


def open_filed(data_dir: Path, reference: str) -> dict[str, Any]:
    """The one referral in the inbox under `data_dir`, opened with the demo KE key."""
    from bot.bootstrap import App
    from bot.settings import Settings
    from storage.crypto.body import unpack_body
    from storage.crypto.envelope import open_envelope
    from storage.crypto.keys import load_private_key

    app = App.from_settings(Settings(data_dir=data_dir), intake_side=False)
    try:
        records = app.inbox.list()
        assert [r.reference for r in records] == [reference]
        assert records[0].channel == "rasa"
        key = load_private_key(data_dir / "demo-keys" / "demo-ke.key", b"demo")
        _header, body = open_envelope(
            app.inbox.envelope(reference), private_key=key, verify_keys=app.verify_keys
        )
        referral_json, _attachments = unpack_body(body)
        data: dict[str, Any] = json.loads(referral_json)
        return data
    finally:
        app.close()


async def run(executor: Any, body: dict[str, Any]) -> dict[str, Any]:
    """One call through rasa-sdk's `ActionExecutor.run`, as its `/webhook` makes it."""
    result = await executor.run(body)
    assert result is not None
    dumped: dict[str, Any] = result.model_dump()
    return dumped


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def texts_of(result: dict[str, Any]) -> list[str]:
    return [r["text"] for r in result["responses"]]
