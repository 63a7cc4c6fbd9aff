"""Drop the parts of a referral that fail field validation, so the cross-field rules can still
judge the rest and a person sees every problem at once, not one round at a time."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

Loc = tuple[int | str, ...]


def prune(data: dict[str, Any], locs: Iterable[Loc]) -> dict[str, Any] | None:
    """A copy of `data` without the values at `locs`, or None when one is the whole referral.

    List items are removed from the highest index down, so the other indices stay right.
    """
    out = copy.deepcopy(data)
    for loc in sorted(set(locs), key=_order, reverse=True):
        if not loc:
            return None
        parent: Any = out
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        last = loc[-1]
        if isinstance(parent, dict) and isinstance(last, str):
            parent.pop(last, None)
        elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
            del parent[last]
    return out


def _order(loc: Loc) -> tuple[tuple[int, int | str], ...]:
    # Compare ints with ints and strings with strings, position by position.
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in loc)


def related(a: str, b: str) -> bool:
    """Whether one field id is the other or contains it: `person.address` and
    `person.address.postcode`, `guardians` and `guardians[1].phone`."""
    short, long = sorted((a, b), key=len)
    return long == short or long.startswith((short + ".", short + "["))
