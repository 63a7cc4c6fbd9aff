"""The referral model: canonical ids, round trips, frozen values, JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from intake.model import SCHEMA_VERSION, Meta, Referral, json_schema
from tests.unit.referral_data import ROLES, change, national_id, referral

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("valid-*.json"))

META = {
    "id": "6f1c2f5e-8d1a-4c1b-9a57-3c1e0b6a2d11",
    "reference": "KE-7K4M-Q9XA",
    "channel": "telegram",
    "language": "nn",
    "submitted_at": "2026-11-22T13:45:00+00:00",
}


def model(data: dict[str, Any]) -> Referral:
    return Referral.model_validate(data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("age", [None, 10, 40])
def test_round_trip_model_json_model(role: str, age: int | None) -> None:
    if role == "self" and age is None:
        age = 16
    original = model({**referral(role, age), "meta": META})
    again = Referral.model_validate_json(original.model_dump_json())
    assert again == original
    from_canonical = Referral.model_validate_json(original.canonical_json())
    assert from_canonical == original
    assert from_canonical.canonical_json() == original.canonical_json()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path: Path) -> None:
    original = model(json.loads(path.read_text("utf-8")))
    assert Referral.model_validate_json(original.canonical_json()) == original


def test_canonical_json_is_sorted_compact_utf8_and_leaves_out_empty_fields() -> None:
    data = model(referral("relative", 40)).canonical_json()
    text = data.decode("utf-8")
    assert "søster" in text  # not \\u00f8
    assert ": " not in text and ", " not in text.replace("søster", "")
    parsed = json.loads(text)
    assert list(parsed) == sorted(parsed)
    assert "meta" not in parsed and "support_person" not in parsed


def json_dumps_form(referral_: Referral) -> bytes:
    """What `canonical_json` is held to: the standard library's sorted, compact, UTF-8 JSON."""
    data = referral_.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize("role", ROLES)
def test_canonical_json_is_byte_for_byte_the_standard_librarys(role: str) -> None:
    data = referral(role, 40 if role != "parent" else 10)
    data["need"]["description"] = (
        'Står «fast» i "kø" \\ C:\\sti,\nny linje\t/ 中文 😀 \u2028 slutt.'
    )
    data["goals"] = ["Første mål: «hjem»", "Andre: 50 % / 100 %"]
    data["person"]["given_name"] = "Ånund O'Brien-Ævarsdóttir"
    original = model({**data, "meta": META})
    assert original.canonical_json() == json_dumps_form(original)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_canonical_json_of_the_examples_is_the_standard_librarys(path: Path) -> None:
    original = model(json.loads(path.read_text("utf-8")))
    assert original.canonical_json() == json_dumps_form(original)


def test_the_model_is_frozen_all_the_way_down() -> None:
    referral_ = model(referral("parent", 10))
    with pytest.raises(ValidationError):
        referral_.kommune = "0301"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        referral_.person.given_name = "Other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        referral_.guardians[0].name = "Other"  # type: ignore[misc]
    assert isinstance(referral_.requests, tuple)
    assert isinstance(referral_.guardians, tuple)
    assert hash(referral_.consent.given_by)


def test_values_are_normalised_on_the_way_in() -> None:
    data = referral("provider", 40)
    data["kommune"] = "kárášjohka"
    data["requests"] = ["coordinator", "individual_plan", "coordinator"]
    data["submitter"]["phone"] = "0047 776 26 000"
    data["submitter"]["organisation"]["org_number"] = "NO 974 760 673 MVA"
    data["person"]["national_id"] = (
        " " + data["person"]["national_id"][:6] + " " + (data["person"]["national_id"][6:])
    )
    data["person"]["given_name"] = "  Nora\u200b "
    data["need"]["life_areas"] = ["housing", "meals", "housing"]
    referral_ = model(data)
    assert referral_.kommune == "5610"
    assert [r.value for r in referral_.requests] == ["coordinator", "individual_plan"]
    assert referral_.submitter.phone == "+4777626000"
    assert referral_.submitter.organisation is not None
    assert referral_.submitter.organisation.org_number == "974760673"
    assert referral_.person.national_id == national_id(40)
    assert referral_.person.given_name == "Nora"
    assert [a.value for a in referral_.need.life_areas] == ["housing", "meals"]


