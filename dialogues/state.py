"""The conversation state: plain JSON values only, versioned, small enough for any draft store.

Answers are stored by step key (the field id, with an index in repeated groups:
`guardians[0].name`); a skipped optional question is stored as null. `history` is the stack of
answered keys with what each answer replaced, so "back" can undo it exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import orjson

from intake.messages import LANGUAGES, Language

STATE_VERSION = 1

Mode = Literal[
    "new",  # nothing shown yet
    "ask",  # asking the first unanswered question
    "edit",  # asking `focus` again (edit from the summary, a rule violation, or back)
    "summary",  # waiting for send / edit / cancel
    "choose_edit",  # waiting for the number of the answer to change
    "language",  # waiting for a language
    "confirm_cancel",
    "confirm_restart",
    "filing",  # FileReferral emitted, waiting for the adapter
    "done",
    "cancelled",
]
MODES: frozenset[str] = frozenset(Mode.__args__)  # type: ignore[attr-defined]

UNSET = "\u0000unset"  # marks "no answer" inside history entries (never a real answer)


class StateError(ValueError):
    """A stored state that cannot be read (corrupt or from an unknown version)."""


@dataclass(slots=True)
class State:
    language: Language
    draft_id: str
    answers: dict[str, Any] = field(default_factory=dict)
    # Each entry: [key, previous value or UNSET, {other key: previous value or UNSET}].
    history: list[list[Any]] = field(default_factory=list)
    mode: Mode = "new"
    focus: str | None = None  # the key asked again in "edit" mode
    resume: Mode = "ask"  # where to return after a language pick or a cancel we did not confirm
    fails: dict[str, int] = field(default_factory=dict)
    picks: list[str] = field(default_factory=list)  # multi-select built up button by button
    offer: list[str] = field(default_factory=list)  # kommune numbers offered for an ambiguous name
    prior: dict[str, Any] = field(default_factory=dict)  # answers undone by "back", as hints
    reference: str | None = None
    v: int = STATE_VERSION

    def to_json(self) -> str:
        """Compact JSON, non-ASCII as it is: the text `json.dumps(data, ensure_ascii=False,
        separators=(",", ":"))` writes, by orjson at a fifth of its cost. What orjson would
        write otherwise or refuses (a date or a dataclass, a lone surrogate, an int beyond 64
        bits, a key that is not text) goes to the stdlib, so it is written, or refused, as
        before (tests/unit/test_state_json.py). Floats are the one difference (`1e16` for
        `1e+16`, null for NaN): a state holds none (answers are text, booleans, null, choice
        ids, an upload's metadata; counts are ints)."""
        data = self.to_data()
        try:
            return orjson.dumps(data, option=_PASSTHROUGH).decode()
        except TypeError:  # orjson.JSONEncodeError is one
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def to_data(self) -> dict[str, Any]:
        """The state as the JSON value `to_json` writes (its own dicts and lists, not copies:
        to be written, not changed), for a channel that keeps it inside a JSON document of its
        own rather than as a string within one (no escaping, no second parse)."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, text: str) -> State:
        try:
            data = _loads(text)
        except (ValueError, TypeError) as exc:
            raise StateError("state is not JSON") from exc
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Any) -> State:
        """The state of a JSON value `to_data` gave (read back by the channel), judged as
        `from_json` judges its text; the state takes the value's dicts and lists as its own."""
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            raise StateError("unknown state version")
        if data.get("language") not in LANGUAGES or data.get("mode") not in MODES:
            raise StateError("state has an unknown language or mode")
        try:
            state = cls(**data)
        except TypeError as exc:
            raise StateError("state has unknown fields") from exc
        if not isinstance(state.answers, dict) or not isinstance(state.history, list):
            raise StateError("state is malformed")
        return state

    def copy(self) -> State:
        """A deep copy (every value is plain JSON), so a step never mutates its input.

        Structural rather than through JSON text, at a fraction of the cost, since every turn
        copies the state. The answers' values and the history's entries are shared, not
        copied: a turn replaces an answer and appends or pops an entry, it never changes one
        in place (tests/unit/test_engine_input.py), so the copy's dict and list are its own.
        The scratch fields are usually empty: an empty dict or list is made as it is."""
        fails, picks, offer, prior = self.fails, self.picks, self.offer, self.prior
        return State(
            self.language,
            self.draft_id,
            dict(self.answers),
            list(self.history),
            self.mode,
            self.focus,
            self.resume,
            {} if not fails and type(fails) is dict else clone(fails),
            [] if not picks and type(picks) is list else clone(picks),
            [] if not offer and type(offer) is list else clone(offer),
            {} if not prior and type(prior) is dict else clone(prior),
            self.reference,
            self.v,
        )


# Values copied as they are: immutable, and most answers are one of these.
_ATOMS: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_SEQUENCES = (list, tuple)  # (made once: `list | tuple` in the call builds a union every time)


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (tuples become lists, as JSON would make them)."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict or isinstance(value, dict):
        return {k: v if type(v) in _ATOMS else clone(v) for k, v in value.items()}
    if kind is list or isinstance(value, _SEQUENCES):
        return [v if type(v) in _ATOMS else clone(v) for v in value]
    return value


_FIELDS = tuple(f.name for f in fields(State))
# What the stdlib refused, orjson refuses too (to_json): it does not write these on its own.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _loads(text: str) -> Any:
    """`json.loads(text)`, by orjson when it can read the text. The stdlib reads what orjson
    refuses and `to_json` could have written before, or the stdlib reads still (a lone
    surrogate, NaN): a draft stored by any earlier version loads as it did. An int beyond 64
    bits orjson reads as a float; a state never holds one (see `to_json`)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
