"""A scripted person: recognises which question the bot asked (by the dialogue's own texts) and
answers it. Used by the unit tests (through the recording session) and the end-to-end test (over
HTTP), so both walk the same complete referral: someone with power of attorney for an adult who
cannot consent, with the authority document uploaded."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

from dialogues import flow
from tests.synthetic import born_years_ago, synthetic_id

PDF = b"%PDF-1.4\n% a synthetic power of attorney for tests\n%%EOF\n"


@dataclass(frozen=True)
class Answer:
    kind: (
        str  # "text", "choice" (choice ids, pressed in order, then done for multi), "skip", "file"
    )
    value: tuple[str, ...] = ()


def answers(today: dt.date) -> dict[str, Answer]:
    return {
        "kommune": Answer("text", ("Oslo",)),
        "submitter.role": Answer("choice", ("attorney",)),
        "person.given_name": Answer("text", ("Kari",)),
        "person.family_name": Answer("text", ("Nordmann",)),
        "person.national_id": Answer("text", (synthetic_id(born_years_ago(today, 40)),)),
        "requests": Answer("choice", ("individual_plan", "coordinator")),
        "submitter.name": Answer("text", ("Ola Nordmann",)),
        "submitter.phone": Answer("text", ("41234567",)),
        "submitter.relationship": Answer("text", ("bror",)),
        "submitter.authority": Answer("choice", ("power_of_attorney",)),
        "person.address.street": Answer("text", ("Storgata 1",)),
        "person.address.postcode": Answer("text", ("0155",)),
        "person.address.city": Answer("text", ("Oslo",)),
        "need.description": Answer(
            "text", ("Trenger hjelp til å samordne fastlege, hjemmetjeneste og NAV i hverdagen.",)
        ),
        "need.life_areas": Answer("choice", ("housing", "transport")),
        "current_services[].more": Answer("choice", ("no",)),
        "relatives_to_involve[].more": Answer("choice", ("no",)),
        "consent.given_by": Answer("choice", ("guardian",)),
        "consent.lacks_capacity_reason": Answer(
            "text", ("Personen har langtkommen demens og kan ikke samtykke selv.",)
        ),
        "attachments": Answer("file", ("fullmakt.pdf",)),
        "consent.all": Answer("choice", ("yes",)),
        "consent.individual_plan": Answer("choice", ("yes",)),
        "consent.share_between_services": Answer("choice", ("yes",)),
        "consent.coordinator": Answer("choice", ("yes",)),
        "consent.acknowledged": Answer("choice", ("yes",)),
        "summary": Answer("choice", ("send",)),
    }


@cache
def _questions(language: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for step in flow.steps():
        # a question may have a wording per submitter role ("Hva er fornavnet ditt?")
        for key in flow.wordings(language, step.text):  # type: ignore[arg-type]
            for n in (1, 2, 3):
                # (a list filled in, like the consent statement's, ends the recognisable part)
                shown = flow.text(language, key, n=n, items="\x00")  # type: ignore[arg-type]
                found.append((shown.split("\x00")[0], step.id))
    found.append((flow.text(language, "summary.head"), "summary"))  # type: ignore[arg-type]
    return sorted(set(found), key=lambda pair: -len(pair[0]))


def identify(message: str, language: str = "nb") -> str | None:
    """The step a bot message asks, by the longest question text it contains."""
    for question, step_id in _questions(language):
        if question and question in message:
            return step_id
    return None


def answer_for(step_id: str, today: dt.date) -> Answer:
    plain = re.sub(r"\[\d+\]", "[]", step_id)
    return answers(today).get(plain, Answer("skip"))
