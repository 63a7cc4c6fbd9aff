"""Cross-field rules from REFERRAL.md: what each role must give, consent by age, and the rest.

`check_rules` takes a referral whose fields are each valid and returns every violation, each with
the field id it concerns and a message key, so a caseworker (or the dialogue) sees all problems at
once instead of one at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from intake.dates import validate_birth_date, validate_due_date
from intake.errors import FieldError
from intake.identifiers import age_on, parse_national_id
from intake.model import ConsentGiver, Referral, Request, Role


@dataclass(frozen=True, slots=True)
class Policy:
    """What the rules are judged against. Time is passed in; nothing here reads the clock."""

    today: dt.date
    allow_synthetic: bool = False
    consent_age: int = 16


@dataclass(frozen=True, slots=True)
class Violation:
    field: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)


def birth_date_of(referral: Referral) -> dt.date | None:
    person = referral.person
    if person.national_id:
        return parse_national_id(person.national_id).birth_date
    return person.birth_date


def age_of(referral: Referral, today: dt.date) -> int | None:
    """Age in whole years, or None for an unborn child or an unknown birth date."""
    if referral.person.unborn:
        return None
    born = birth_date_of(referral)
    return None if born is None else age_on(born, today)


def check_rules(referral: Referral, policy: Policy) -> list[Violation]:
    found: list[Violation] = []
    found += _person_rules(referral, policy)
    found += _submitter_rules(referral)
    found += _request_rules(referral, policy)
    found += _consent_rules(referral, policy)
    return found


def _person_rules(r: Referral, policy: Policy) -> list[Violation]:
    out: list[Violation] = []
    p = r.person
    if p.unborn:
        if Request.child_coordinator not in r.requests:
            out.append(Violation("person.unborn", "unborn_needs_child_coordinator"))
        if p.due_date is None:
            out.append(Violation("person.due_date", "required"))
        else:
            try:
                validate_due_date(p.due_date, today=policy.today)
            except FieldError as exc:
                out.append(Violation("person.due_date", exc.key, exc.params))
        return out
    if p.due_date is not None:
        out.append(Violation("person.due_date", "due_date_only_unborn"))
    if p.national_id is None and p.birth_date is None:
        out.append(Violation("person.national_id", "national_id_or_birth_date"))
    if p.national_id and p.birth_date:
        if parse_national_id(p.national_id).birth_date != p.birth_date:
            out.append(Violation("person.birth_date", "birth_date_mismatch"))
    born = birth_date_of(r)
    if born is not None:
        try:
            validate_birth_date(born, today=policy.today)
        except FieldError as exc:
            where = "person.national_id" if p.national_id else "person.birth_date"
            out.append(Violation(where, exc.key, exc.params))
    if p.address is None:
        out.append(Violation("person.address", "required"))
    return out


def _submitter_rules(r: Referral) -> list[Violation]:
    out: list[Violation] = []
    s = r.submitter
    if s.role is not Role.self_ and s.phone is None:
        out.append(Violation("submitter.phone", "required"))
    if s.role in (Role.self_, Role.provider):
        return out + _provider_rules(r) if s.role is Role.provider else out
    if s.relationship is None:
        out.append(Violation("submitter.relationship", "required"))
    if s.authority is None:
        out.append(Violation("submitter.authority", "required"))
    return out


def _provider_rules(r: Referral) -> list[Violation]:
    out: list[Violation] = []
    s = r.submitter
    if s.organisation is None:
        out.append(Violation("submitter.organisation", "required"))
    if s.job_title is None:
        out.append(Violation("submitter.job_title", "required"))
    if s.person_informed is None:
        out.append(Violation("submitter.person_informed", "required"))
    elif not s.person_informed and s.not_informed_reason is None:
        out.append(Violation("submitter.not_informed_reason", "required"))
    return out


def _request_rules(r: Referral, policy: Policy) -> list[Violation]:
    out: list[Violation] = []
    age = age_of(r, policy.today)
    if Request.child_coordinator in r.requests and not r.person.unborn and (age is None or age >= 18):
        out.append(Violation("requests", "child_coordinator_age"))
    minor = r.person.unborn or (age is not None and age < 18)
    if minor and not r.guardians:
        out.append(Violation("guardians", "guardians_required"))
    if not minor and r.guardians:
        out.append(Violation("guardians", "guardians_only_minor"))
    return out


def _consent_rules(r: Referral, policy: Policy) -> list[Violation]:
    out: list[Violation] = []
    c = r.consent
    if Request.individual_plan in r.requests:
        if c.individual_plan is not True:
            out.append(Violation("consent.individual_plan", "consent_individual_plan_required"))
        if c.share_between_services is None:
            out.append(Violation("consent.share_between_services", "required"))
    wants_coordinator = {Request.coordinator, Request.child_coordinator} & set(r.requests)
    if wants_coordinator and c.coordinator is not True:
        out.append(Violation("consent.coordinator", "consent_coordinator_required"))
    if not c.acknowledged:
        out.append(Violation("consent.acknowledged", "consent_acknowledged_required"))

    age = age_of(r, policy.today)
    if r.person.unborn or (age is not None and age < policy.consent_age):
        if c.given_by is ConsentGiver.person:
            out.append(Violation("consent.given_by", "consent_by_parents", age=policy.consent_age))
        if age is not None and 7 <= age < policy.consent_age and c.child_heard is None:
            out.append(Violation("consent.child_heard", "required"))
        return out
    if age is not None and age < 18:
        if c.given_by is not ConsentGiver.person:
            out.append(Violation("consent.given_by", "consent_by_young_person", age=policy.consent_age))
        return out
    # An adult (or a person whose age is unknown): the person consents unless they cannot.
    if c.given_by is ConsentGiver.child_welfare:
        out.append(Violation("consent.given_by", "consent_child_welfare_minor"))
    if c.given_by is not ConsentGiver.person:
        if c.lacks_capacity_reason is None:
            out.append(Violation("consent.lacks_capacity_reason", "required"))
        out += _authority_document_rules(r)
    return out


def _authority_document_rules(r: Referral) -> list[Violation]:
    """An attorney or guardian acting for an adult shows the document, now or by post."""
    if r.submitter.role not in (Role.attorney, Role.guardian):
        return []
    has_document = any(a.kind in ("power_of_attorney", "guardianship_decision") for a in r.attachments)
    if has_document or r.submitter.authority_document_follows:
        return []
    return [Violation("attachments", "authority_document_required")]


def _field_id(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def validate_referral(data: Any, policy: Policy) -> tuple[Referral | None, list[Violation]]:
    """Field validation and the cross-field rules in one call; never echoes the input."""
    try:
        referral = Referral.model_validate(data, context={"allow_synthetic": policy.allow_synthetic})
    except ValidationError as exc:
        return None, [_from_pydantic(err) for err in exc.errors(include_input=False, include_url=False)]
    return referral, check_rules(referral, policy)


def _from_pydantic(err: Any) -> Violation:
    where = _field_id(tuple(err["loc"]))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        return Violation(where, cause.key, cause.params)
    kind = err["type"]
    simple = {
        "missing": "required",
        "extra_forbidden": "unknown_field",
        "enum": "choice_invalid",
        "literal_error": "choice_invalid",
        "bool_parsing": "yes_no",
        "bool_type": "yes_no",
        "date_from_datetime_parsing": "date_format",
        "date_parsing": "date_format",
        "date_type": "date_format",
        "datetime_parsing": "date_format",
        "too_short": "required",
        "too_long": "too_many",
        "string_pattern_mismatch": "format_invalid",
        "less_than_equal": "attachment_too_large",
        "greater_than": "format_invalid",
    }
    return Violation(where, simple.get(kind, "format_invalid"))
