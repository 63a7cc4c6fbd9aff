"""Cross-field rules from REFERRAL.md: what each role must give, consent by age, and the rest.

`check_rules` takes a referral whose fields are each valid and returns every violation, each with
the field id it concerns and a message key, so a caseworker (or the dialogue) sees all problems at
once instead of one at a time. Rules that depend on age are skipped while the age is unknown (no
birth date, or one in the future): that problem is reported once, not echoed by every rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from intake.dates import validate_birth_date, validate_due_date
from intake.errors import FieldError
from intake.facts import AUTHORITY_DOCUMENT, CONSENT_AGE, ROLE_AUTHORITY, AgeFacts
from intake.identifiers import age_on, parse_national_id, refuse_synthetic
from intake.model import Authority, ConsentGiver, Referral, Request, Role
from intake.pruning import prune, related


@dataclass(frozen=True, slots=True)
class Policy:
    """What the rules are judged against. Time is passed in; nothing here reads the clock."""

    today: dt.date
    allow_synthetic: bool = False
    consent_age: int = CONSENT_AGE


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem: the field id it concerns (list items as `guardians[0].phone`), a message key
    in `intake/messages/*.json`, and the placeholders of that message (never personal data)."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


def birth_date_of(referral: Referral) -> dt.date | None:
    person = referral.person
    if person.national_id:
        return parse_national_id(person.national_id).birth_date
    return person.birth_date


def age_of(referral: Referral, today: dt.date) -> int | None:
    """Age in whole years, or None for an unborn child or an unknown or future birth date."""
    if referral.person.unborn:
        return None
    born = birth_date_of(referral)
    if born is None or born > today:
        return None
    return age_on(born, today)


def uninformed_guardians(referral: Referral) -> tuple[str, ...]:
    """Parents with parental responsibility who do not know of the referral. Filing goes on
    (a provider may have to report), but the KE is shown it first: they must be involved."""
    return tuple(
        g.name for g in referral.guardians if g.parental_responsibility and g.informed is False
    )


def check_rules(referral: Referral, policy: Policy) -> list[Violation]:
    facts = AgeFacts(referral.person.unborn, age_of(referral, policy.today), policy.consent_age)
    found: list[Violation] = []
    found += _person_rules(referral, policy)
    found += _submitter_rules(referral, facts)
    found += _request_rules(referral, facts)
    found += _consent_rules(referral, policy, facts)
    return _distinct(found)


def _distinct(found: list[Violation]) -> list[Violation]:
    """One violation per field and key: two rules may reach the same conclusion by two roads."""
    seen: set[tuple[str, str]] = set()
    out: list[Violation] = []
    for v in found:
        if (v.field, v.key) not in seen:
            seen.add((v.field, v.key))
            out.append(v)
    return out


def _person_rules(r: Referral, policy: Policy) -> list[Violation]:
    out: list[Violation] = []
    p = r.person
    if p.national_id:
        try:
            refuse_synthetic(
                parse_national_id(p.national_id), allow_synthetic=policy.allow_synthetic
            )
        except FieldError as exc:
            out.append(Violation("person.national_id", exc.key, exc.params))
    if p.interpreter is not None and p.interpreter.needed and p.interpreter.language is None:
        out.append(Violation("person.interpreter.language", "interpreter_language_required"))
    if p.unborn:
        return out + _unborn_rules(r, policy)
    if p.due_date is not None:
        out.append(Violation("person.due_date", "due_date_only_unborn"))
    if p.national_id is None and p.birth_date is None:
        out.append(Violation("person.national_id", "national_id_or_birth_date"))
    if (
        p.national_id
        and p.birth_date
        and parse_national_id(p.national_id).birth_date != p.birth_date
    ):
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


def _unborn_rules(r: Referral, policy: Policy) -> list[Violation]:
    out: list[Violation] = []
    p = r.person
    if Request.child_coordinator not in r.requests:
        out.append(Violation("person.unborn", "unborn_needs_child_coordinator"))
    if p.national_id is not None:
        out.append(Violation("person.national_id", "unborn_no_identity"))
    if p.birth_date is not None:
        out.append(Violation("person.birth_date", "unborn_no_identity"))
    if p.due_date is None:
        out.append(Violation("person.due_date", "required"))
    else:
        try:
            validate_due_date(p.due_date, today=policy.today)
        except FieldError as exc:
            out.append(Violation("person.due_date", exc.key, exc.params))
    return out


def _submitter_rules(r: Referral, facts: AgeFacts) -> list[Violation]:
    out: list[Violation] = []
    s = r.submitter
    if s.role is not Role.self_ and s.phone is None:
        out.append(Violation("submitter.phone", "required"))
    if s.role is Role.self_:
        if facts.unborn:
            out.append(Violation("submitter.role", "self_unborn"))
        return out
    if s.role is Role.provider:
        return out + _provider_rules(r)
    if s.relationship is None:
        out.append(Violation("submitter.relationship", "required"))
    if s.authority is None:
        out.append(Violation("submitter.authority", "required"))
    elif s.role in ROLE_AUTHORITY and s.authority != ROLE_AUTHORITY[s.role]:
        out.append(Violation("submitter.authority", "authority_role_mismatch"))
    elif s.authority is Authority.parental_responsibility and facts.adult:
        out.append(Violation("submitter.authority", "authority_parental_minor"))
    if s.role in ROLE_AUTHORITY and facts.adult:
        out += _authority_document_rules(r)
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
    elif not s.person_informed:
        if s.not_informed_reason is None:
            out.append(Violation("submitter.not_informed_reason", "required"))
        # Consent from someone who has not been told of the referral is no consent.
        if r.consent.given_by in (ConsentGiver.person, ConsentGiver.parents):
            out.append(Violation("submitter.person_informed", "consent_needs_informed"))
    return out


def _request_rules(r: Referral, facts: AgeFacts) -> list[Violation]:
    out: list[Violation] = []
    if Request.child_coordinator in r.requests and facts.adult:
        out.append(Violation("requests", "child_coordinator_age"))
    if facts.minor and not r.guardians:
        out.append(Violation("guardians", "guardians_required"))
    if facts.adult and r.guardians:
        out.append(Violation("guardians", "guardians_only_minor"))
    return out


def _consent_rules(r: Referral, policy: Policy, facts: AgeFacts) -> list[Violation]:
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
    if not facts.known:
        return out
    if facts.child:
        return out + _child_consent_rules(r, policy, facts)
    if not facts.adult:
        if c.given_by is not ConsentGiver.person:
            out.append(
                Violation(
                    "consent.given_by", "consent_by_young_person", {"age": policy.consent_age}
                )
            )
        return out
    # An adult consents personally unless they cannot; whoever consents for them shows authority.
    if c.given_by is ConsentGiver.child_welfare:
        out.append(Violation("consent.given_by", "consent_child_welfare_minor"))
    if c.given_by is not ConsentGiver.person:
        if c.lacks_capacity_reason is None:
            out.append(Violation("consent.lacks_capacity_reason", "lacks_capacity_reason_required"))
        out += _authority_document_rules(r)
    return out


def _child_consent_rules(r: Referral, policy: Policy, facts: AgeFacts) -> list[Violation]:
    out: list[Violation] = []
    c = r.consent
    if c.given_by is ConsentGiver.person:
        out.append(Violation("consent.given_by", "consent_by_parents", {"age": policy.consent_age}))
    if facts.to_be_heard and c.child_heard is None:
        out.append(Violation("consent.child_heard", "child_heard_required"))
    if (
        c.given_by is ConsentGiver.parents
        and facts.age is not None
        and r.guardians
        # Unanswered is left to the KE to confirm; only a clear "no" for everyone contradicts.
        and all(g.parental_responsibility is False for g in r.guardians)
    ):
        out.append(Violation("guardians", "guardians_parental_responsibility"))
    return out


def _authority_document_rules(r: Referral) -> list[Violation]:
    """The power of attorney or guardianship decision, uploaded now or promised by post."""
    has_document = any(a.kind in AUTHORITY_DOCUMENT.values() for a in r.attachments)
    if has_document or r.submitter.authority_document_follows:
        return []
    return [Violation("attachments", "authority_document_required")]


def field_id(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a field id: ('guardians', 0, 'phone') -> 'guardians[0].phone'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "referral"


def validate_referral(data: Any, policy: Policy) -> tuple[Referral | None, list[Violation]]:
    """Field validation and the cross-field rules in one call; never echoes the input.

    When fields fail, the referral is None, and the rules still judge what is left once the
    failing parts are set aside (see `intake.pruning`); rule findings about a failing field or
    its parts are left out, since the field's own problem says it better.
    """
    try:
        referral = _parse(data, policy)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
    else:
        return referral, check_rules(referral, policy)
    field_violations = _distinct([_from_pydantic(err) for err in errors])
    failed = [v.field for v in field_violations]
    rest = _rules_for_the_rest(data, errors, policy)
    return None, _distinct(
        field_violations + [v for v in rest if not any(related(v.field, f) for f in failed)]
    )


def _parse(data: Any, policy: Policy) -> Referral:
    return Referral.model_validate(data, context={"allow_synthetic": policy.allow_synthetic})


_PRUNE_ROUNDS = 4


def _rules_for_the_rest(data: Any, errors: list[Any], policy: Policy) -> list[Violation]:
    """Set aside what fails (a required part takes its enclosing object with it) and judge the
    rest; nothing when the referral itself would have to go."""
    if not isinstance(data, dict):
        return []
    current: dict[str, Any] | None = data
    for _ in range(_PRUNE_ROUNDS):
        locs = [
            tuple(err["loc"])[:-1] if err["type"] == "missing" else tuple(err["loc"])
            for err in errors
        ]
        current = prune(current, locs) if current is not None else None
        if current is None:
            return []
        try:
            return check_rules(_parse(current, policy), policy)
        except ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
    return []


_PYDANTIC_KEYS = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "enum": "choice_invalid",
    "literal_error": "choice_invalid",
    "bool_parsing": "yes_no",
    "bool_type": "yes_no",
    "date_from_datetime_parsing": "date_format",
    "date_from_datetime_inexact": "date_format",
    "date_parsing": "date_format",
    "date_type": "date_format",
    "datetime_parsing": "date_format",
    "datetime_from_date_parsing": "date_format",
    "too_short": "required",
    "too_long": "too_many",
    "string_pattern_mismatch": "format_invalid",
    "less_than_equal": "attachment_too_large",
    "greater_than": "format_invalid",
    "model_type": "object_expected",
    "model_attributes_type": "object_expected",
    "string_type": "text_expected",
    "tuple_type": "list_expected",
    "list_type": "list_expected",
}


def _from_pydantic(err: Any) -> Violation:
    loc = tuple(err["loc"])
    where = field_id(loc)
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        return Violation(where, cause.key, cause.params)
    kind = err["type"]
    if kind == "literal_error" and loc[-1:] == ("media_type",):
        return Violation(where, "attachment_type")
    return Violation(where, _PYDANTIC_KEYS.get(kind, "format_invalid"))
