"""The referral, schema version 1: canonical field ids from REFERRAL.md, frozen pydantic models.

Field validators check each value on its own. Rules that relate fields or depend on today's date
(consent by age, what a role must give) live in `intake.rules`, so a draft can be checked field by
field and the whole referral judged as of a given day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from intake.attachments import MAX_ATTACHMENT_BYTES
from intake.contact import validate_email, validate_phone, validate_postcode
from intake.dates import coerce_date
from intake.facts import AUTHORITY_DOCUMENT
from intake.identifiers import parse_national_id, refuse_synthetic, validate_org_number
from intake.kommuner import validate_kommune
from intake.text import (
    validate_filename,
    validate_long_text,
    validate_name,
    validate_need_description,
    validate_short_text,
)
from intake.texts import Language

SCHEMA_VERSION: Final = 1

Name = Annotated[str, AfterValidator(validate_name)]
ShortText = Annotated[str, AfterValidator(validate_short_text)]
LongText = Annotated[str, AfterValidator(validate_long_text)]
Phone = Annotated[str, AfterValidator(validate_phone)]
Email = Annotated[str, AfterValidator(validate_email)]
# ISO in JSON; 'dd.mm.yyyy' too, since that is what the error message tells people to write.
Date = Annotated[dt.date, BeforeValidator(coerce_date)]


def _blank_as_none(value: object) -> object:
    """An empty string in JSON means "not given" for an optional number, date or address."""
    return None if isinstance(value, str) and not value.strip() else value


Blank = BeforeValidator(_blank_as_none)


def _choice_words(value: object) -> object:
    """'Digital mailbox' is the choice `digital_mailbox`."""
    return "_".join(value.lower().split()) if isinstance(value, str) else value


def _lines(value: object) -> object:
    """Goals written as a list are one answer, a line each."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    return value


