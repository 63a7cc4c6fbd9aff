"""Slot names for the dialogue's answer keys, and answers read back from Rasa's slots."""

from __future__ import annotations

import re

import pytest

from bot.rasa import slots as s
from dialogues.flow import load


@pytest.mark.parametrize(
    ("key", "slot"),
    [
        ("kommune", "kommune"),
        ("person.national_id", "person__national_id"),
        ("submitter.organisation.org_number", "submitter__organisation__org_number"),
        ("guardians[1].name", "guardians__1__name"),
        ("current_services[7].more", "current_services__7__more"),
    ],
)
def test_slot_names_round_trip(key: str, slot: str) -> None:
    assert s.slot_name(key) == slot
    assert s.key_of(slot) == key


def test_every_flow_step_has_a_slot_and_names_are_unique() -> None:
    keys = s.all_keys()
    assert len(set(s.form_slots())) == len(keys)
    generic = {re.sub(r"\[\d+\]", "[]", k) for k in keys}
    assert {step.id for step in load().steps} == generic
    # A group of at most N entries asks "add another?" only N - 1 times.
    assert "guardians[0].more" in keys and "guardians[1].more" not in keys
    assert all(s.key_of(s.slot_name(k)) == k for k in keys)


def test_answers_from_slots_skipped_and_unfilled() -> None:
    answers = s.answers_from(
        {
            "kommune": "4601",
            "person__phone": s.SKIPPED,
            "person__email": None,
            "requests": ["coordinator"],
            "guardians__0__name": "Kari Nordmann",
            "language": "en",
            "requested_slot": "person__email",
        }
    )
    assert answers == {
        "kommune": "4601",
        "person.phone": None,
        "requests": ["coordinator"],
        "guardians[0].name": "Kari Nordmann",
    }
    assert "kommune" not in s.answers_from({"kommune": "4601"}, leave_out=frozenset({"kommune"}))


def test_language_defaults_to_bokmaal() -> None:
    assert s.language_of({"language": "nn"}) == "nn"
    assert s.language_of({"language": "de"}) == "nb"
    assert s.language_of({}) == "nb"
