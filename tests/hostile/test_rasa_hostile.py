"""The hostile-answer catalogue through the Rasa action server: a real `ke-intake rasa-actions`
process over HTTP, with its token, called the way Rasa 3.6 calls it, all in one conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import rasa_calls as rc
from tests.hostile.catalogue import HOSTILE_ANSWERS
from tests.hostile.checks import assert_safe
from tests.serving import ActionServer, action_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    with action_server(tmp_path_factory.mktemp("rasa-hostile")) as running:
        yield running


def test_every_hostile_answer_is_answered_and_nothing_dangerous_is_kept(
    server: ActionServer,
) -> None:
    conv = rc.Conversation("hostile-1")
    status, result = server.post(conv.body("nb"))
    assert status == 200
    conv.took("nb", result)
    asked = conv.step()
    answered = {}
    for raw in HOSTILE_ANSWERS:
        status, result = server.post(conv.body(raw))
        assert status == 200, (repr(raw[:40]), status, result)
        said = conv.took(raw, result)
        assert said, repr(raw[:40])  # every answer gets a reply
        assert_safe(raw, said, result["events"])  # the slots Rasa keeps: the stored state
        answered[raw] = conv.step()
    # Not one of them is taken as the answer to the first question (a kommune).
    assert set(answered.values()) == {asked}, answered
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log
