"""From the answers of the current plan to a `Referral`, judged by the model and the rules."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from dialogues.plan import Plan, Slot
from dialogues.state import State
from intake.facts import AUTHORITY_DOCUMENT, ROLE_AUTHORITY
from intake.model import Referral
from intake.rules import Violation, validate_referral

# Violations whose field is a whole group, but whose fix is one question in it.
_VIOLATION_KEYS = {"guardians_parental_responsibility": "guardians[0].parental_responsibility"}


@cache
def _path(path: str) -> tuple[tuple[str, int | None], ...]:
    """`a.b[1].c` -> (("a", None), ("b", 1), ("c", None)) (the keys are the flow's: once each)."""
    parts: list[tuple[str, int | None]] = []
    for part in path.split("."):
        m = re.fullmatch(r"(.+)\[(\d+)\]", part)
        parts.append((part, None) if m is None else (m.group(1), int(m.group(2))))
    return tuple(parts)


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    """Set `a.b[1].c` in nested dicts and lists."""
    node: Any = data
    parts = _path(path)
    last = len(parts) - 1
    for i, (part, index) in enumerate(parts):
        if index is not None:
            items = node.setdefault(part, [])
            while len(items) <= index:
                items.append({})
            node = items[index]
            continue
        if i == last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def referral_data(state: State, plan: Plan) -> dict[str, Any]:
    """The referral as plain data, from the answers the current branch (`plan`) asks for."""
    answers = state.answers
    data: dict[str, Any] = {}
    for slot in plan.slots:
        value = answers.get(slot.key)
        if value is None or slot.step.more:
            continue
        if slot.step.kind == "file":
            _attachments(data, value, answers)
            continue
        for key, _raw, _when in slot.step.sets_for(value):
            # What the answer set is kept under its own fields (`sets` in flow.json).
            if answers.get(key) is not None:
                _put(data, key, answers[key])
        if slot.step.virtual:
            continue
        _put(data, slot.key, value)
    submitter = data.setdefault("submitter", {})
    person = data.setdefault("person", {})
    if submitter.get("role") == "self":
        # The person files for themselves: their name and contact details are the submitter's.
        names = [person.get("given_name"), person.get("family_name")]
        submitter["name"] = " ".join(n for n in names if n)
        for key in ("phone", "email"):
            if person.get(key):
                submitter[key] = person[key]
    role = submitter.get("role")
    consent = data.setdefault("consent", {})
    if role == "self" and "given_by" not in consent and not plan.env["child"]:
        # Someone filing for themselves from the consent age on consents themselves: not asked.
        consent["given_by"] = "person"
    if role in ROLE_AUTHORITY:
        # An attorney acts by power of attorney and a guardian by guardianship: not asked.
        submitter["authority"] = ROLE_AUTHORITY[role]
    for group in ("guardians", "current_services", "relatives_to_involve"):
        if group in data:
            data[group] = [item for item in data[group] if item]
    return data


def _attachments(data: dict[str, Any], value: Any, answers: dict[str, Any]) -> None:
    if value == "follows":
        _put(data, "submitter.authority_document_follows", True)
        return
    if isinstance(value, dict):
        authority = answers.get("submitter.authority")
        role = answers.get("submitter.role")
        if not isinstance(authority, str):
            authority = ROLE_AUTHORITY.get(role if isinstance(role, str) else "", "")
        kind = AUTHORITY_DOCUMENT.get(authority, "other")
        if kind == "other" and answers.get("consent.given_by") == "guardian":
            kind = "guardianship_decision"
        meta = {k: value[k] for k in ("filename", "media_type", "size", "sha256") if k in value}
        data["attachments"] = [{"kind": kind, **meta}]


def attachment_refs(state: State) -> dict[str, str]:
    value = state.answers.get("attachments")
    if isinstance(value, dict) and isinstance(value.get("sha256"), str):
        return {value["sha256"]: str(value.get("ref", ""))}
    return {}


def judge(state: State, plan: Plan) -> tuple[Referral | None, list[Violation]]:
    """The referral `plan` (of `state`'s answers) asks for, judged by the model and the rules."""
    return validate_referral(referral_data(state, plan), plan.ctx.policy)


def key_for(violation_field: str, slots: list[Slot], violation_key: str = "") -> str | None:
    """The question to ask again for a violation: `guardians.0.name` -> `guardians[0].name`,
    `person.address` -> `person.address.street`, `guardians` -> the first guardian question."""
    keys = [s.key for s in slots]
    if _VIOLATION_KEYS.get(violation_key) in keys:
        return _VIOLATION_KEYS[violation_key]
    field = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", violation_field)
    keys = [s.key for s in slots]
    if field in keys:
        return field
    for key in keys:
        if key.startswith(field + ".") or key.startswith(field + "["):
            return key
    generic = re.sub(r"\[\d+\]", "[]", field)
    for slot in slots:
        if slot.step.id == generic or slot.step.field == generic:
            return slot.key
    if field == "submitter.authority_document_follows":
        return "attachments" if "attachments" in keys else None
    if field == "person.birth_date" and "person.national_id" in keys:
        return "person.national_id"
    return None
