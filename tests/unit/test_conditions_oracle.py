"""The engine's quick readings give the answers of the slow, plain ones.

`conditions.evaluate` walks the parsed tree; `conditions.compiled` (what `flow.load` puts on
every step, choice and group) reads the usual shapes directly. Two oracles: every condition of
flow.json on the facts of generated answers, and generated conditions on generated facts.
And `Plan.after`, which keeps the facts and questions after an answer that cannot change them,
agrees with planning the answers again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogues import conditions, planner, render
from dialogues.flow import Step, condition, load
from dialogues.plan import _LAYOUT, _PLAN, Plan, _group_slots, derived, facts, is_stale, step_key
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


# Every question's key: each step outside groups, each group step at its first three rows.
KEYS = {
    step_key(step, index): step
    for step in FLOW.steps
    for index in ((None,) if step.group is None else (0, 1, 2))
}
_ABSENT = object()
ROLE = KEYS["submitter.role"]
# A role (almost every condition reads it), and each other question answered about half the
# time (as optional keys, hypothesis leaves most of them out).
ANSWERS = st.fixed_dictionaries(
    {
        **{key: st.one_of(st.just(_ABSENT), _value(step)) for key, step in KEYS.items()},
        ROLE.id: st.sampled_from([c.id for c in ROLE.choices]),
    }
).map(lambda drawn: {k: v for k, v in drawn.items() if v is not _ABSENT})


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


NEW = st.fixed_dictionaries({key: _value(step) for key, step in KEYS.items()})


@settings(max_examples=150, deadline=None)
@given(ANSWERS, NEW)
def test_a_plan_kept_after_an_answer_is_the_plan_made_again(
    answers: dict[str, Any], new: dict[str, Any]
) -> None:
    """For every question, a new answer the plan keeps itself after gives the plan made again."""
    ctx = context()
    for key, value in new.items():
        given = dict(answers)
        before = Plan(given, ctx)
        before.first_open()  # worked out for the answers before, as a turn does
        given[key] = value
        kept = before.after(key)
        if kept is None:
            continue  # an answer that can steer the plan: the turn plans again
        again = Plan(dict(given), ctx)
        assert (kept.env, kept.slots, kept.first_open()) == (
            again.env,
            again.slots,
            again.first_open(),
        ), key


def test_only_an_answer_no_condition_reads_keeps_the_plan() -> None:
    plan = Plan({}, context())
    assert plan.after("person.given_name") is not None
    assert plan.after("guardians[0].phone") is not None
    for steering in ("submitter.role", "person.national_id", "requests", "guardians[0].name"):
        assert plan.after(steering) is None, steering


# The conditions on what an answer sets besides its own field (`sets` in flow.json), which the
# engine reads through `flow.condition`.
SET_CONDITIONS = sorted(
    {when for step in FLOW.steps for _choice, sets in step.sets for _k, _v, when in sets if when}
)


@settings(max_examples=200, deadline=None)
@given(ANSWERS)
def test_every_sets_condition_compiled_agrees_with_the_reference(answers: dict[str, Any]) -> None:
    assert SET_CONDITIONS  # the flow has some: the test would pass on none
    env = facts(answers, context())
    for source in SET_CONDITIONS:
        assert condition(source)(env) == conditions.evaluate(source, env), source


# The answers the birth date and the age are read from, drawn as often as all the others.
_AGE_KEYS = ("person.national_id", "person.birth_date", "person.unborn", "submitter.role")
CHANGED = st.sets(st.one_of(st.sampled_from(_AGE_KEYS), st.sampled_from(sorted(KEYS))), max_size=4)


@settings(max_examples=150, deadline=None)
@given(ANSWERS, NEW, CHANGED)
def test_a_plan_made_after_an_earlier_one_is_the_plan_made_afresh(
    answers: dict[str, Any], new: dict[str, Any], changed: set[str]
) -> None:
    """A plan that takes the birth date of the turn's earlier plan (`earlier`) is the plan of
    its own answers, whichever answers changed in between (the national id among them)."""
    ctx = context()
    earlier = Plan(dict(answers), ctx)
    given = {**answers, **{key: new[key] for key in changed}}
    for key in changed & {"person.unborn", "person.birth_date"}:
        given.pop(key)  # (now and then an answer is undone instead)
    later = Plan(given, ctx, earlier=earlier)
    again = Plan(dict(given), ctx)
    assert (later.born, later.env, later.slots, later.first_open()) == (
        again.born,
        again.env,
        again.slots,
        again.first_open(),
    )


CHOICE_STEPS = [step for step in FLOW.steps if step.kind in ("choice", "multi")]


@settings(max_examples=100, deadline=None)
@given(ANSWERS, st.text(max_size=5))
def test_a_choice_offered_alone_is_a_choice_among_those_offered(
    answers: dict[str, Any], odd_id: str
) -> None:
    plan = Plan(answers, context())
    for step in CHOICE_STEPS:
        for choice_id in [*(c.id for c in step.choices), odd_id]:
            assert plan.offers(step, choice_id) == (choice_id in plan.allowed_ids(step)), step.id


def _plain_plan(answers: dict[str, Any], env: dict[str, Any]) -> list[Any]:
    """The plan read plainly off the layout: each part's test, then its questions or its
    group's (what `dialogues.planner` writes out as one function)."""
    out: list[Any] = []
    for test, run, rows in _LAYOUT.flat:
        if test is None or test(env):
            out += run if rows is None else _group_slots(answers, rows, env)
    return out


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_the_written_plan_is_the_plain_reading_of_the_layout(answers: dict[str, Any]) -> None:
    env = facts(answers, context())
    assert _PLAN(answers, env) == _plain_plan(answers, env)


