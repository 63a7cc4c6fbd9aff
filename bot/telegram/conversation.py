"""What the Telegram adapter keeps per chat, next to the engine's state, in the (encrypted) FSM
data: the engine state JSON, the live keyboard (nonce, choice ids, message id), the messages of
the conversation (to delete after filing), whether the person chose to keep them, and when the
person was last seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HANDLED_KEPT = 64


@dataclass
class Keyboard:
    nonce: str
    step: str
    choice_ids: list[str]
    message_id: int | None = None
    multi: bool = False


@dataclass
class Conversation:
    engine: str  # dialogues State.to_json()
    seen: float
    keyboard: Keyboard | None = None
    # [message_id, unix time sent]; both sides of the chat, so both can be deleted.
    messages: list[list[int]] = field(default_factory=list)
    paused: bool = False  # waiting for "resume or start over" after a gap
    keep: bool = False  # the person chose to keep the chat copy; by default it is deleted
    # The inputs applied lately ("m<message id>", "q<button press id>"): an update Telegram
    # sends again (to this worker or another, or after a restart) is recognised and not applied
    # twice. Saved with the engine state, so the two never disagree.
    handled: list[str] = field(default_factory=list)
    # [chat id, user id] of the storage key: lets the start-up sweep reach a conversation that a
    # stopped process left mid-filing (inside the encrypted data, never in a key or a log).
    who: list[int] | None = None
    # The last input applied (handled[-1]) is saved before its replies are sent; owed until
    # they are sent or kept, so a process that stops in between answers it when it comes again.
    owed: bool = False

    def seen_before(self, key: str) -> bool:
        return key in self.handled

    def applied(self, key: str) -> None:
        self.handled.append(key)
        del self.handled[:-HANDLED_KEPT]

    def track(self, message_id: int, sent_at: float) -> None:
        self.messages.append([message_id, int(sent_at)])

    def to_data(self) -> dict[str, Any]:
        # Built by hand: `dataclasses.asdict` deep-copies recursively and cost ~9% of an update.
        # The lists are still copied, so the stored data never aliases this object.
        keyboard = self.keyboard
        return {
            "c": {
                "engine": self.engine,
                "seen": self.seen,
                "keyboard": None
                if keyboard is None
                else {
                    "nonce": keyboard.nonce,
                    "step": keyboard.step,
                    "choice_ids": list(keyboard.choice_ids),
                    "message_id": keyboard.message_id,
                    "multi": keyboard.multi,
                },
                "messages": [list(m) for m in self.messages],
                "paused": self.paused,
                "keep": self.keep,
                "handled": list(self.handled),
                "who": None if self.who is None else list(self.who),
                "owed": self.owed,
            }
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Conversation | None:
        raw = data.get("c")
        if not isinstance(raw, dict):
            return None
        try:
            keyboard = raw.get("keyboard")
            return cls(
                engine=str(raw["engine"]),
                seen=float(raw["seen"]),
                keyboard=Keyboard(**keyboard) if isinstance(keyboard, dict) else None,
                messages=[[int(m), int(t)] for m, t in raw.get("messages", [])],
                paused=bool(raw.get("paused", False)),
                keep=bool(raw.get("keep", False)),
                handled=[str(key) for key in raw.get("handled", [])],
                who=[int(part) for part in who]
                if isinstance(who := raw.get("who"), list)
                else None,
                owed=bool(raw.get("owed", False)),
            )
        except (KeyError, TypeError, ValueError):
            return None