def test_dates_are_read_as_people_write_them_and_stored_as_iso() -> None:
    data = change(referral("parent", None), "person.due_date", "15.01.2027")
    referral_ = model(data)
    assert referral_.person.due_date == dt.date(2027, 1, 15)
    assert json.loads(referral_.canonical_json())["person"]["due_date"] == "2027-01-15"


def test_synthetic_ids_depend_on_the_context_given() -> None:
    data = referral("self", 40)
    assert model(data).person.national_id == national_id(40)  # no policy: the rules judge it
    with pytest.raises(ValidationError) as info:
        Referral.model_validate(data, context={"allow_synthetic": False})
    assert info.value.errors()[0]["loc"] == ("person", "national_id")
    allowed = Referral.model_validate(data, context={"allow_synthetic": True})
    assert allowed.person.national_id == national_id(40)


def test_unknown_fields_are_refused_at_every_level() -> None:
    for path in ("colour", "person.colour", "consent.colour", "submitter.colour"):
        with pytest.raises(ValidationError):
            model(change(referral("self"), path, "blue"))


def test_meta() -> None:
    meta = Meta.model_validate(META)
    assert meta.schema_version == SCHEMA_VERSION == 1
    assert meta.id == uuid.UUID(META["id"])
    for bad in ("KE-7K4M-Q9X", "KE-7K4M-Q9XI", "ke-7k4m-q9xa", "KE-7K4MQ9XA"):
        with pytest.raises(ValidationError):
            Meta.model_validate({**META, "reference": bad})
    with pytest.raises(ValidationError):
        Meta.model_validate({**META, "schema_version": 2})


def test_attachment_limits() -> None:
    base = referral("guardian", 40)
    attachment = base["attachments"][0]
    assert model(base).attachments[0].size == attachment["size"]
    for field, value in [
        ("size", 10 * 1024 * 1024 + 1),
        ("size", 0),
        ("media_type", "application/zip"),
        ("sha256", attachment["sha256"][:-1]),
        ("kind", "selfie"),
    ]:
        with pytest.raises(ValidationError):
            model({**base, "attachments": [{**attachment, field: value}]})
    assert (
        model({**base, "attachments": [{**attachment, "size": 10 * 1024 * 1024}]})
        .attachments[0]
        .size
        == 10 * 1024 * 1024
    )


