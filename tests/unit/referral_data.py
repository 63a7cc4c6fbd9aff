"""Valid referral dictionaries for every role and age, to break one rule at a time in tests.

Only synthetic national ids (tests/synthetic.py); names and addresses are invented.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any

from tests.synthetic import born_years_ago, synthetic_id

TODAY = dt.date(2026, 11, 22)
ROLES = ("self", "parent", "guardian", "attorney", "relative", "provider")
PDF = b"%PDF-1.7 synthetic guardianship decision\n"

_SUBMITTERS: dict[str, dict[str, Any]] = {
    "self": {"role": "self", "name": "Kari Testesen"},
    "parent": {
        "role": "parent",
        "name": "Ola Testesen",
        "phone": "98765432",
        "relationship": "far",
        "authority": "parental_responsibility",
    },
    "guardian": {
        "role": "guardian",
        "name": "Vera Verge",
        "phone": "41234567",
        "relationship": "oppnevnt verge",
        "authority": "guardianship",
    },
    "attorney": {
        "role": "attorney",
        "name": "Frida Fullmektig",
        "phone": "+47 93 12 34 56",
        "relationship": "datter",
        "authority": "power_of_attorney",
        "authority_document_follows": True,
    },
    "relative": {
        "role": "relative",
        "name": "Siri Slekt",
        "phone": "95512345",
        "relationship": "søster",
        "authority": "none",
    },
    "provider": {
        "role": "provider",
        "name": "Helse Personell",
        "phone": "77626000",
        "organisation": {"name": "Testsykehuset HF", "org_number": "974760673"},
        "job_title": "sykepleier",
        "person_informed": True,
    },
}

GUARDIAN_DOCUMENT = {
    "kind": "guardianship_decision",
    "filename": "vergevedtak.pdf",
    "media_type": "application/pdf",
    "size": len(PDF),
    "sha256": hashlib.sha256(PDF).hexdigest(),
}


def national_id(age: int, today: dt.date = TODAY, **kwargs: Any) -> str:
    return synthetic_id(born_years_ago(today, age), **kwargs)


def referral(
    role: str = "self", age: int | None = 40, *, today: dt.date = TODAY, consent_age: int = 16
) -> dict[str, Any]:
    """A referral valid under `Policy(today, allow_synthetic=True, consent_age=consent_age)`.

    `age=None` is an unborn child. A guardian acting for an adult consents on the person's behalf
    (with a reason and the guardianship decision attached); everyone else's adult consents.
    """
    unborn = age is None
    minor = unborn or (age is not None and age < 18)
    person: dict[str, Any] = {"given_name": "Nora", "family_name": "Testesen"}
    if unborn:
        person.update(unborn=True, due_date=(today + dt.timedelta(days=120)).isoformat())
    else:
        assert age is not None
        person.update(
            national_id=national_id(age, today),
            address={"street": "Storgata 1", "postcode": "9730", "city": "Karasjok"},
        )
    submitter = copy.deepcopy(_SUBMITTERS[role])
    if role == "parent" and not minor:
        submitter["authority"] = "none"
    data: dict[str, Any] = {
        "kommune": "5610",
        "requests": ["child_coordinator"] if unborn else ["individual_plan", "coordinator"],
        "submitter": submitter,
        "person": person,
        "need": {"description": "Trenger hjelp fra flere tjenester som må samordnes bedre."},
        "consent": {"given_by": "person", "acknowledged": True, "coordinator": True},
    }
    if not unborn:
        data["consent"].update(individual_plan=True, share_between_services=True)
    if minor:
        data["requests"] = ["child_coordinator", *data["requests"][:1]]
        data["guardians"] = [
            {"name": "Ola Testesen", "phone": "98765432", "parental_responsibility": True},
            {"name": "Eva Testesen", "parental_responsibility": True, "informed": True},
        ]
    if unborn or (age is not None and age < consent_age):
        data["consent"]["given_by"] = "guardian" if role == "guardian" else "parents"
        if age is not None and age >= 7:
            data["consent"]["child_heard"] = True
    elif role == "guardian" and not minor:
        data["consent"].update(
            given_by="guardian",
            lacks_capacity_reason="Personen har langtkommen demens og kan ikke samtykke selv.",
        )
        data["attachments"] = [dict(GUARDIAN_DOCUMENT)]
    return data


def change(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy with the dotted `path` set to `value`, or removed when `value` is DELETE."""
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    if value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return out


DELETE = object()
