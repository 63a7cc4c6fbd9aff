"""Validator names used in `flow.json`, resolved to the one validator per field in `intake/`.

Each returns the JSON value the engine stores (a date as ISO text) or raises `FieldError`.
"""

from __future__ import annotations

from collections.abc import Callable

from dialogues.types import Context
from intake.contact import validate_email, validate_phone, validate_postcode
from intake.dates import parse_date, validate_birth_date, validate_due_date
from intake.identifiers import validate_national_id, validate_org_number
from intake.kommuner import validate_kommune
from intake.text import (
    tidy_name,
    validate_long_text,
    validate_name,
    validate_need_description,
    validate_short_text,
)

Validator = Callable[[str, Context], str]


def _birth_date(raw: str, ctx: Context) -> str:
    return validate_birth_date(parse_date(raw), today=ctx.today).isoformat()


def _due_date(raw: str, ctx: Context) -> str:
    return validate_due_date(parse_date(raw), today=ctx.today).isoformat()


def _national_id(raw: str, ctx: Context) -> str:
    return validate_national_id(raw, allow_synthetic=ctx.policy.allow_synthetic)


VALIDATORS: dict[str, Validator] = {
    "kommune": lambda raw, _ctx: validate_kommune(raw),
    "name": lambda raw, _ctx: tidy_name(validate_name(raw)),
    "short_text": lambda raw, _ctx: validate_short_text(raw),
    "long_text": lambda raw, _ctx: validate_long_text(raw),
    "need_description": lambda raw, _ctx: validate_need_description(raw),
    "phone": lambda raw, _ctx: validate_phone(raw),
    "email": lambda raw, _ctx: validate_email(raw),
    "postcode": lambda raw, _ctx: validate_postcode(raw),
    "org_number": lambda raw, _ctx: validate_org_number(raw),
    "national_id": _national_id,
    "birth_date": _birth_date,
    "due_date": _due_date,
}
