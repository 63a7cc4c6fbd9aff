"""A tiny, safe expression language for the `when` of a step in `flow.json`.

Grammar (no eval, no attribute access, no calls):

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := atom (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") atom)?
    atom    := NUMBER | 'string' | true | false | null | NAME
             | "[" atom ("," atom)* "]" | "(" expr ")"

A NAME is a derived fact (`role`, `age`, `minor`, `unborn`, `requests`, ...) or a field id
(`person.interpreter.needed`). Unknown names are null. A comparison involving null is false, so a
question whose condition cannot be judged yet is simply not asked yet.

Two readings of one parsed condition: `evaluate` walks the tree and is the reference;
`compiled` turns it into closures once (when the flow is loaded), which the engine runs. A
property test (tests/unit/test_conditions_oracle.py) holds the two to the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+)|'(?P<str>[^']*)'|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<bad>\S))"
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
# What `in` looks into (a tuple of types, made once: `list | tuple | ...` written in the call
# builds the union anew on every check).
COLLECTIONS = (list, tuple, set, frozenset)


class ConditionError(ValueError):
    """A condition in flow.json that does not parse (a bug in the data, caught by a test)."""


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num, str, op, name, kw
    value: str


def _tokens(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            if source[pos:].strip() == "":
                break
            raise ConditionError(f"cannot read condition at {pos}")
        pos = m.end()
        kind = m.lastgroup or "bad"
        value = m.group(kind) if kind else ""
        if kind == "bad":
            raise ConditionError(f"unexpected character at {pos}")
        if kind == "name" and value in _KEYWORDS:
            kind = "kw"
        out.append(_Tok(kind, value))
    return out


# The parsed form is a nested tuple: ("lit", v), ("name", n), ("list", [..]), ("not", e),
# ("and", a, b), ("or", a, b), ("cmp", op, a, b).
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends too early")
        self.i += 1
        return tok

    def is_(self, kind: str, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind and tok.value == value

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise ConditionError("trailing text in condition")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.is_("kw", "or"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.is_("kw", "and"):
            self.take()
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.is_("kw", "not"):
            self.take()
            return ("not", self.not_())
        return self.compare()

    def compare(self) -> Node:
        left = self.atom()
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.value in {"==", "!=", "<", "<=", ">", ">="}:
            self.take()
            return ("cmp", tok.value, left, self.atom())
        if self.is_("kw", "in"):
            self.take()
            return ("cmp", "in", left, self.atom())
        if self.is_("kw", "not"):
            self.take()
            if not self.is_("kw", "in"):
                raise ConditionError("expected 'in' after 'not'")
            self.take()
            return ("cmp", "not in", left, self.atom())
        return left

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("lit", int(tok.value))
        if tok.kind == "str":
            return ("lit", tok.value)
        if tok.kind == "kw" and tok.value in {"true", "false", "null"}:
            return ("lit", {"true": True, "false": False, "null": None}[tok.value])
        if tok.kind == "name":
            return ("name", tok.value)
        if tok.kind == "op" and tok.value == "(":
            node = self.or_()
            if not self.is_("op", ")"):
                raise ConditionError("missing ')'")
            self.take()
            return node
        if tok.kind == "op" and tok.value == "[":
            items = [self.atom()]
            while self.is_("op", ","):
                self.take()
                items.append(self.atom())
            if not self.is_("op", "]"):
                raise ConditionError("missing ']'")
            self.take()
            return ("list", tuple(items))
        raise ConditionError("unexpected token in condition")


def parse(source: str) -> Node:
    return _Parser(_tokens(source)).parse()


def names(source: str) -> set[str]:
    """Every name a condition reads (for the flow diagram and the data tests)."""
    found: set[str] = set()

    def walk(node: Node) -> None:
        if node[0] == "name":
            found.add(node[1])
        for part in node[1:]:
            if isinstance(part, tuple):
                walk(part)

    walk(parse(source))
    return found


def _value(node: Node, env: Mapping[str, Any]) -> Any:
    tag = node[0]
    if tag == "lit":
        return node[1]
    if tag == "name":
        return env.get(node[1])
    if tag == "list":
        return [_value(n, env) for n in node[1]]
    return _truth(node, env)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in {"in", "not in"}:
        if not isinstance(right, COLLECTIONS):
            return False
        found = left in right
        return found if op == "in" else not found
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left is not None and left != right)
    if left is None or right is None:
        return False
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        return False


def _truth(node: Node, env: Mapping[str, Any]) -> bool:
    tag = node[0]
    if tag == "not":
        return not _truth(node[1], env)
    if tag == "and":
        return _truth(node[1], env) and _truth(node[2], env)
    if tag == "or":
        return _truth(node[1], env) or _truth(node[2], env)
    if tag == "cmp":
        return _compare(node[1], _value(node[2], env), _value(node[3], env))
    value = _value(node, env)
    return bool(value)


def evaluate(source: str, env: Mapping[str, Any]) -> bool:
    """The reference reading of a condition: the parsed tree walked against the facts."""
    return _truth(parse(source), env)


Test = Callable[[Mapping[str, Any]], bool]


def compiled(source: str) -> Test:
    """The condition as a function of the facts: a few closure calls per check instead of a
    walk over the tree (conditions are checked many times a turn). Same answers as `evaluate`."""
    return _compile_truth(parse(source))


def _compile_value(node: Node) -> Callable[[Mapping[str, Any]], Any]:
    tag = node[0]
    if tag == "lit":
        lit = node[1]
        return lambda env: lit
    if tag == "name":
        name = node[1]
        return lambda env: env.get(name)
    if tag == "list":
        items = [_compile_value(n) for n in node[1]]
        return lambda env: [item(env) for item in items]
    return _compile_truth(node)


def _compile_truth(node: Node) -> Test:
    tag = node[0]
    if tag == "name":
        name = node[1]
        return lambda env: bool(env.get(name))
    if tag == "not":
        if node[1][0] == "name":
            negated = node[1][1]
            return lambda env: not env.get(negated)
        inner = _compile_truth(node[1])
        return lambda env: not inner(env)
    if tag == "and":
        a, b = _compile_truth(node[1]), _compile_truth(node[2])
        return lambda env: a(env) and b(env)
    if tag == "or":
        a, b = _compile_truth(node[1]), _compile_truth(node[2])
        return lambda env: a(env) or b(env)
    if tag == "cmp":
        return _compile_compare(node[1], node[2], node[3])
    value = _compile_value(node)
    return lambda env: bool(value(env))


def _compile_compare(op: str, left_node: Node, right_node: Node) -> Test:
    # The usual shapes (`role == 'parent'`, `'x' in requests`, `age >= 18`) read the name
    # directly; anything else goes through `_compare`, the reference.
    if left_node[0] == "name" and right_node[0] == "lit" and op in ("==", "!="):
        name, lit = left_node[1], right_node[1]
        if op == "==":
            return lambda env: bool(env.get(name) == lit)
        if lit is None:  # `x != null`: set, and (None being the only null) different from it
            return lambda env: env.get(name) is not None

        def differs(env: Mapping[str, Any]) -> bool:
            value = env.get(name)
            return value is not None and bool(value != lit)

        return differs
    if (
        left_node[0] == "name"
        and right_node[0] == "list"
        and op in ("in", "not in")
        and all(item[0] == "lit" for item in right_node[1])
    ):
        name, items = left_node[1], [item[1] for item in right_node[1]]
        if op == "in":
            return lambda env: env.get(name) in items
        return lambda env: env.get(name) not in items
    if left_node[0] == "lit" and right_node[0] == "name" and op == "in":
        lit, name = left_node[1], right_node[1]

        def contains(env: Mapping[str, Any]) -> bool:
            right = env.get(name)
            return isinstance(right, COLLECTIONS) and lit in right

        return contains
    left, right = _compile_value(left_node), _compile_value(right_node)
    if op == "==":
        return lambda env: bool(left(env) == right(env))
    return lambda env: _compare(op, left(env), right(env))


def holds(source: str | None, env: Mapping[str, Any]) -> bool:
    """Whether a step's condition holds; an empty condition always holds."""
    if not source:
        return True
    return compiled(source)(env)