# Every canonical field id of REFERRAL.md, as a path through the JSON Schema.
CANONICAL_IDS = [
    "kommune",
    "requests",
    "submitter.role",
    "submitter.name",
    "submitter.phone",
    "submitter.email",
    "submitter.relationship",
    "submitter.organisation.name",
    "submitter.organisation.org_number",
    "submitter.job_title",
    "submitter.person_informed",
    "submitter.not_informed_reason",
    "submitter.authority",
    "person.given_name",
    "person.family_name",
    "person.national_id",
    "person.birth_date",
    "person.unborn",
    "person.due_date",
    "person.address.street",
    "person.address.postcode",
    "person.address.city",
    "person.phone",
    "person.email",
    "person.contact_preference.channel",
    "person.contact_preference.best_time",
    "person.interpreter.needed",
    "person.interpreter.language",
    "person.gp.name",
    "person.gp.clinic",
    "guardians[].name",
    "guardians[].phone",
    "guardians[].parental_responsibility",
    "guardians[].informed",
    "need.description",
    "need.duration",
    "need.life_areas",
    "need.diagnosis",
    "current_services[].service",
    "current_services[].provider",
    "current_services[].contact_name",
    "current_services[].phone",
    "existing_plan.has_individual_plan",
    "existing_plan.has_coordinator",
    "existing_plan.where",
    "goals",
    "resources",
    "preferred_coordinator.name",
    "preferred_coordinator.workplace",
    "preferred_coordinator.reason",
    "relatives_to_involve[].name",
    "relatives_to_involve[].relationship",
    "relatives_to_involve[].phone",
    "support_person.name",
    "support_person.phone",
    "support_person.relationship",
    "consent.individual_plan",
    "consent.coordinator",
    "consent.obtain_information_from",
    "consent.share_between_services",
    "consent.given_by",
    "consent.lacks_capacity_reason",
    "consent.child_heard",
    "consent.acknowledged",
    "attachments[].kind",
    "attachments[].filename",
    "attachments[].media_type",
    "attachments[].size",
    "attachments[].sha256",
    "meta.id",
    "meta.reference",
    "meta.channel",
    "meta.language",
    "meta.submitted_at",
    "meta.schema_version",
]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref, and step into the non-null member of an optional field."""
    while True:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        elif "anyOf" in node:
            node = next(n for n in node["anyOf"] if n.get("type") != "null")
        else:
            return node


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json_schema()


@pytest.mark.parametrize("field_id", CANONICAL_IDS)
def test_json_schema_has_every_canonical_field(schema: dict[str, Any], field_id: str) -> None:
    node: dict[str, Any] = schema
    for part in field_id.split("."):
        name = part.removesuffix("[]")
        node = _resolve(schema, node)["properties"][name]
        if part.endswith("[]"):
            node = _resolve(schema, node)["items"]


def test_json_schema_identifies_itself_and_forbids_unknown_fields() -> None:
    schema = json_schema()
    assert schema["$id"].endswith("/v1.json")
    assert "schema version 1" in schema["title"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "kommune",
        "requests",
        "submitter",
        "person",
        "need",
        "consent",
    }
    json.dumps(schema)  # serialisable as it is printed by `ke-intake schema`


def test_what_a_reader_of_referral_md_might_write_is_understood() -> None:
    data = referral("provider", 40)
    data["submitter"]["organisation"]["job_title"] = data["submitter"].pop("job_title")
    data["kommune"] = 301  # a JSON number
    data["person"]["contact_preference"] = "letter"
    data["consent"]["obtain_information_from"] = ["GP", "Hospital", "NAV", "school", "gp"]
    data["goals"] = ["Bo hjemme", "Komme i jobb"]
    referral_ = model(data)
    assert referral_.goals == "Bo hjemme\nKomme i jobb"
    other_words = {"method": "Digital mailbox", "best_time": "etter kl. 12"}
    preference = model(change(data, "person.contact_preference", other_words))
    assert preference.person.contact_preference is not None
    assert preference.person.contact_preference.channel == "digital_mailbox"
    assert Referral.model_validate_json(preference.canonical_json()) == preference
    assert referral_.submitter.job_title == "sykepleier"
    assert referral_.kommune == "0301"
    assert referral_.person.contact_preference is not None
    assert referral_.person.contact_preference.channel == "letter"
    sources = [s.value for s in referral_.consent.obtain_information_from]
    assert sources == ["gp", "hospital", "nav", "school_kindergarten"]


def test_attachment_metadata_is_read_case_insensitively() -> None:
    base = referral("guardian", 40)
    attachment = {
        **base["attachments"][0],
        "kind": "Guardianship",
        "media_type": "application/PDF",
        "sha256": base["attachments"][0]["sha256"].upper(),
    }
    stored = model({**base, "attachments": [attachment]}).attachments[0]
    assert stored.kind == "guardianship_decision"
    assert stored.media_type == "application/pdf"
    assert stored.sha256 == base["attachments"][0]["sha256"]


def test_empty_strings_mean_not_given_for_optional_numbers_dates_and_contacts() -> None:
    data = change(referral("self", 40), "person.phone", " ")
    data = change(data, "person.email", "")
    data = change(data, "person.birth_date", "")
    data = change(data, "submitter.phone", "")
    person = model(data).person
    assert (person.phone, person.email, person.birth_date) == (None, None, None)
    assert model(change(data, "person.national_id", "")).person.national_id is None
    assert model(change(data, "person.unborn", None)).person.unborn is False
