"""Forgiving input: commands in every language, yes/no words, numbered and named choices."""

from __future__ import annotations

import pytest

from dialogues import parse
from dialogues.flow import load
from dialogues.types import UserInput
from intake.errors import FieldError
from tests.conversations import load as load_script
from tests.conversations.drive import TODAY, start, until


@pytest.mark.parametrize(
    ("text", "command", "arg"),
    [
        ("tilbake", "back", None),
        ("  Tilbake. ", "back", None),
        ("/back", "back", None),
        ("/tilbake", "back", None),
        ("attende", "back", None),
        ("HJELP", "help", None),
        ("hopp over", "skip", None),
        ("veit ikkje", "skip", None),
        ("ferdig", "done", None),
        ("oppsummering", "summary", None),
        ("samandrag", "summary", None),
        ("endre 3", "edit", "3"),
        ("/edit person.phone", "edit", "person.phone"),
        ("språk nn", "language", "nn"),
        ("/language en", "language", "en"),
        ("avbryt", "cancel", None),
        ("start på nytt", "restart", None),
        ("byrj på nytt", "restart", None),
        ("/start provider", "start", "provider"),
        ("Bergen", None, None),
        ("tilbake til start", None, None),
    ],
)
def test_commands_in_every_language(text: str, command: str | None, arg: str | None) -> None:
    assert parse.as_command(UserInput(text=text)) == (command, arg)


@pytest.mark.parametrize("word", ["ja", "J", "yes", "Y", "jo", "Ja.", "1"])
def test_yes_words(word: str) -> None:
    assert parse.yes_no(UserInput(text=word)) is True


@pytest.mark.parametrize("word", ["nei", "N", "no", "Nei takk", "2"])
def test_no_words(word: str) -> None:
    assert parse.yes_no(UserInput(text=word)) is False


def test_neither_yes_nor_no() -> None:
    with pytest.raises(FieldError):
        parse.yes_no(UserInput(text="kanskje"))


def test_multi_choice_by_numbers_names_and_ids() -> None:
    step = load().step("need.life_areas")
    assert step is not None
    options = step.choices
    pick = parse.many_choices
    assert pick(UserInput(text="1,3, 5"), step, options) == [
        "health_treatment",
        "assistive_devices",
        "practical_help_home",
    ]
    assert pick(UserInput(text="1 3 3"), step, options) == ["health_treatment", "assistive_devices"]
    assert pick(UserInput(text="Bolig og praktisk hjelp hjemme"), step, options) == [
        "housing",
        "practical_help_home",
    ]
    assert pick(UserInput(text="Housing, transport"), step, options) == ["housing", "transport"]
    assert pick(UserInput(choices=("meals",)), step, options) == ["meals"]
    with pytest.raises(FieldError):
        pick(UserInput(text="1,99"), step, options)


def test_single_choice_by_label_in_another_language() -> None:
    step = load().step("submitter.role")
    assert step is not None
    assert parse.one_choice(UserInput(text="a relative"), step, step.choices) == "relative"
    assert parse.one_choice(UserInput(text="Pårørande"), step, step.choices) == "relative"
    assert parse.one_choice(UserInput(choice="provider"), step, step.choices) == "provider"


def test_phone_with_spaces_and_kommune_by_number() -> None:
    script = load_script("mother_child", TODAY)
    run = until(start(script), script, "kommune")
    run.say("301")
    assert run.state.answers["kommune"] == "0301"
    run = until(start(script), script, "submitter.phone")
    run.say("+47 412 34 567")
    assert run.state.answers["submitter.phone"] == "+4741234567"


def test_dates_as_people_write_them() -> None:
    script = load_script("nn_adult_self", TODAY)
    script.answers["person.national_id"] = "veit ikkje"
    run = until(start(script), script, "person.birth_date")
    run.say("1.2.1980")
    assert run.state.answers["person.birth_date"] == "1980-02-01"


def test_uploads_are_checked_for_size_then_type() -> None:
    from dialogues.types import FileUpload

    def upload(media: str, size: int) -> FileUpload:
        return FileUpload("f", media, size, "a" * 64, "ref")

    with pytest.raises(FieldError) as big:
        parse.upload(upload("text/html", 11 * 1024 * 1024))
    assert big.value.key == "attachment_too_large"
    with pytest.raises(FieldError) as kind:
        parse.upload(upload("text/html", 100))
    assert kind.value.key == "attachment_type"
    with pytest.raises(FieldError):
        parse.upload(upload("application/pdf", 0))
    assert parse.upload(upload("image/png", 10 * 1024 * 1024))["media_type"] == "image/png"
