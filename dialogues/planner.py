"""The plan's questions as one function of the answers and the facts, written once from the
flow's layout when it is loaded (as `dataclasses` writes a class's `__init__`): each part's
condition inline in an `if`, its questions a constant, a group through `group`; and the same
for the answers that join the facts (`write_facts`).

Planning runs a few times a turn over some forty parts; written out, a part costs a comparison
instead of a loop step and a few closure calls. The source holds only names made here (`_k0`,
`_v1`, ...) and operators: every name, literal, test and question tuple of the flow reaches it
as a constant in its namespace, never as text. The usual shapes of a condition (those
`conditions.compiled` reads directly) are written inline with the same meaning; any other
condition calls its compiled test. tests/unit/test_conditions_oracle.py holds the function to
the plain reading of the layout (each part's test, then its questions or its group).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dialogues import conditions
from dialogues.conditions import Node, Test

# What a plan function is: (answers, facts) -> the questions, in order.
PlanFunction = Callable[[dict[str, Any], dict[str, Any]], list[Any]]
# A part as the writer reads it: (its condition's source, its compiled test, its questions
# outside groups, its group rows or None).
Part = tuple[str | None, Test | None, tuple[Any, ...], Any]
# What adds the answers conditions read to the facts: (answers, facts) -> None.
FactsFunction = Callable[[dict[str, Any], dict[str, Any]], None]
# A group's questions: (answers, rows, facts) -> the questions.
GroupFunction = Callable[[dict[str, Any], Any, dict[str, Any]], list[Any]]


class _Writer:
    def __init__(self, *, read_once: bool = False) -> None:
        self.namespace: dict[str, Any] = {"_COLLECTIONS": conditions.COLLECTIONS}
        self.count = 0
        # `read_once`: each fact a condition names is read from the facts once, into a local,
        # at the top of the function (`reads`), for a function that never changes the facts
        # (the plan's: its conditions read some twenty facts about forty times). A fact read
        # that the conditions' short circuits would have skipped reads nothing else and
        # changes nothing (`env.get` of a text key), so the truth of each is the same.
        self.read_once = read_once
        self.reads: dict[str, str] = {}  # the fact's name -> its local

    def const(self, value: Any) -> str:
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def local(self) -> str:
        self.count += 1
        return f"_v{self.count}"

    def truth(self, node: Node) -> str | None:
        """`node` as an expression of the same truth as the compiled test, or None when it
        has a shape written no other way than through the compiled test."""
        tag = node[0]
        if tag == "name":
            return self.fact(node[1])
        if tag == "not":
            inner = self.truth(node[1])
            return None if inner is None else f"(not {inner})"
        if tag in ("and", "or"):
            left, right = self.truth(node[1]), self.truth(node[2])
            if left is None or right is None:
                return None
            return f"({left} {tag} {right})"
        if tag == "cmp":
            return self.compare(node[1], node[2], node[3])
        return None

    def fact(self, name: str) -> str:
        """An expression whose value is the fact `name` (None when it is not there)."""
        if not self.read_once:
            return f"_get({self.const(name)})"
        local = self.reads.get(name)
        if local is None:
            local = self.reads[name] = f"_f{len(self.reads)}"
        return local

    def compare(self, op: str, left: Node, right: Node) -> str | None:
        if left[0] == "name" and right[0] == "lit" and op in ("==", "!="):
            fact, lit = self.fact(left[1]), right[1]
            if op == "==":
                return f"({fact} == {self.const(lit)})"
            if lit is None:
                return f"({fact} is not None)"
            value = self.local()
            return f"(({value} := {fact}) is not None and {value} != {self.const(lit)})"
        if (
            left[0] == "name"
            and right[0] == "list"
            and op in ("in", "not in")
            and all(item[0] == "lit" for item in right[1])
        ):
            items = self.const([item[1] for item in right[1]])
            return f"({self.fact(left[1])} {op} {items})"
        if left[0] == "lit" and right[0] == "name" and op == "in":
            value = self.local()
            lit, fact = self.const(left[1]), self.fact(right[1])
            return f"(isinstance(({value} := {fact}), _COLLECTIONS) and {lit} in {value})"
        return None

    def condition(self, source: str, test: Test | None) -> str:
        written = self.truth(conditions.parse(source))
        return written if written is not None else f"{self.const(test)}(env)"

    def function(self, name: str, body: list[str]) -> Any:
        """`def name(answers, env)` with `body` (its lines, indented once), made."""
        reads = [f"    {local} = _get({self.const(fact)})" for fact, local in self.reads.items()]
        lines = [f"def {name}(answers, env):", "    _get = env.get", *reads, *body]
        code = compile("\n".join(lines) + "\n", f"<dialogues.planner.{name}>", "exec")
        exec(code, self.namespace)  # noqa: S102 (our own names and operators only: see above)
        return self.namespace[name]


def write(parts: Sequence[Part], group: GroupFunction) -> PlanFunction:
    """The plan function of `parts`, in their order."""
    writer = _Writer(read_once=True)
    lines = ["    out = []"]
    for when, test, run, rows in parts:
        if rows is None:
            action = f"out += {writer.const(run)}"
        else:
            action = f"out += {writer.const(group)}(answers, {writer.const(rows)}, env)"
        if not when:
            lines.append(f"    {action}")
        else:
            lines.append(f"    if {writer.condition(when, test)}:")
            lines.append(f"        {action}")
    lines.append("    return out")
    function: PlanFunction = writer.function("plan", lines)
    return function


def write_facts(facts: Sequence[tuple[str, str | None, Test | None]]) -> FactsFunction:
    """The function that adds to the facts, in order, each answer of `facts` (key, condition
    source, compiled test) that is given and whose question's condition holds on the facts
    so far."""
    writer = _Writer()
    lines = []
    for key, when, test in facts:
        name = writer.const(key)
        given = f"{name} in answers"
        if when:
            given += f" and {writer.condition(when, test)}"
        lines += [f"    if {given}:", f"        env[{name}] = answers[{name}]"]
    function: FactsFunction = writer.function("facts", lines or ["    pass"])
    return function
