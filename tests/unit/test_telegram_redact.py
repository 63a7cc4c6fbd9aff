"""The log redaction against a real Bot API update with every personal field filled, printed in
every way a library prints one: as JSON, as a dict, as aiogram's model repr, inside a pydantic
validation error and inside aiogram's decode error (what its polling logs on a bad batch)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from aiogram.exceptions import ClientDecodeError
from aiogram.types import Update
from pydantic import ValidationError

from bot.telegram import redact

PERSONAL = (
    "Kari",
    "Nordmann",
    "kari_nordmann",
    "Ola",
    "Dunk",
    "ola.dunk",
    "41234567",
    "91 23 45 67",
    "+47 412 34 567",
    "Jeg har ikke fått svar fra NAV",
    "Kari's datter",
    "fullmakt-kari-nordmann.pdf",
    "legeerklæring for Kari",
    "Storgata 1",
    "59.9127",
    "10.7461",
    "kari@example.no",
    "02013299997",
    "BEGIN:VCARD",
    "Familien Nordmann",
)


def full_update() -> dict[str, Any]:
    """A message update with every field a person can put something personal in."""
    kari = {
        "id": 555000111,
        "is_bot": False,
        "first_name": "Kari",
        "last_name": "Nordmann",
        "username": "kari_nordmann",
        "language_code": "nb",
    }
    ola = {
        "id": 555000222,
        "is_bot": False,
        "first_name": "Ola",
        "last_name": "Dunk",
        "username": "ola.dunk",
    }
    chat = {
        "id": 555000111,
        "type": "private",
        "first_name": "Kari",
        "last_name": "Nordmann",
        "username": "kari_nordmann",
    }
    return {
        "update_id": 123456789,
        "message": {
            "message_id": 42,
            "date": 1_764_580_000,
            "chat": chat,
            "from": kari,
            "text": "Kari's datter: 02013299997, ring 41234567 eller 91 23 45 67",
            "entities": [{"type": "phone_number", "offset": 37, "length": 8}],
            "caption": "legeerklæring for Kari, +47 412 34 567",
            "document": {
                "file_id": "BQACAgQAAxkBAAIB",
                "file_unique_id": "AgADBQAC",
                "file_name": "fullmakt-kari-nordmann.pdf",
                "mime_type": "application/pdf",
                "file_size": 1234,
            },
            "contact": {
                "phone_number": "41234567",
                "first_name": "Ola",
                "last_name": "Dunk",
                "user_id": 555000222,
                "vcard": "BEGIN:VCARD\nFN:Ola Dunk\nEMAIL:kari@example.no\nEND:VCARD",
            },
            "location": {"latitude": 59.9127, "longitude": 10.7461},
            "venue": {
                "location": {"latitude": 59.9127, "longitude": 10.7461},
                "title": "Familien Nordmann",
                "address": "Storgata 1",
            },
            "reply_to_message": {
                "message_id": 41,
                "date": 1_764_579_000,
                "chat": chat,
                "from": ola,
                "text": "Jeg har ikke fått svar fra NAV",
            },
            "forward_origin": {"type": "user", "date": 1_764_570_000, "sender_user": ola},
        },
    }


def _printings(update: dict[str, Any]) -> list[str]:
    model = Update.model_validate(update)
    broken = json.loads(json.dumps(update))
    broken["message"]["date"] = "i går"
    with pytest.raises(ValidationError) as invalid:
        Update.model_validate(broken)
    decode = ClientDecodeError("Failed to deserialize object", invalid.value, [broken])
    return [
        json.dumps(update, ensure_ascii=False),
        json.dumps(update),  # \u escapes for æ, ø, å
        json.dumps(update, ensure_ascii=False, indent=2),
        str(update),
        repr(model),
        str(model.message),
        model.model_dump_json(),
        str(invalid.value),
        f"Failed to fetch updates - ClientDecodeError: {decode}",
    ]


@pytest.mark.parametrize("logger_name", ["aiogram.dispatcher", "bot.telegram.adapter"])
def test_every_personal_field_of_a_full_update_is_redacted(
    logger_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger(logger_name)
    flt = redact.RedactingFilter()
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.DEBUG, logger=logger_name):
            for printed in _printings(full_update()):
                logger.error("%s", printed)
                logger.warning(printed)
    finally:
        logger.removeFilter(flt)
    logged = caplog.text
    for secret in PERSONAL:
        for form in (secret, json.dumps(secret)[1:-1]):
            assert form not in logged, f"{secret!r} survived in {logger_name}'s log"
    assert "123456789" in logged  # the update id is still there to debug with


def test_an_exception_is_reduced_to_its_type(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("aiogram.event")
    flt = redact.RedactingFilter()
    logger.addFilter(flt)
    try:
        with caplog.at_level(logging.ERROR, logger="aiogram.event"):
            try:
                int("Kari's 41234567")
            except ValueError:
                logger.exception("Cause exception while process update id=%d", 7)
    finally:
        logger.removeFilter(flt)
    assert "Kari" not in caplog.text and "41234567" not in caplog.text
    assert "ValueError (details redacted)" in caplog.text


def test_our_own_lines_keep_ids_and_timings() -> None:
    line = "telegram: update 123456789 done in 17 ms, step=person.national_id"
    assert redact.redact(line) == line