def _written(source: str) -> planner.PlanFunction:
    """A plan of one part under `source`: its one question is asked when the condition holds."""
    return planner.write([(source, conditions.compiled(source), ("asked",), None)], _group_slots)


@settings(max_examples=500, deadline=None)
@given(expression, ENVS)
def test_generated_conditions_written_agree_with_the_reference(
    source: str, env: dict[str, Any]
) -> None:
    assert (_written(source)({}, env) == ["asked"]) == conditions.evaluate(source, env), source


@settings(max_examples=150, deadline=None)
@given(ANSWERS, NEW)
def test_a_stored_choice_is_stale_when_the_branch_does_not_offer_it(
    answers: dict[str, Any], new: dict[str, Any]
) -> None:
    """`is_stale` (which judges only the stored choices' own conditions where it can) against
    the choices the branch offers, for every stored value the strategies draw."""
    plan = Plan(answers, context())
    for step in CHOICE_STEPS:
        value = new.get(step.id)
        if value is None:
            continue
        allowed = plan.allowed_ids(step)
        try:
            plain = (
                value not in allowed
                if step.kind == "choice"
                else not isinstance(value, list) or any(v not in allowed for v in value)
            )
        except TypeError:  # an unhashable stored value: the same error either way
            with pytest.raises(TypeError):
                is_stale(step, value, plan)
            continue
        assert is_stale(step, value, plan) == plain, step.id


@settings(max_examples=200, deadline=None)
@given(ANSWERS)
def test_the_first_open_question_is_the_first_unanswered_or_stale(answers: dict[str, Any]) -> None:
    plan = Plan(answers, context())

    def open_(slot: Any) -> bool:
        return slot.key not in answers or is_stale(slot.step, answers[slot.key], plan)

    try:
        plain = next((slot for slot in plan.slots if open_(slot)), None)
    except TypeError:  # an unhashable stored choice: the same error either way
        with pytest.raises(TypeError):
            plan.first_open()
        return
    assert plan.first_open() == plain


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_the_written_facts_are_the_plain_reading_of_the_layout(answers: dict[str, Any]) -> None:
    """Each answer a condition reads joins the facts, in order, when given and its question's
    condition holds on the facts so far."""
    ctx = context()
    plain = derived(answers, ctx)
    for key, _when, test in _LAYOUT.facts:
        if key in answers and (test is None or test(plain)):
            plain[key] = answers[key]
    assert facts(answers, ctx) == plain


@settings(max_examples=150, deadline=None)
@given(ANSWERS, NEW, CHANGED)
def test_a_plan_kept_after_several_answers_is_the_plan_made_again(
    answers: dict[str, Any], new: dict[str, Any], changed: set[str]
) -> None:
    """An answer with the facts it gave besides its own (`Plan.after` with several keys): when
    the plan keeps itself, it is the plan made again, its first open question included (found
    from where the search before the answers stopped)."""
    ctx = context()
    given = dict(answers)
    before = Plan(given, ctx)
    before.first_open()
    given.update({key: new[key] for key in changed})
    kept = before.after(*changed)
    if kept is None:
        return
    again = Plan(dict(given), ctx)
    assert (kept.env, kept.slots, kept.first_open()) == (
        again.env,
        again.slots,
        again.first_open(),
    ), changed


@settings(max_examples=100, deadline=None)
@given(ANSWERS)
def test_a_questions_place_is_its_place_among_the_questions_counted(
    answers: dict[str, Any],
) -> None:
    """`render._place`: (place, count) among the questions counted, the one asked always counted."""
    slots = Plan(answers, context()).slots
    for key in [*(slot.key for slot in slots), "no.such.question"]:
        keys = [s.key for s in slots if s.step.asked_with is None or s.key == key]
        place = keys.index(key) + 1 if key in keys else len(keys)
        assert render._place(key, slots) == (place, len(keys)), key


def _plain_group(answers: dict[str, Any], rows: Any, env: dict[str, Any]) -> list[Any]:
    """A group's questions as the layout says: row by row, each question whose condition
    holds, until a row's first question is skipped or its "another one?" is not yes."""
    out = []
    for row in rows:
        empty = answers.get(row.first_key, "") is None
        out += [
            slot for slot, test in (row.first if empty else row.full) if test is None or test(env)
        ]
        if empty or row.more_key is None or answers.get(row.more_key) is not True:
            break
    return out


@settings(max_examples=300, deadline=None)
@given(ANSWERS)
def test_a_groups_questions_are_the_plain_reading_of_its_rows(answers: dict[str, Any]) -> None:
    env = facts(answers, context())
    for part in _LAYOUT.parts:
        if part.rows is not None:
            assert _group_slots(answers, part.rows, env) == _plain_group(answers, part.rows, env)


def test_a_group_question_with_a_condition_is_asked_when_it_holds() -> None:
    """(No group question of today's flow has a condition: rows with one are read pair by pair.)"""
    import dataclasses

    rows = next(part.rows for part in _LAYOUT.parts if part.rows)
    row = rows[0]
    second = row.full[1][0]
    tested = dataclasses.replace(
        row,
        full=(row.full[0], (second, lambda env: env.get("x") == 1), *row.full[2:]),
        full_slots=None,
    )
    answers = {row.first_key: "Kari"}
    for env, asked in (({"x": 1}, True), ({"x": 2}, False)):
        got = _group_slots(answers, (tested,), env)
        assert got == _plain_group(answers, (tested,), env)
        assert (second in got) is asked
