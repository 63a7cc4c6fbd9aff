"""The flow data and the texts: complete, consistent with the model, every step reachable."""

from __future__ import annotations

import itertools
import re
import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from dialogues import conditions
from dialogues.flow import load, steps, texts
from dialogues.plan import plan
from dialogues.state import State
from dialogues.validators import VALIDATORS
from intake.messages import LANGUAGES
from intake.model import Referral
from tests.conversations.drive import TODAY, context
from tests.synthetic import born_years_ago, synthetic_id

FACTS = {
    "role",
    "age",
    "unborn",
    "minor",
    "child",
    "adult",
    "to_be_heard",
    "requests",
    "consent_age",
}


def _model_of(annotation: Any) -> Any:
    """Unwrap `X | None`, `tuple[X, ...]` and `Annotated[...]` down to a model or a type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _model_of(args[0])
    if origin is tuple:
        return _model_of(typing.get_args(annotation)[0])
    return annotation


def field_exists(path: str) -> bool:
    node: Any = Referral
    for part in path.replace("[]", "").split("."):
        if not (isinstance(node, type) and issubclass(node, BaseModel)):
            return False
        if part not in node.model_fields:
            return False
        node = _model_of(node.model_fields[part].annotation)
    return True


@pytest.mark.parametrize("step", steps(), ids=lambda s: s.id)
def test_every_step_fills_a_field_of_the_model(step: Any) -> None:
    if step.virtual:  # a gate or a statement: what it sets are the model's fields
        assert step.sets or step.kind == "multi", step.id
    else:
        assert field_exists(step.field), step.field
    for _choice, sets in step.sets:
        for key, _value, _when in sets:
            assert field_exists(re.sub(r"\[\d+\]", "", key)), key


def test_step_ids_are_unique_and_validators_known() -> None:
    ids = [s.id for s in steps()]
    assert len(ids) == len(set(ids))
    for step in steps():
        assert step.validator is None or step.validator in VALIDATORS, step.id
        if step.kind in ("choice", "multi"):
            assert step.choices, step.id


def test_choice_ids_are_the_models_enum_values() -> None:
    for step in steps():
        if step.kind not in ("choice", "multi") or step.virtual:
            continue
        enum = _model_of(_annotation(step.field))
        values = {m.value for m in enum}
        assert {c.id for c in step.choices} <= values, step.id


def _annotation(path: str) -> Any:
    node: Any = Referral
    annotation: Any = None
    for part in path.split("."):
        annotation = node.model_fields[part].annotation
        node = _model_of(annotation)
    return annotation


def test_conditions_parse_and_read_only_known_names() -> None:
    fields = {s.id for s in steps()}
    sources = [s.when for s in steps() if s.when]
    sources += [c.when for s in steps() for c in s.choices if c.when]
    sources += [g.when for g in load().groups.values() if g.when]
    for source in sources:
        for name in conditions.names(source):
            assert name in FACTS or name in fields, (source, name)


def test_condition_language() -> None:
    env = {"role": "parent", "age": 9, "requests": ["coordinator"], "x": None}
    assert conditions.holds("role == 'parent' and age < 18", env)
    assert conditions.holds("'coordinator' in requests and not (age >= 18)", env)
    assert conditions.holds("role not in ['self', 'provider']", env)
    assert not conditions.holds("x != null", env)
    assert not conditions.holds("x < 3", env)  # null compares false, never raises
    assert conditions.holds(None, env)
    for bad in ("role ==", "(age < 3", "age < 3 )", "role = 'x'", "__import__('os')"):
        with pytest.raises(conditions.ConditionError):
            conditions.parse(bad)


def _key_set(lang: str) -> set[str]:
    return set(texts(lang))  # type: ignore[arg-type]


def test_every_language_has_the_same_text_keys() -> None:
    nb = _key_set("nb")
    for lang in LANGUAGES:
        assert _key_set(lang) == nb, lang


def test_every_text_the_flow_names_exists() -> None:
    needed: set[str] = {"c.yes", "c.no"}
    for step in steps():
        needed |= {step.text, step.label}
        needed |= {k for k in (step.help, step.example) if k}
        needed |= {step.choice_key(c.id) for c in step.choices}
    for lang in LANGUAGES:
        missing = needed - _key_set(lang)
        assert not missing, (lang, sorted(missing))


def test_every_text_key_the_code_uses_exists() -> None:
    from pathlib import Path

    import dialogues

    root = Path(dialogues.__file__).parent
    used: set[str] = set()
    for path in [*root.glob("*.py"), Path("bot/terminal/chat.py"), Path("bot/commands/chat.py")]:
        source = path.read_text("utf-8")
        calls = r'(?:\.say|\.t|\btext|\bflow_text)\([^"\)]*"([a-z_]+\.[a-z_.]+)"'
        used |= set(re.findall(calls, source))
        used |= set(re.findall(r'"((?:filing|fail|hint|eof|summary)\.[a-z_]+)"', source))
    assert len(used) > 20
    for lang in LANGUAGES:
        assert used <= _key_set(lang), (lang, sorted(used - _key_set(lang)))


def test_no_text_is_empty_and_placeholders_match_across_languages() -> None:
    for key in _key_set("nb"):
        shapes = {
            lang: sorted(re.findall(r"\{(\w+)\}", texts(lang)[key]))  # type: ignore[index]
            for lang in LANGUAGES
        }
        assert all(texts(lang)[key].strip() for lang in LANGUAGES), key  # type: ignore[index]
        assert shapes["nb"] == shapes["nn"] == shapes["en"], key


def _answers_for(role: str, age: int | None, toggles: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {"submitter.role": role, "kommune": "4601"}
    if age is None:
        answers["person.unborn"] = True
    elif toggles:
        answers["person.national_id"] = synthetic_id(born_years_ago(TODAY, age))
    else:
        answers["person.national_id"] = None
        answers["person.birth_date"] = born_years_ago(TODAY, age).isoformat()
    answers["requests"] = ["individual_plan", "coordinator", "child_coordinator"]
    if toggles:
        answers |= {
            "submitter.person_informed": False,
            "person.contact_preference.channel": "phone",
            "person.interpreter.needed": True,
            "person.gp.name": "Lege",
            "existing_plan": "both",
            "wishes": ["preferred_coordinator", "relatives_to_involve", "support_person"],
            "consent.all": False,
            "preferred_coordinator.name": "Navn",
            "support_person.name": "Navn",
            "consent.given_by": "guardian",
            "guardians[0].name": "Forelder",
            "guardians[0].more": True,
            "current_services[0].service": "Tjeneste",
            "current_services[0].more": True,
            "relatives_to_involve[0].name": "Navn",
            "relatives_to_involve[0].more": True,
        }
    return answers


def test_every_step_is_reachable() -> None:
    ctx = context()
    seen: set[str] = set()
    roles = ("self", "parent", "guardian", "attorney", "relative", "provider")
    for role, age, toggles in itertools.product(roles, (None, 3, 10, 16, 40, 85), (True, False)):
        state = State(language="nb", draft_id="x", answers=_answers_for(role, age, toggles))
        seen |= {slot.step.id for slot in plan(state, ctx)}
    assert seen == {s.id for s in steps()}


def test_conditions_read_only_earlier_questions() -> None:
    """The plan is built in one pass, so a condition may only look back."""
    seen: set[str] = set()
    for step in steps():
        sources = [step.when, *(c.when for c in step.choices)]
        for source in filter(None, sources):
            for name in conditions.names(source) - FACTS:
                assert name in seen, (step.id, name)
        seen.add(step.id)