def _null_as_false(value: object) -> object:
    """`"unborn": null` says the same as leaving it out."""
    return False if value is None else value


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _digits_as_text(value: object) -> object:
    """A kommune number written as a JSON number (301) is still a kommune number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# REFERRAL.md names the information sources loosely ("GP, hospital, NAV, school, ...").
_SOURCE_SYNONYMS = {
    "fastlege": "gp",
    "sykehus": "hospital",
    "school": "school_kindergarten",
    "kindergarten": "school_kindergarten",
    "skole": "school_kindergarten",
    "barnehage": "school_kindergarten",
    "barnevern": "child_welfare",
    "hjemmetjenesten": "home_care",
}


def _attachment_kind(value: object) -> object:
    """`guardianship` as in `submitter.authority` names the guardianship decision."""
    value = _lower(value)
    return AUTHORITY_DOCUMENT.get(value, value) if isinstance(value, str) else value


def _contact_preference(value: object) -> object:
    """`"phone"` alone is a channel without a best time."""
    return {"channel": value} if isinstance(value, str) else value


def _information_source(value: object) -> object:
    value = _lower(value)
    return _SOURCE_SYNONYMS.get(value, value) if isinstance(value, str) else value


class Request(StrEnum):
    individual_plan = "individual_plan"
    coordinator = "coordinator"
    child_coordinator = "child_coordinator"


class Role(StrEnum):
    self_ = "self"
    parent = "parent"
    guardian = "guardian"
    attorney = "attorney"
    relative = "relative"
    provider = "provider"


class Authority(StrEnum):
    power_of_attorney = "power_of_attorney"
    guardianship = "guardianship"
    parental_responsibility = "parental_responsibility"
    none = "none"


class LifeArea(StrEnum):
    health_treatment = "health_treatment"
    mental_health_substance = "mental_health_substance"
    assistive_devices = "assistive_devices"
    housing = "housing"
    practical_help_home = "practical_help_home"
    meals = "meals"
    personal_care = "personal_care"
    transport = "transport"
    finances = "finances"
    work_activity = "work_activity"
    school_kindergarten = "school_kindergarten"
    social_leisure = "social_leisure"
    communication = "communication"
    respite_family_support = "respite_family_support"
    other = "other"


class InformationSource(StrEnum):
    gp = "gp"
    hospital = "hospital"
    home_care = "home_care"
    mental_health_services = "mental_health_services"
    nav = "nav"
    school_kindergarten = "school_kindergarten"
    child_welfare = "child_welfare"
    other = "other"


class ConsentGiver(StrEnum):
    person = "person"
    parents = "parents"
    guardian = "guardian"
    child_welfare = "child_welfare"


class ContactChannel(StrEnum):
    phone = "phone"
    letter = "letter"
    digital_mailbox = "digital_mailbox"


class Channel(StrEnum):
    terminal = "terminal"
    telegram = "telegram"
    rasa = "rasa"
    web = "web"
    # The web chat, the filer logged in with ID-porten: the inbox shows the identity verified.
    web_idporten = "web_idporten"
    file = "file"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class Organisation(_Frozen):
    name: Name
    org_number: Annotated[str, AfterValidator(validate_org_number)]


class Submitter(_Frozen):
    role: Role
    name: Name
    phone: Annotated[Phone | None, Blank] = None
    email: Annotated[Email | None, Blank] = None
    relationship: ShortText | None = None
    organisation: Organisation | None = None
    job_title: ShortText | None = None
    person_informed: bool | None = None
    not_informed_reason: LongText | None = None
    authority: Authority | None = None
    # Not in the paper form: an attorney or guardian may post the document instead of uploading it.
    authority_document_follows: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _job_title_beside_organisation(cls, data: Any) -> Any:
        """REFERRAL.md lists `job_title` next to `{name, org_number}`; accept it inside too."""
        org = data.get("organisation") if isinstance(data, dict) else None
        if isinstance(org, dict) and "job_title" in org:
            org = dict(org)
            title = org.pop("job_title")
            data = {"job_title": title, **data, "organisation": org}
        return data


class Address(_Frozen):
    street: ShortText
    postcode: Annotated[str, AfterValidator(validate_postcode)]
    city: ShortText


class ContactPreference(_Frozen):
    # REFERRAL.md names no key for "phone, letter, digital mailbox"; take the likely ones.
    channel: Annotated[ContactChannel | None, BeforeValidator(_choice_words)] = Field(
        default=None, validation_alias=AliasChoices("channel", "method", "preference")
    )
    best_time: ShortText | None = None


class Interpreter(_Frozen):
    needed: bool
    language: ShortText | None = None


class GeneralPractitioner(_Frozen):
    name: Name | None = None
    clinic: ShortText | None = None


class Person(_Frozen):
    given_name: Name
    family_name: Name
    national_id: Annotated[str | None, Blank] = None
    birth_date: Annotated[Date | None, Blank] = None
    unborn: Annotated[bool, BeforeValidator(_null_as_false)] = False
    due_date: Annotated[Date | None, Blank] = None
    address: Address | None = None
    phone: Annotated[Phone | None, Blank] = None
    email: Annotated[Email | None, Blank] = None
    contact_preference: Annotated[
        ContactPreference | None, BeforeValidator(_contact_preference)
    ] = None
    interpreter: Interpreter | None = None
    gp: GeneralPractitioner | None = None

    @field_validator("national_id")
    @classmethod
    def _check_national_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Structure always; synthetic numbers only when the caller passes a policy as context
        (`{"allow_synthetic": bool}`). Without context (a stored referral read back) a synthetic
        number is let through here and `intake.rules` judges it against the policy."""
        if value is None:
            return None
        nid = parse_national_id(value)
        if info.context and "allow_synthetic" in info.context:
            refuse_synthetic(nid, allow_synthetic=bool(info.context["allow_synthetic"]))
        return nid.value


class Guardian(_Frozen):
    name: Name
    phone: Annotated[Phone | None, Blank] = None
    parental_responsibility: bool | None = None
    informed: bool | None = None


