"""Domain facts, each defined once: the ages the law draws lines at, the consent age's default,
and which authority each role acting for someone holds. The rules, the dialogue's planner and
the flow's conditions (through the planner's facts) all read them from here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

ADULT_AGE: Final = 18  # of age: consents personally unless they cannot
CHILD_HEARD_FROM: Final = 7  # from this age a child is heard before others consent for them
CONSENT_AGE: Final = 16  # the default age of consent to health care; a setting may change it

# The authority a role acting on someone's behalf holds by being that role (not asked).
ROLE_AUTHORITY: Final[Mapping[str, str]] = {
    "attorney": "power_of_attorney",
    "guardian": "guardianship",
}
# The document that shows an authority, as an attachment's kind.
AUTHORITY_DOCUMENT: Final[Mapping[str, str]] = {
    "power_of_attorney": "power_of_attorney",
    "guardianship": "guardianship_decision",
}


def age_lines(unborn: bool, age: int | None, consent_age: int) -> tuple[bool, bool, bool, bool]:
    """(minor, child, adult, to be heard): what the person's age (None: unknown, or unborn)
    means under a consent age, each as `AgeFacts` says it (the planner reads all four on every
    plan, at the cost of one call)."""
    return (
        unborn or (age is not None and age < ADULT_AGE),
        unborn or (age is not None and age < consent_age),
        age is not None and age >= ADULT_AGE,
        age is not None and CHILD_HEARD_FROM <= age < consent_age,
    )


class AgeFacts(NamedTuple):
    """What the person's age (None: unknown, or unborn) means under a consent age."""

    unborn: bool
    age: int | None
    consent_age: int = CONSENT_AGE

    @property
    def known(self) -> bool:
        return self.unborn or self.age is not None

    @property
    def minor(self) -> bool:
        """Under 18 (or not yet born): parents or guardians are involved."""
        return age_lines(*self)[0]

    @property
    def child(self) -> bool:
        """Under the consent age (or not yet born): others consent for them."""
        return age_lines(*self)[1]

    @property
    def adult(self) -> bool:
        return age_lines(*self)[2]

    @property
    def to_be_heard(self) -> bool:
        """A child old enough to be heard before others consent (7 up to the consent age)."""
        return age_lines(*self)[3]
