"""What staff see of an opened referral in lists: the person, age, what is asked for, the
conversation's language; search by name, national id or reference; possible duplicates.

Runs on the KE side only, on referrals opened with a staff member's own key; nothing here is
stored or logged (the callers log that a view or a search happened, never what was searched).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from intake.rules import age_of, birth_date_of
from storage.inbox.audit import utc

DUPLICATE_WINDOW = dt.timedelta(days=90)
REFERENCE = re.compile(r"^KE-?[0-9A-Z]{4}-?[0-9A-Z]{4}$")
SearchKind = Literal["reference", "national_id", "name"]


@dataclass(frozen=True)
class Summary:
    reference: str
    received_at: dt.datetime
    given_name: str
    family_name: str
    national_id: str | None
    birth_date: dt.date | None
    unborn: bool
    age: int | None
    requests: tuple[str, ...]
    language: str | None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def person_key(self) -> tuple[str, ...] | None:
        """Who this is about, for duplicates: the national id, else name and birth date."""
        if self.national_id:
            return ("id", self.national_id)
        if self.birth_date is not None:
            return ("name", _fold(self.name), self.birth_date.isoformat())
        return None


def summarize(referral: object, received_at: dt.datetime, today: dt.date) -> Summary:
    from intake.model import Referral

    assert isinstance(referral, Referral)
    person = referral.person
    meta = referral.meta
    return Summary(
        reference=meta.reference if meta else "",
        received_at=utc(received_at),
        given_name=person.given_name,
        family_name=person.family_name,
        national_id=person.national_id,
        birth_date=birth_date_of(referral),
        unborn=bool(person.unborn),
        age=age_of(referral, today),
        requests=tuple(q.value for q in referral.requests),
        language=meta.language if meta else None,
    )


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def search_kind(query: str) -> SearchKind:
    compact = "".join(query.split()).upper()
    if REFERENCE.match(compact):
        return "reference"
    if compact.isdigit() and len(compact) == 11:
        return "national_id"
    return "name"


def normal_reference(query: str) -> str:
    compact = "".join(query.split()).upper().replace("-", "")
    return f"{compact[:2]}-{compact[2:6]}-{compact[6:10]}"


def search(summaries: Iterable[Summary], query: str) -> tuple[SearchKind, list[str]]:
    """References of the matches, oldest first. A name matches when every word of the query
    starts a word of the person's name ("kari nor" finds Kari Nordmann)."""
    kind = search_kind(query)
    items = sorted(summaries, key=lambda s: s.received_at)
    if kind == "reference":
        wanted = normal_reference(query)
        return kind, [s.reference for s in items if s.reference == wanted]
    if kind == "national_id":
        wanted = "".join(query.split())
        return kind, [s.reference for s in items if s.national_id == wanted]
    words = _fold(query).split()
    if not words:
        return kind, []
    hits = []
    for s in items:
        parts = _fold(s.name).replace("-", " ").split()
        if all(any(p.startswith(w) for p in parts) for w in words):
            hits.append(s.reference)
    return kind, hits


def duplicates(summaries: Sequence[Summary]) -> Mapping[str, list[str]]:
    """For each referral, the others about the same person received within 90 days of it."""
    by_person: dict[tuple[str, ...], list[Summary]] = {}
    for s in summaries:
        key = s.person_key()
        if key is not None:
            by_person.setdefault(key, []).append(s)
    out: dict[str, list[str]] = {}
    for group in by_person.values():
        for s in group:
            near = [
                o.reference
                for o in group
                if o.reference != s.reference
                and abs(o.received_at - s.received_at) <= DUPLICATE_WINDOW
            ]
            if near:
                out[s.reference] = sorted(near)
    return out
