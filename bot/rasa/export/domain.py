"""The Rasa domain: the engine's state in one slot, two intents, one action."""

from __future__ import annotations

from typing import Any

from bot.rasa import turn
from bot.rasa.actions import custom_action_names
from bot.rasa.export import training
from bot.settings import Settings
from intake.texts import LANGUAGES


def ttl_hours() -> int:
    """How long an unfinished conversation is kept: the settings' default, as the intro says."""
    return int(Settings.model_fields["draft_ttl_hours"].default)


def _custom(slot_type: str, **extra: Any) -> dict[str, Any]:
    # Set by the action only: never filled from what the person typed, never a feature.
    return {
        "type": slot_type,
        **extra,
        "influence_conversation": False,
        "mappings": [{"type": "custom"}],
    }


def domain() -> dict[str, Any]:
    return {
        "version": "3.1",
        "intents": [training.START, training.INFORM],
        "slots": {
            turn.STATE: _custom("any"),
            turn.LANGUAGE: _custom("categorical", values=list(LANGUAGES)),
            turn.REFERENCE: _custom("any"),
        },
        "actions": custom_action_names(),
        "session_config": {
            # Matches what the intro promises: an unfinished conversation is kept this long.
            "session_expiration_time": ttl_hours() * 60,
            "carry_over_slots_to_new_session": False,
        },
    }
