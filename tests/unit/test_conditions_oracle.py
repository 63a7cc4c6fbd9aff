"""The compiled conditions the engine runs give the reference interpreter's answer.

`conditions.evaluate` walks the parsed tree; `conditions.compiled` (what `flow.load` puts on
every step, choice and group) reads the usual shapes directly. Two oracles: every condition of
flow.json on the facts of generated answers, and generated conditions on generated facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogues import conditions
from dialogues.flow import Step, load
from dialogues.plan import facts
from tests.conversations.drive import TODAY, context
from tests.unit.nid import first

FLOW = load()
# (where, source, compiled test) for every condition in the flow data.
CONDITIONS = [
    *((step.id, step.when, step.test) for step in FLOW.steps if step.when),
    *(
        (f"{step.id}:{choice.id}", choice.when, choice.test)
        for step in FLOW.steps
        for choice in step.choices
        if choice.when
    ),
    *((group.name, group.when, group.test) for group in FLOW.groups.values() if group.when),
]

odd = st.one_of(st.none(), st.integers(-3, 130), st.text(max_size=5), st.booleans())


def _value(step: Step) -> st.SearchStrategy[Any]:
    """An answer as the engine stores it, or now and then one it never would."""
    ids = [c.id for c in step.choices]
    if step.kind == "yes_no":
        usual: st.SearchStrategy[Any] = st.booleans()
    elif step.kind == "choice":
        usual = st.sampled_from(ids)
    elif step.kind == "multi":
        usual = st.lists(st.sampled_from(ids), unique=True, max_size=len(ids))
    elif step.kind == "national_id":
        born = st.dates(TODAY - dt.timedelta(days=100 * 365), TODAY + dt.timedelta(days=200))
        usual = st.builds(lambda d: first(d, scheme="tenor"), born)
    elif step.kind == "date":
        usual = st.dates(dt.date(1920, 1, 1), TODAY + dt.timedelta(days=300)).map(str)
    else:
        usual = st.text(max_size=8)
    return st.one_of(usual, usual, usual, st.none(), odd)


ANSWERS = st.fixed_dictionaries(
    {},
    optional={step.id: _value(step) for step in FLOW.steps if step.group is None},
)


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_every_flow_condition_compiled_agrees_with_the_reference(answers: dict[str, Any]) -> None:
    env = facts(answers, context())
    for where, source, test in CONDITIONS:
        assert test is not None, where
        assert test(env) == conditions.evaluate(source, env), (where, source)


NAMES = ("role", "age", "unborn", "requests", "x", "a.b")
atom = st.one_of(
    st.integers(-5, 120).map(str),
    st.sampled_from(["'parent'", "'coordinator'", "''", "true", "false", "null"]),
    st.sampled_from(NAMES),
)
value = st.one_of(
    atom, st.lists(atom, min_size=1, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
)
OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
compare = st.one_of(value, st.tuples(value, st.sampled_from(OPS), value).map(lambda t: " ".join(t)))
expression = st.recursive(
    compare,
    lambda inner: st.one_of(
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: " ".join(t)),
    ),
    max_leaves=6,
)
fact = st.one_of(
    odd,
    st.sampled_from(["parent", "coordinator", ""]),
    st.lists(st.sampled_from(["coordinator", "parent", 3, None]), max_size=3),
)
ENVS = st.dictionaries(st.sampled_from(NAMES), fact)


@settings(max_examples=500, deadline=None)
@given(expression, ENVS)
def test_generated_conditions_compiled_agree_with_the_reference(
    source: str, env: dict[str, Any]
) -> None:
    assert conditions.compiled(source)(env) == conditions.evaluate(source, env), source
