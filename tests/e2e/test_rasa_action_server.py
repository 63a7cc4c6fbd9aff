"""`ke-intake rasa-actions` over real HTTP, called the way Rasa 3.6 calls it.

One action-server process (demo mode, a temporary data directory) serves the module: the
protocol answers (`/health`, `/actions`, 404, 400 for a malformed body, 400 with
`ActionExecutionRejection` for a command), a whole referral played through the form with Rasa's
request bodies, the submit action filing it sealed into the inbox, and a look at the server's
log for anything personal.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialogues.flow import text
from tests import rasa_calls as rc
from tests.synthetic import born_years_ago, synthetic_id

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "rasa" / "recorded_calls.json.gz"
TODAY = dt.datetime.now(dt.UTC).date()
CHILD_ID = synthetic_id(born_years_ago(TODAY, 10))
# What the person types, by slot; any question not listed is skipped with "hopp over".
ANSWERS = {
    "kommune": "tromsø",
    "submitter__role": "parent",
    "person__unborn": "nei",
    "person__given_name": "Tora",
    "person__family_name": "Testesen",
    "person__national_id": CHILD_ID,
    "requests": "2, 3",
    "submitter__name": "Ola Testesen",
    "submitter__phone": "912 34 567",
    "submitter__relationship": "far",
    "submitter__authority": "parental_responsibility",
    "person__address__street": "Storgata 1",
    "person__address__postcode": "9008",
    "person__address__city": "Tromsø",
    "guardians__0__name": "Ola Testesen",
    "guardians__0__parental_responsibility": "ja",
    "guardians__0__more": "nei",
    "need__description": "Tora trenger hjelp på skolen, fysioterapi og avlastning hjemme.",
    "consent__given_by": "parents",
    "consent__child_heard": "ja",
    "consent__coordinator": "ja",
    "consent__all": "ja",
}
PERSONAL = ["Tora", "Testesen", CHILD_ID, "91234567", "912 34 567", "Storgata", "fysioterapi"]


@dataclass
class Server:
    url: str
    data_dir: Path
    log: Path

    def post(self, body: Any, *, raw: bytes | None = None) -> tuple[int, Any]:
        content = raw if raw is not None else json.dumps(body).encode()
        response = httpx.post(
            f"{self.url}/webhook",
            content=content,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        return response.status_code, response.json()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_action_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env["KE_DATA_DIR"] = str(data_dir)
    command = [str(Path(sys.executable).with_name("ke-intake")), "rasa-actions"]
    command += ["--port", str(port), "--demo", "--log-level", "DEBUG"]
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"action server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise AssertionError("action server did not start")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("rasa-actions")
    log = data_dir / "server.log"
    proc, url = start_action_server(data_dir, log)
    try:
        yield Server(url, data_dir, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_health_and_actions(server: Server) -> None:
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    names = {a["name"] for a in httpx.get(f"{server.url}/actions").json()}
    assert {
        "validate_referral_form",
        "action_submit_referral",
        "action_referral_help",
        "action_referral_back",
        "action_referral_summary",
        "action_ask_requests",
    } <= names


def test_calls_recorded_from_rasa_3_6_get_the_same_answers(server: Server) -> None:
    """Bodies Rasa 3.6.21 really sent (an ambiguous municipality picked by number, "hjelp"
    rejected, the help rule's action): the builder in tests/rasa_calls.py imitates these."""
    recorded = json.loads(gzip.decompress(RECORDED.read_bytes()))
    for call in recorded["calls"]:
        status, body = server.post(call["body"])
        assert status == call["status"]
        if status == 200:
            assert body["events"] == call["response"]["events"]
            assert len(body["responses"]) == len(call["response"]["responses"])
        else:
            assert body == call["response"]


def test_unknown_action_is_404(server: Server) -> None:
    body = rc.action_call("action_does_not_exist", "u", {}, "hei")
    assert server.post(body) == (
        404,
        {
            "error": "No registered action found for name 'action_does_not_exist'.",
            "action_name": "action_does_not_exist",
        },
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b'{"next_action": "validate_referral_form"}',
        b'{"next_action": "validate_referral_form", "tracker": []}',
        b'{"next_action": "validate_referral_form", "tracker": {"slots": {}}}',
    ],
)
def test_malformed_body_is_400(server: Server, raw: bytes) -> None:
    status, body = server.post(None, raw=raw)
    assert status == 400
    assert "error" in body


def test_answer_is_judged_and_normalised(server: Server) -> None:
    status, body = server.post(rc.validation_call("u", {}, "kommune", "tromsø"))
    assert status == 200
    assert body["responses"] == []
    assert [e for e in body["events"] if e["event"] == "slot"] == [
        {"event": "slot", "timestamp": None, "name": "kommune", "value": "5501"},
        {"event": "slot", "timestamp": None, "name": "kommune_offer", "value": None},
        {"event": "slot", "timestamp": None, "name": "requested_slot", "value": "submitter__role"},
    ]


