"""29 February: the progress estimate assumes a typical age before the person's is known, and
a typical birth date that many years back has no 29 February (it once made every question
before the age an apology)."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogues.flow import texts
from tests.conversations import PEOPLE, load
from tests.conversations.drive import context, start, to_filing

LEAP_DAY = dt.date(2028, 2, 29)


@pytest.mark.parametrize("name", PEOPLE)
def test_a_conversation_on_29_february_asks_every_question_and_files(name: str) -> None:
    script = load(name, LEAP_DAY)
    run = start(script, context(today=LEAP_DAY))
    apology = texts(run.state.language)["error.internal"]
    assert run.last.step and run.last.progress is not None
    to_filing(run, script)
    assert not any(reply.text == apology for reply in run.history)
