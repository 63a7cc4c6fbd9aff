"""Action-server calls exactly as Rasa 3.6 sends them, and a stand-in for Rasa's form loop.

`call()` builds the body of `RemoteAction._action_call_format` in Rasa 3.6: `next_action`,
`sender_id`, `tracker` (`DialogueStateTracker.current_state(EventVerbosity.ALL)`), `domain`
(`Domain.as_dict()`) and `version`. For a form validation, the tracker is Rasa's temporary one:
the events so far, `SlotSet(requested_slot)`, `ActionExecuted(form)`, then the slot candidates,
which is where rasa-sdk's `slots_to_validate()` looks.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

RASA_VERSION = "3.6.21"
FORM = "referral_form"
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


def loop_event(name: str | None) -> dict[str, Any]:
    return {"event": "active_loop", "timestamp": _ts(), "metadata": {}, "name": name}


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
    active_loop: str | None = FORM,
) -> dict[str, Any]:
    latest = next((e for e in reversed(events) if e["event"] == "user"), None)
    latest_action = next((e for e in reversed(events) if e["event"] == "action"), None)
    all_slots: dict[str, Any] = {name: None for name in domain()["slots"]}
    # Rasa's own slots come with the domain's: requested_slot, session_started_metadata.
    all_slots |= {"language": "nb", "requested_slot": None, "session_started_metadata": None}
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


def validation_call(
    sender: str,
    slots: Mapping[str, Any],
    requested: str,
    text: str,
    intent: str = "inform",
    *,
    form: str = FORM,
) -> dict[str, Any]:
    """Rasa's call to `validate_<form>` after the person answered `requested`."""
    events = [
        *_session_start(),
        *[slot_event(name, value) for name, value in slots.items() if value is not None],
        loop_event(form),
        slot_event("requested_slot", requested),
        action_event("action_listen"),
        user_event(text, intent),
        slot_event(requested, text),  # action_extract_slots: from_text
        {"event": "user_featurization", "timestamp": _ts(), "use_text_for_featurization": False},
        slot_event("requested_slot", requested),  # FormAction._temporary_tracker
        action_event(form),
        slot_event(requested, text),  # the candidate to validate
    ]
    state = {**slots, requested: text, "requested_slot": requested}
    return call(f"validate_{form}", tracker(sender, state, events, active_loop=form))


def action_call(
    name: str,
    sender: str,
    slots: Mapping[str, Any],
    text: str,
    intent: str = "inform",
    *,
    loop: str | None = FORM,
) -> dict[str, Any]:
    """Rasa's call to a custom action run by a rule right after the person said `text`, while
    `loop` is the active loop (None: no form runs)."""
    events = [
        *_session_start(),
        *[slot_event(n, v) for n, v in slots.items() if v is not None],
        *([loop_event(loop)] if loop else []),
        action_event("action_listen"),
        user_event(text, intent),
    ]
    return call(name, tracker(sender, slots, events, active_loop=loop))


def apply(slots: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Apply the events an action returned to the slots, as Rasa's tracker does."""
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
        elif event["event"] == "reset_slots":
            language = slots.get("language")
            slots.clear()
            slots["language"] = language


def converse(
    post: Callable[[dict[str, Any]], tuple[int, Any]],
    answer: Callable[[str], str],
    *,
    sender: str,
    language: str = "nb",
    limit: int = 120,
) -> tuple[dict[str, Any], list[str]]:
    """Play Rasa's form loop against the action server until the form is complete: ask the
    requested slot, validate the answer, apply the events. Returns the slots and what was said."""
    slots: dict[str, Any] = {"language": language, "requested_slot": "kommune"}
    said: list[str] = []
    for _ in range(limit):
        requested = slots.get("requested_slot")
        if requested is None:
            return slots, said
        status, body = post(validation_call(sender, slots, requested, answer(requested)))
        assert status == 200, (requested, status, body)
        said += [r["text"] for r in body["responses"] if r.get("text")]
        apply(slots, body["events"])
    raise AssertionError("the form did not finish")


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