def test_refused_answer_says_why_in_english(server: Server) -> None:
    slots = {"language": "en"}
    status, body = server.post(rc.validation_call("u", slots, "kommune", "Atlantis"))
    assert status == 200
    assert [r["text"] for r in body["responses"]] == ["No municipality has that name or number."]
    assert {"event": "slot", "timestamp": None, "name": "kommune", "value": None} in body["events"]


def test_command_is_rejected_so_a_rule_takes_over(server: Server) -> None:
    status, body = server.post(rc.validation_call("u", {}, "kommune", "hjelp", "ask_help"))
    assert status == 400
    assert body["action_name"] == "validate_referral_form"
    assert "command" in body["error"]


def test_help_action_after_the_rejection(server: Server) -> None:
    slots = {"requested_slot": "kommune", "kommune": "hjelp"}
    status, body = server.post(
        rc.action_call("action_referral_help", "u", slots, "hjelp", "ask_help")
    )
    assert status == 200
    assert body["responses"][0]["text"] == text("nb", "help.kommune")


def test_cancel_asks_and_no_keeps_the_answers(server: Server) -> None:
    """avbryt -> the engine's "cancel?" -> "nei": the answers stay and the form goes on; then
    avbryt -> "ja": every slot is reset. The calls Rasa makes, in order, over HTTP."""
    answers = {"kommune": "5501", "person__given_name": "Tora", "person__family_name": "Testesen"}
    slots: dict[str, Any] = {**answers, "requested_slot": "person__national_id"}

    def call(body: dict[str, Any]) -> list[str]:
        status, result = server.post(body)
        assert status == 200, result
        rc.apply(slots, result["events"])
        return [r["text"] for r in result["responses"]]

    def cancel_form(name: str, said: str) -> list[str]:
        return call(rc.action_call(name, "c", slots, said, loop="cancel_form"))

    for said, outcome in (("nei", "stop.kept"), ("ja", "cancel.done")):
        slots["person__national_id"] = "avbryt"  # what the rejected turn left in the slot
        assert call(rc.action_call("action_referral_cancel", "c", slots, "avbryt")) == []
        assert slots["person__national_id"] is None and slots["cancel_resume"] == rc.FORM
        assert cancel_form("action_ask_cancel_answer", "avbryt") == [text("nb", "cancel.ask")]
        validation = rc.validation_call("c", slots, "cancel_answer", said, form="cancel_form")
        assert call(validation) == []
        assert cancel_form("action_referral_cancel_decided", said) == [text("nb", outcome)]
        if outcome == "stop.kept":
            assert {k: slots[k] for k in answers} == answers
    assert {k: v for k, v in slots.items() if v is not None} == {"language": "nb"}


def test_whole_referral_is_filed_sealed(server: Server) -> None:
    def post(body: dict[str, Any]) -> tuple[int, Any]:
        return server.post(body)

    slots, said = rc.converse(post, lambda slot: ANSWERS.get(slot, "hopp over"), sender="parent-1")
    assert text("nb", "decline_ip") not in said  # nothing was declined on the way
    assert slots["guardians__0__name"] == "Ola Testesen"
    assert slots["consent__child_heard"] is True  # asked: the child is 10
    submit = rc.action_call("action_submit_referral", "parent-1", slots, "ja")
    status, body = server.post(submit)
    assert status == 200
    receipt = body["responses"][0]["text"]
    reference = receipt.split("KE-", 1)[1][:9]
    assert receipt.startswith(text("nb", "filed.reference", reference=f"KE-{reference}"))
    assert text("nb", "filed.contact") in receipt and text("nb", "filed.complaint") in receipt
    assert {"event": "reset_slots", "timestamp": None} in body["events"]

    # Rasa retries a call that timed out with the same tracker: the form run files once.
    again = server.post(submit)[1]
    assert again["responses"][0]["text"] == receipt

    referral = rc.open_filed(server.data_dir, f"KE-{reference}")
    assert referral["kommune"] == "5501"
    assert referral["requests"] == ["coordinator", "child_coordinator"]
    assert referral["person"]["national_id"] == CHILD_ID
    assert referral["submitter"]["phone"] == "+4791234567"
    assert referral["guardians"] == [{"name": "Ola Testesen", "parental_responsibility": True}]
    assert referral["meta"]["channel"] == "rasa"


def test_zz_server_log_names_slots_but_no_values(server: Server) -> None:
    # Runs last in this module (pytest keeps file order): the log covers every call above.
    log = server.log.read_text(encoding="utf-8")
    assert "slot person__national_id: answer accepted" in log
    for value in PERSONAL:
        assert value not in log