class Need(_Frozen):
    description: Annotated[str, AfterValidator(validate_need_description)]
    duration: ShortText | None = None
    life_areas: Annotated[tuple[LifeArea, ...], AfterValidator(_unique)] = ()
    diagnosis: LongText | None = None


class CurrentService(_Frozen):
    service: ShortText
    provider: ShortText | None = None
    contact_name: Name | None = None
    phone: Annotated[Phone | None, Blank] = None


class ExistingPlan(_Frozen):
    has_individual_plan: bool | None = None
    has_coordinator: bool | None = None
    where: ShortText | None = None


class PreferredCoordinator(_Frozen):
    name: Name | None = None
    workplace: ShortText | None = None
    reason: LongText | None = None


class RelativeToInvolve(_Frozen):
    name: Name
    relationship: ShortText | None = None
    phone: Annotated[Phone | None, Blank] = None


class SupportPerson(_Frozen):
    name: Name
    phone: Annotated[Phone | None, Blank] = None
    relationship: ShortText | None = None


class Consent(_Frozen):
    individual_plan: bool | None = None
    coordinator: bool | None = None
    obtain_information_from: Annotated[
        tuple[Annotated[InformationSource, BeforeValidator(_information_source)], ...],
        AfterValidator(_unique),
    ] = ()
    share_between_services: bool | None = None
    given_by: ConsentGiver
    lacks_capacity_reason: LongText | None = None
    child_heard: bool | None = None
    acknowledged: bool


class Attachment(_Frozen):
    kind: Annotated[
        Literal["power_of_attorney", "guardianship_decision", "other"],
        BeforeValidator(_attachment_kind),
    ]
    filename: Annotated[str, AfterValidator(validate_filename)]
    media_type: Annotated[
        Literal["application/pdf", "image/jpeg", "image/png"], BeforeValidator(_lower)
    ]
    size: int = Field(gt=0, le=MAX_ATTACHMENT_BYTES)
    sha256: Annotated[str, BeforeValidator(_lower), Field(pattern=r"^[0-9a-f]{64}$")]


class Meta(_Frozen):
    id: uuid.UUID
    reference: str = Field(pattern=r"^KE-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
    channel: Channel
    language: Language
    submitted_at: dt.datetime
    schema_version: Literal[1] = SCHEMA_VERSION


class Referral(_Frozen):
    kommune: Annotated[str, BeforeValidator(_digits_as_text), AfterValidator(validate_kommune)]
    requests: tuple[Request, ...] = Field(min_length=1)
    submitter: Submitter
    person: Person
    guardians: tuple[Guardian, ...] = Field(default=(), max_length=2)
    need: Need
    current_services: tuple[CurrentService, ...] = ()
    existing_plan: ExistingPlan | None = None
    goals: Annotated[LongText | None, BeforeValidator(_lines)] = None
    resources: Annotated[LongText | None, BeforeValidator(_lines)] = None
    preferred_coordinator: PreferredCoordinator | None = None
    relatives_to_involve: tuple[RelativeToInvolve, ...] = ()
    support_person: SupportPerson | None = None
    consent: Consent
    attachments: tuple[Attachment, ...] = ()
    meta: Meta | None = None

    @field_validator("requests")
    @classmethod
    def _unique_requests(cls, value: tuple[Request, ...]) -> tuple[Request, ...]:
        return tuple(dict.fromkeys(value))

    def canonical_json(self) -> bytes:
        """Stable bytes for sealing: sorted keys, no whitespace, UTF-8, empty fields left out.
        orjson writes exactly what `json.dumps(sort_keys=True, separators=(",", ":"),
        ensure_ascii=False)` does for these values (a test holds them to it), at a tenth of
        its cost."""
        data = self.model_dump(mode="json", exclude_none=True)
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def json_schema() -> dict[str, Any]:
    schema = Referral.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://ke-intake.no/schema/referral/v{SCHEMA_VERSION}.json"
    schema["title"] = f"ke-intake referral, schema version {SCHEMA_VERSION}"
    return schema
