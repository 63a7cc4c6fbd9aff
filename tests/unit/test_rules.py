"""Cross-field rules: what each role must give, consent by age band, requests and the person."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.identifiers import age_on
from intake.model import Referral
from intake.rules import Policy, Violation, age_of, birth_date_of, check_rules, validate_referral
from tests.synthetic import born_years_ago, synthetic_id
from tests.unit.referral_data import DELETE, GUARDIAN_DOCUMENT, ROLES, TODAY, change, referral

POLICY = Policy(today=TODAY, allow_synthetic=True)
AGES: list[int | None] = [None, 0, 6, 7, 15, 16, 17, 18, 40, 95]


def problems(data: dict[str, Any], policy: Policy = POLICY) -> set[tuple[str, str]]:
    _, violations = validate_referral(data, policy)
    return {(v.field, v.key) for v in violations}


# --- every role and age band has a valid referral ----------------------------------------------


ROLE_AGE = [
    pytest.param(role, age, id=f"{role}-{'unborn' if age is None else age}")
    for role in ROLES
    for age in AGES
    if not (role == "self" and age is None)  # an unborn child cannot file; tested below
]


@pytest.mark.parametrize(("role", "age"), ROLE_AGE)
def test_a_complete_referral_is_valid_for_every_role_and_age(role: str, age: int | None) -> None:
    referral_, violations = validate_referral(referral(role, age), POLICY)
    assert referral_ is not None
    assert violations == []


def test_an_unborn_child_cannot_be_the_submitter() -> None:
    data = change(referral("parent", None), "submitter", referral("self")["submitter"])
    assert problems(data) == {("submitter.role", "self_unborn")}


# --- what each role must give --------------------------------------------------------------


@pytest.mark.parametrize("role", ["parent", "guardian", "attorney", "relative", "provider"])
def test_everyone_but_the_person_gives_a_phone(role: str) -> None:
    data = change(referral(role), "submitter.phone", DELETE)
    assert ("submitter.phone", "required") in problems(data)


def test_the_person_filing_needs_no_phone_of_their_own() -> None:
    assert problems(change(referral("self"), "submitter.phone", DELETE)) == set()


@pytest.mark.parametrize("role", ["parent", "guardian", "attorney", "relative"])
@pytest.mark.parametrize("field", ["relationship", "authority"])
def test_people_acting_for_the_person_give_relationship_and_authority(
    role: str, field: str
) -> None:
    data = change(referral(role, 10), f"submitter.{field}", DELETE)
    assert problems(data) == {(f"submitter.{field}", "required")}


@pytest.mark.parametrize("role", ["self", "provider"])
def test_self_and_provider_need_no_relationship_or_authority(role: str) -> None:
    data = referral(role)
    assert "relationship" not in data["submitter"]
    assert problems(data) == set()


@pytest.mark.parametrize("field", ["organisation", "job_title", "person_informed"])
def test_a_provider_names_organisation_job_and_whether_the_person_knows(field: str) -> None:
    data = change(referral("provider"), f"submitter.{field}", DELETE)
    assert problems(data) == {(f"submitter.{field}", "required")}


def test_a_provider_who_has_not_informed_the_person_says_why() -> None:
    data = change(referral("provider"), "submitter.person_informed", False)
    data = change(data, "consent.given_by", "guardian")
    data = change(data, "consent.lacks_capacity_reason", "Bevisstløs etter ulykke.")
    data = change(data, "submitter.authority_document_follows", True)
    assert problems(data) == {("submitter.not_informed_reason", "required")}
    data = change(data, "submitter.not_informed_reason", "Ligger i respirator; verge er varslet.")
    assert problems(data) == set()


def test_consent_from_a_person_who_has_not_been_told_is_no_consent() -> None:
    data = change(referral("provider"), "submitter.person_informed", False)
    data = change(data, "submitter.not_informed_reason", "Rekker ikke å snakke med henne.")
    assert problems(data) == {("submitter.person_informed", "consent_needs_informed")}


def test_an_invalid_org_number_is_reported_on_its_field() -> None:
    data = change(referral("provider"), "submitter.organisation.org_number", "974760674")
    assert problems(data) == {("submitter.organisation.org_number", "org_number_checksum")}


@pytest.mark.parametrize(
    ("role", "authority"),
    [("attorney", "none"), ("attorney", "guardianship"), ("guardian", "power_of_attorney")],
)
def test_an_attorney_holds_a_power_of_attorney_and_a_guardian_a_guardianship(
    role: str, authority: str
) -> None:
    data = change(referral(role), "submitter.authority", authority)
    assert problems(data) == {("submitter.authority", "authority_role_mismatch")}


def test_parental_responsibility_is_for_children() -> None:
    data = change(referral("parent", 40), "submitter.authority", "parental_responsibility")
    assert problems(data) == {("submitter.authority", "authority_parental_minor")}
    assert problems(referral("parent", 17)) == set()


# --- the person -------------------------------------------------------------------------------


def test_national_id_or_birth_date_is_required() -> None:
    data = change(referral("self"), "person.national_id", DELETE)
    assert problems(data) == {("person.national_id", "national_id_or_birth_date")}
    assert problems(change(data, "person.birth_date", "1980-05-17")) == set()
    assert problems(change(data, "person.birth_date", "17.05.1980")) == set()


def test_a_birth_date_must_match_the_national_id() -> None:
    data = referral("self", 40)
    born = birth_date_of(Referral.model_validate(data))
    assert born is not None
    assert problems(change(data, "person.birth_date", born.isoformat())) == set()
    other = (born - dt.timedelta(days=1)).isoformat()
    assert problems(change(data, "person.birth_date", other)) == {
        ("person.birth_date", "birth_date_mismatch")
    }


def test_the_published_example_born_in_2032_is_valid_in_form_but_not_born_yet() -> None:
    data = change(referral("self", 40), "person.national_id", "02013299997")
    # One problem, not a cascade of age rules built on a birth date that has not happened.
    assert problems(data, Policy(TODAY)) == {("person.national_id", "birth_date_future")}
    grown_up = Policy(dt.date(2070, 1, 2))
    assert problems(data, grown_up) == set()


def test_a_birth_date_too_far_back_is_rejected() -> None:
    data = change(referral("self"), "person.national_id", DELETE)
    data = change(data, "person.birth_date", "1890-01-01")
    assert problems(data) == {("person.birth_date", "birth_date_too_old")}


def test_synthetic_numbers_are_refused_unless_the_policy_allows_them() -> None:
    data = referral("self", 40)
    assert problems(data, Policy(TODAY)) == {("person.national_id", "national_id_synthetic")}
    assert problems(data, Policy(TODAY, allow_synthetic=True)) == set()


def test_check_rules_refuses_synthetic_numbers_on_a_model_built_without_a_policy() -> None:
    model = Referral.model_validate(referral("self", 40))  # e.g. read back from storage
    assert check_rules(model, Policy(TODAY)) == [
        Violation("person.national_id", "national_id_synthetic")
    ]
    assert check_rules(model, POLICY) == []


def test_the_address_is_required_unless_the_child_is_unborn() -> None:
    data = change(referral("self"), "person.address", DELETE)
    assert problems(data) == {("person.address", "required")}
    assert "address" not in referral("parent", None)["person"]


def test_an_interpreter_needs_a_language() -> None:
    data = change(referral("self"), "person.interpreter", {"needed": True})
    assert problems(data) == {("person.interpreter.language", "interpreter_language_required")}
    data = change(data, "person.interpreter", {"needed": True, "language": "tegnspråk"})
    assert problems(data) == set()
    assert problems(change(data, "person.interpreter", {"needed": False})) == set()


def test_a_due_date_belongs_to_an_unborn_child_only() -> None:
    data = change(referral("self"), "person.due_date", "2027-01-01")
    assert problems(data) == {("person.due_date", "due_date_only_unborn")}


# --- unborn -----------------------------------------------------------------------------------


def test_unborn_needs_a_due_date_in_the_next_ten_months() -> None:
    data = referral("parent", None)
    assert problems(change(data, "person.due_date", DELETE)) == {("person.due_date", "required")}
    assert problems(change(data, "person.due_date", "2026-11-01")) == {
        ("person.due_date", "due_date_past")
    }
    assert problems(change(data, "person.due_date", "2027-11-01")) == {
        ("person.due_date", "due_date_too_far")
    }


def test_unborn_is_only_for_a_child_coordinator() -> None:
    data = change(referral("parent", None), "requests", ["coordinator"])
    assert problems(data) == {("person.unborn", "unborn_needs_child_coordinator")}


def test_unborn_has_no_national_id_or_birth_date() -> None:
    data = change(referral("parent", None), "person.national_id", synthetic_id(TODAY))
    data = change(data, "person.birth_date", TODAY.isoformat())
    assert problems(data) == {
        ("person.national_id", "unborn_no_identity"),
        ("person.birth_date", "unborn_no_identity"),
    }


def test_unborn_needs_guardians_and_cannot_consent_itself() -> None:
    data = change(referral("parent", None), "guardians", [])
    data = change(data, "consent.given_by", "person")
    assert problems(data) == {
        ("guardians", "guardians_required"),
        ("consent.given_by", "consent_by_parents"),
    }


# --- age bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize("age", [0, 6, 7, 15])
def test_under_the_consent_age_parents_consent_not_the_child(age: int) -> None:
    data = change(referral("parent", age), "consent.given_by", "person")
    _, violations = validate_referral(data, POLICY)
    assert Violation("consent.given_by", "consent_by_parents", {"age": 16}) in violations


@pytest.mark.parametrize("given_by", ["parents", "guardian", "child_welfare"])
def test_under_the_consent_age_parents_guardian_or_child_welfare_consent(given_by: str) -> None:
    assert problems(change(referral("parent", 10), "consent.given_by", given_by)) == set()


@pytest.mark.parametrize(("age", "asked"), [(6, False), (7, True), (12, True), (15, True)])
def test_whether_the_child_was_heard_is_asked_from_7_to_15(age: int, asked: bool) -> None:
    data = change(referral("parent", age), "consent.child_heard", DELETE)
    expected = {("consent.child_heard", "child_heard_required")} if asked else set()
    assert problems(data) == expected


def test_parents_who_consent_include_one_with_parental_responsibility() -> None:
    data = referral("parent", 10)
    for guardian in data["guardians"]:
        guardian["parental_responsibility"] = False
    assert problems(data) == {("guardians", "guardians_parental_responsibility")}
    data["guardians"][0]["parental_responsibility"] = None  # not answered: the KE asks
    assert problems(data) == set()


@pytest.mark.parametrize("age", [0, 10, 16, 17])
def test_minors_need_one_or_two_guardians(age: int) -> None:
    data = referral("parent", age)
    assert problems(change(data, "guardians", [])) == {("guardians", "guardians_required")}
    three = [{"name": "A Testesen"}, {"name": "B Testesen"}, {"name": "C Testesen"}]
    assert problems(change(data, "guardians", three)) == {("guardians", "too_many")}


@pytest.mark.parametrize("age", [16, 17])
def test_from_16_the_young_person_consents(age: int) -> None:
    data = referral("provider", age)
    assert data["consent"]["given_by"] == "person"
    assert problems(data) == set()
    _, violations = validate_referral(change(data, "consent.given_by", "parents"), POLICY)
    assert violations == [Violation("consent.given_by", "consent_by_young_person", {"age": 16})]


def test_a_child_coordinator_is_for_under_18_or_unborn() -> None:
    assert "child_coordinator" in referral("parent", 17)["requests"]
    assert problems(referral("parent", 17)) == set()
    data = change(referral("relative", 18), "requests", ["child_coordinator"])
    assert problems(data) == {("requests", "child_coordinator_age")}


def test_adults_have_no_guardians_listed() -> None:
    data = change(referral("relative", 18), "guardians", [{"name": "Ola Testesen"}])
    assert problems(data) == {("guardians", "guardians_only_minor")}


def test_the_18th_birthday_is_the_boundary() -> None:
    born = dt.date(2008, 11, 22)
    data = change(referral("parent", 17), "person.national_id", synthetic_id(born))
    assert problems(data, dataclasses.replace(POLICY, today=dt.date(2026, 11, 21))) == set()
    on_birthday = problems(data, POLICY)
    assert ("requests", "child_coordinator_age") in on_birthday
    assert ("guardians", "guardians_only_minor") in on_birthday


def test_born_on_29_february_comes_of_age_on_1_march() -> None:
    data = change(referral("parent", 17), "person.national_id", synthetic_id(dt.date(2008, 2, 29)))
    assert problems(data, Policy(dt.date(2026, 2, 28), allow_synthetic=True)) == set()
    assert ("requests", "child_coordinator_age") in problems(
        data, Policy(dt.date(2026, 3, 1), allow_synthetic=True)
    )


@pytest.mark.parametrize("role", ["parent", "relative", "provider", "attorney", "guardian"])
def test_an_adult_who_cannot_consent_needs_a_reason_and_the_authority_document(role: str) -> None:
    data = change(referral(role, 40), "consent.given_by", "guardian")
    data = change(data, "consent.lacks_capacity_reason", DELETE)
    data = change(data, "attachments", [])
    data = change(data, "submitter.authority_document_follows", DELETE)
    assert problems(data) == {
        ("consent.lacks_capacity_reason", "lacks_capacity_reason_required"),
        ("attachments", "authority_document_required"),
    }
    reason = "Har en utviklingshemming som gjør at hun ikke kan samtykke."
    fixed = change(data, "consent.lacks_capacity_reason", reason)
    assert problems(change(fixed, "attachments", [GUARDIAN_DOCUMENT])) == set()
    assert problems(change(fixed, "submitter.authority_document_follows", True)) == set()


def test_child_welfare_cannot_consent_for_an_adult() -> None:
    data = change(referral("guardian", 40), "consent.given_by", "child_welfare")
    assert problems(data) == {("consent.given_by", "consent_child_welfare_minor")}


@pytest.mark.parametrize("role", ["attorney", "guardian"])
def test_an_attorney_or_guardian_acting_for_an_adult_shows_the_document(role: str) -> None:
    data = change(referral(role, 40), "attachments", [])
    data = change(data, "submitter.authority_document_follows", False)
    assert problems(data) == {("attachments", "authority_document_required")}


def test_an_adult_who_consents_personally_needs_no_document_from_a_relative() -> None:
    assert problems(referral("relative", 40)) == set()


# --- the consent age is a policy setting ------------------------------------------------------


def test_consent_age_15() -> None:
    policy = dataclasses.replace(POLICY, consent_age=15)
    data = referral("parent", 15, consent_age=15)
    assert data["consent"]["given_by"] == "person"
    assert problems(data, policy) == set()
    _, violations = validate_referral(change(data, "consent.given_by", "parents"), policy)
    assert violations == [Violation("consent.given_by", "consent_by_young_person", {"age": 15})]
    # Under the default, the same 15-year-old could not consent.
    assert ("consent.given_by", "consent_by_parents") in problems(data)


def test_consent_age_18_makes_parents_consent_and_hears_16_and_17_year_olds() -> None:
    policy = dataclasses.replace(POLICY, consent_age=18)
    data = referral("parent", 17, consent_age=18)
    assert data["consent"]["given_by"] == "parents"
    assert problems(data, policy) == set()
    assert problems(change(data, "consent.child_heard", DELETE), policy) == {
        ("consent.child_heard", "child_heard_required")
    }
    _, violations = validate_referral(change(data, "consent.given_by", "person"), policy)
    assert Violation("consent.given_by", "consent_by_parents", {"age": 18}) in violations


# --- requests and consent -------------------------------------------------------------------------


def test_an_individual_plan_needs_consent_and_an_answer_on_sharing() -> None:
    data = change(referral("self"), "consent.individual_plan", False)
    data = change(data, "consent.share_between_services", DELETE)
    assert problems(data) == {
        ("consent.individual_plan", "consent_individual_plan_required"),
        ("consent.share_between_services", "required"),
    }
    coordinator_only = change(data, "requests", ["coordinator"])
    assert problems(coordinator_only) == set()


@pytest.mark.parametrize("request_", ["coordinator", "child_coordinator"])
def test_a_coordinator_needs_consent(request_: str) -> None:
    data = change(referral("parent", 10), "requests", [request_])
    data = change(data, "consent.coordinator", DELETE)
    assert problems(data) == {("consent.coordinator", "consent_coordinator_required")}


def test_the_consent_statement_must_be_acknowledged() -> None:
    data = change(referral("self"), "consent.acknowledged", False)
    assert problems(data) == {("consent.acknowledged", "consent_acknowledged_required")}


# --- field errors through validate_referral -------------------------------------------------------


def test_field_errors_carry_canonical_field_ids() -> None:
    data = referral("parent", 10)
    data["guardians"][1]["phone"] = "123"
    data["requests"] = ["individual_plan", "a_pony"]
    data["person"]["address"]["postcode"] = "12345"
    data["person"]["national_id"] = "12345678901"
    data["need"]["life_areas"] = ["housing", "space_travel"]
    data["attachments"] = [
        {**GUARDIAN_DOCUMENT, "media_type": "application/zip", "size": 11 * 1024 * 1024}
    ]
    data["hobby"] = "fishing"
    referral_, violations = validate_referral(data, POLICY)
    assert referral_ is None
    assert {(v.field, v.key) for v in violations} == {
        ("guardians[1].phone", "phone_length"),
        ("requests[1]", "choice_invalid"),
        ("person.address.postcode", "postcode_format"),
        ("person.national_id", "national_id_checksum"),
        ("need.life_areas[1]", "choice_invalid"),
        ("attachments[0].media_type", "attachment_type"),
        ("attachments[0].size", "attachment_too_large"),
        ("hobby", "unknown_field"),
    }


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("requests", [], ("requests", "required")),
        ("kommune", "Herøy", ("kommune", "kommune_ambiguous")),
        ("person.birth_date", "31.02.2020", ("person.birth_date", "date_invalid")),
        ("person.birth_date", "snart", ("person.birth_date", "date_format")),
        ("consent.acknowledged", "kanskje", ("consent.acknowledged", "yes_no")),
        ("consent.given_by", "neighbour", ("consent.given_by", "choice_invalid")),
        ("person", "Kari", ("person", "object_expected")),
        ("person.given_name", 42, ("person.given_name", "text_expected")),
        ("need", DELETE, ("need", "required")),
        ("consent.given_by", DELETE, ("consent.given_by", "required")),
    ],
)
def test_single_field_errors(path: str, value: Any, expected: tuple[str, str]) -> None:
    assert expected in problems(change(referral("self"), path, value))


def test_a_non_object_referral_is_reported_on_the_root() -> None:
    referral_, violations = validate_referral(["not", "a", "referral"], POLICY)
    assert referral_ is None
    assert [(v.field, v.key) for v in violations] == [("referral", "object_expected")]


def test_violations_never_echo_what_was_typed() -> None:
    data = change(referral("parent", 10), "person.national_id", "12345678901")
    data["guardians"][0]["phone"] = "99999"
    data["person"]["given_name"] = "\u202e" * 3
    _, violations = validate_referral(data, Policy(TODAY))
    text = repr(violations)
    assert "12345678901" not in text and "99999" not in text and "\u202e" not in text


# --- age agrees with the birth date -------------------------------------------------------------


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(
    st.dates(dt.date(1900, 1, 1), dt.date(2039, 12, 31)),
    st.dates(dt.date(1990, 1, 1), dt.date(2039, 12, 31)),
)
def test_age_of_agrees_with_the_birth_date_in_the_national_id(
    born: dt.date, today: dt.date
) -> None:
    model = Referral.model_validate(
        change(referral("self"), "person.national_id", synthetic_id(born))
    )
    assert birth_date_of(model) == born
    expected = age_on(born, today) if born <= today else None
    assert age_of(model, today) == expected


def test_age_of_an_unborn_child_is_unknown() -> None:
    model = Referral.model_validate(referral("parent", None))
    assert age_of(model, TODAY) is None
    assert born_years_ago(TODAY, 5) < TODAY


# --- field errors and rule violations together ------------------------------------------------


def test_rules_still_judge_what_is_left_when_a_field_fails() -> None:
    data = change(referral("parent", 10), "submitter.phone", "123")
    data = change(data, "guardians", [])
    data = change(data, "consent.child_heard", DELETE)
    referral_, violations = validate_referral(data, POLICY)
    assert referral_ is None
    assert {(v.field, v.key) for v in violations} == {
        ("submitter.phone", "phone_length"),  # not also "required": the phone was given
        ("guardians", "guardians_required"),
        ("consent.child_heard", "child_heard_required"),
    }


def test_a_failing_part_of_a_required_object_hides_the_rule_about_the_object() -> None:
    data = change(referral("self"), "person.address.postcode", "12")
    data = change(data, "consent.acknowledged", False)
    assert problems(data) == {
        ("person.address.postcode", "postcode_format"),
        ("consent.acknowledged", "consent_acknowledged_required"),
    }


def test_a_refused_synthetic_number_leaves_no_age_rules_behind() -> None:
    # Without the number the age is unknown, so "guardians required" is not guessed at.
    data = change(referral("parent", 10), "guardians", [])
    assert problems(data, Policy(TODAY)) == {("person.national_id", "national_id_synthetic")}


def test_rules_are_not_guessed_when_a_whole_required_part_is_broken() -> None:
    data = change(referral("self"), "consent.given_by", "neighbour")
    data = change(data, "person.address", DELETE)
    assert problems(data) == {("consent.given_by", "choice_invalid")}
