"""The referral dialogue as data: `data/flow.json` (steps, conditions, choices) and
`texts/{nb,nn,en}.json` (every sentence the person reads).

A step's `id` is the canonical field id of REFERRAL.md. Steps of a repeated group use `[]` in
their id (`guardians[].name`); the engine turns that into `guardians[0].name` for each entry.
A group ends with a `<group>[].more` step ("add another?"), whose `field` is the group itself.

A question, help, example or choice text may have a wording per submitter role, keyed
`<key>.<role>` (`q.person.given_name.self`: "du" instead of "personen"); the engine uses it
when the texts have it (`variant`), else `<key>`. A multi step with `"allow_all": true` takes
"alle"/"all" for every choice shown.

`load()` reads the data once and compiles every condition (`test`: a function of the facts,
None where there is no condition), so the engine never parses a condition while it runs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from dialogues import conditions
from dialogues.conditions import Test
from dialogues.types import StepKind
from intake.texts import Catalogue, Language

TEXTS = Catalogue("dialogues", "texts")


@cache
def condition(source: str) -> Test:
    """A condition of the flow data, compiled the first time it is asked for (each once)."""
    return conditions.compiled(source)


def _compiled(when: str | None) -> Test | None:
    return condition(when) if when else None


@dataclass(frozen=True, slots=True)
class ChoiceDef:
    id: str
    when: str | None = None
    # `when` compiled at load (not part of what the data says: left out of == and repr)
    test: Test | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    min: int
    max: int
    when: str | None = None
    # `when` compiled at load (not part of what the data says: left out of == and repr)
    test: Test | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    kind: StepKind
    field: str
    text: str
    label: str
    section: str
    choices: tuple[ChoiceDef, ...] = ()
    when: str | None = None
    optional: bool = False
    validator: str | None = None
    help: str | None = None
    example: str | None = None
    group: str | None = None
    more: bool = False
    must_be: bool | None = None
    must_be_error: str | None = None
    on_false: str | None = None
    # A multi-select where "alle"/"all" picks every choice shown.
    allow_all: bool = False
    # `when` compiled at load (not part of what the data says: left out of == and repr)
    test: Test | None = dataclasses.field(default=None, compare=False, repr=False)
    # Every choice id, when no choice has a condition (a stored choice is then never stale).
    fixed_choices: frozenset[str] | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    # Several facts in one answer: the splitter in `dialogues.split` that finds them.
    split: str | None = None
    # An answer that answers other fields too: choice id ("yes"/"no" for a yes/no) ->
    # ((field key, value, condition or None), ...). A value "@field" copies that answer.
    sets: tuple[tuple[str, tuple[tuple[str, Any, str | None], ...]], ...] = ()
    # The answer itself is no field of the referral, only what it `sets` is.
    virtual: bool = False
    # Usually answered together with that step's answer (a postcode in the address line):
    # asked on its own only when missing, so the progress estimate does not count it.
    asked_with: str | None = None

    def sets_for(self, value: object) -> tuple[tuple[str, Any, str | None], ...]:
        """What an answer sets besides this step's own field (empty when nothing)."""
        if not self.sets:  # (most steps)
            return ()
        if isinstance(value, bool):
            value = "yes" if value else "no"
        return next((sets for choice, sets in self.sets if choice == value), ())

    def choice_key(self, choice_id: str) -> str:
        if self.kind == "yes_no":
            return f"c.{choice_id}"
        return f"c.{self.id}.{choice_id}"


@dataclass(frozen=True, slots=True)
class Flow:
    version: int
    steps: tuple[Step, ...]
    groups: dict[str, Group]
    commands: dict[str, tuple[str, ...]]
    by_id: dict[str, Step] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def step(self, step_id: str) -> Step | None:
        return self.by_id.get(step_id)


def _read(path: str) -> Any:
    return json.loads(resources.files("dialogues").joinpath(path).read_text("utf-8"))


def _step(raw: dict[str, Any]) -> Step:
    step_id = str(raw["id"])
    group = step_id.split("[]")[0] if "[]" in step_id else None
    more = step_id.endswith("[].more")
    choices = tuple(
        ChoiceDef(c)
        if isinstance(c, str)
        else ChoiceDef(str(c["id"]), c.get("when"), _compiled(c.get("when")))
        for c in raw.get("choices", [])
    )
    fixed = None if any(c.when for c in choices) else frozenset(c.id for c in choices)
    if raw["kind"] == "yes_no" and not choices:
        choices = (ChoiceDef("yes"), ChoiceDef("no"))
    return Step(
        id=step_id,
        kind=cast(StepKind, raw["kind"]),
        field=str(raw.get("field", group if more else step_id)),
        text=str(raw.get("text", f"q.{step_id}")),
        label=str(raw.get("label", f"l.{step_id}")),
        section=str(raw.get("section", "")),
        choices=choices,
        when=raw.get("when"),
        optional=bool(raw.get("optional", False)),
        validator=raw.get("validator"),
        help=raw.get("help"),
        example=raw.get("example"),
        group=group,
        more=more,
        must_be=raw.get("must_be"),
        must_be_error=raw.get("must_be_error"),
        on_false=raw.get("on_false"),
        allow_all=bool(raw.get("allow_all", False)),
        test=_compiled(raw.get("when")),
        fixed_choices=fixed,
        split=raw.get("split"),
        virtual=bool(raw.get("virtual", False)),
        asked_with=raw.get("asked_with"),
        sets=tuple(
            (str(choice), tuple(_set(f, v) for f, v in fields.items()))
            for choice, fields in raw.get("sets", {}).items()
        ),
    )


def _set(field: str, raw: Any) -> tuple[str, Any, str | None]:
    """`"f": value` or `"f": {"value": value, "when": condition}`."""
    if isinstance(raw, dict) and "value" in raw:
        return str(field), raw["value"], raw.get("when")
    return str(field), raw, None


# The submitter roles a text may have its own wording for (`flow.variant`).
ROLES = frozenset({"self", "parent", "guardian", "attorney", "relative", "provider"})


@cache
def load() -> Flow:
    data = _read("data/flow.json")
    groups = {
        name: Group(name, int(g["min"]), int(g["max"]), g.get("when"), _compiled(g.get("when")))
        for name, g in data["groups"].items()
    }
    commands = {name: tuple(words) for name, words in _read("data/commands.json").items()}
    steps = tuple(_step(s) for s in data["steps"])
    return Flow(int(data["version"]), steps, groups, commands, {s.id: s for s in steps})


def steps() -> tuple[Step, ...]:
    return load().steps


# Every text of a language by key (`Catalogue.table`).
texts: Callable[[Language], Mapping[str, str]] = TEXTS.table


def variant(language: Language, key: str, role: object) -> str:
    """`key.<role>` when the texts have a wording for that submitter role, else `key`.

    So a question can say "du" to someone writing about themselves ("q.person.given_name.self")
    and "personen" to everyone else, without the flow knowing about grammar."""
    if isinstance(role, str) and role:
        candidate = f"{key}.{role}"
        if candidate in texts(language):
            return candidate
    return key


def wordings(language: Language, key: str) -> tuple[str, ...]:
    """`key` and every role wording of it the texts have (for code that recognises texts)."""
    table = texts(language)
    return (key, *(k for k in table if k.startswith(f"{key}.") and k[len(key) + 1 :] in ROLES))


# A text by key (a missing key: logged, and bokmål shown; see `Catalogue.text`). The
# catalogue's own method, since the engine looks texts up several times a turn.
text = TEXTS.text
