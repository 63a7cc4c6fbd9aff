"""`ke-intake rasa-actions` over real HTTP, called the way Rasa 3.6 calls it.

One action-server process (demo mode, a temporary data directory, a shared secret) serves the
module: the guards (401 without the token, 413 for a large or bomb-inflated body, 415, 400 for a
malformed body or slots, fixed error answers that echo nothing), a whole referral played one
engine turn per message with Rasa's request bodies and filed sealed into the inbox, and a look
at the server's log for anything personal.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.rasa import guard
from dialogues.flow import text
from dialogues.state import State
from tests import rasa_calls as rc
from tests.serving import (
    KE_INTAKE,
    RASA_TOKEN,
    ActionServer,
    action_server,
    action_server_env,
    free_port,
)
from tests.synthetic import born_years_ago, synthetic_id

TODAY = dt.datetime.now(dt.UTC).date()
CHILD_ID = synthetic_id(born_years_ago(TODAY, 10))
# What the person types, by the step the engine asks; optional questions not listed are skipped.
ANSWERS = {
    "kommune": "tromsø",
    "submitter.role": "parent",
    "person.unborn": "nei",
    "person.given_name": "Tora",
    "person.family_name": "Testesen",
    "person.national_id": CHILD_ID,
    "requests": "2, 3",
    "submitter.name": "Ola Testesen",
    "submitter.phone": "912 34 567",
    "submitter.relationship": "far",
    "submitter.authority": "parental_responsibility",
    "person.address.street": "Storgata 1",
    "person.address.postcode": "9008",
    "person.address.city": "Tromsø",
    "guardians[0].name": "Ola Testesen",
    "guardians[0].parental_responsibility": "ja",
    "need.description": "Tora trenger hjelp på skolen, fysioterapi og avlastning hjemme.",
    "consent.given_by": "parents",
    "consent.child_heard": "ja",
    "consent.coordinator": "ja",
    "consent.all": "ja",
    "consent.acknowledged": "ja",
    "summary": "send",
}
PERSONAL = ["Tora", "Testesen", CHILD_ID, "91234567", "912 34 567", "Storgata", "fysioterapi"]


def answer(step: str) -> str:
    if step in ANSWERS:
        return ANSWERS[step]
    if step.endswith(".more"):
        return "nei"
    if rc.optional(step):
        return "hopp over"
    raise AssertionError(f"no answer for {step}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    with action_server(tmp_path_factory.mktemp("rasa-actions")) as running:
        yield running


def first_call() -> dict[str, Any]:
    return rc.Conversation("probe").body("hei")


def test_it_will_not_start_without_a_token(tmp_path: Path) -> None:
    command = [str(KE_INTAKE), "rasa-actions"]
    for token in (None, "short"):
        run = subprocess.run(
            [*command, "--port", str(free_port())],
            env=action_server_env(tmp_path, token),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2
        assert "KE_RASA_ACTION_TOKEN" in run.stderr and "short" not in run.stderr


def test_health_is_open_everything_else_needs_the_token(server: ActionServer) -> None:
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": RASA_TOKEN},
    ):
        assert httpx.get(f"{server.url}/actions", headers=headers).status_code == 401
    names = httpx.get(f"{server.url}/actions", headers={"Authorization": f"Bearer {RASA_TOKEN}"})
    assert [a["name"] for a in names.json()] == ["action_referral_turn"]
    for token in (None, "wrong-token-0123456789"):
        status, body = server.post(first_call(), token=token)
        assert (status, body) == (401, guard.error_body(401))


def test_the_first_call_asks_the_language(server: ActionServer) -> None:
    status, body = server.post(first_call())
    assert status == 200
    assert [r["text"] for r in body["responses"]] == [text("nb", "language.ask")]
    slots = rc.slot_events(body)
    assert slots["language"] == "nb" and slots["referral_reference"] is None
    assert json.loads(slots["dialogue_state"])["mode"] == "language"


def test_a_deflated_call_is_read_like_rasa_sends_it(server: ActionServer) -> None:
    raw = zlib.compress(json.dumps(first_call()).encode())
    status, body = server.post(None, raw=raw, headers={"Content-Encoding": "deflate"})
    assert status == 200 and body["responses"]


def _with_slots(**slots: Any) -> dict[str, Any]:
    call = first_call()
    call["tracker"]["slots"].update(slots)
    return call


MARK = "02013299997"  # a synthetic national id: must never come back in an answer


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b"[" * 200_000,
        b'{"next_action": "action_referral_turn"}',
        b'{"next_action": "action_referral_turn", "tracker": []}',
        b'{"next_action": "action_referral_turn", "tracker": {"slots": {}}}',
        json.dumps(_with_slots(dialogue_state=f'["{MARK}"]')).encode(),
        json.dumps(_with_slots(dialogue_state=12)).encode(),
        json.dumps(_with_slots(dialogue_state="x" * 300_000)).encode(),
        json.dumps(_with_slots(language={"nb": MARK})).encode(),
        json.dumps(_with_slots(referral_reference=[MARK])).encode(),
    ],
    ids=lambda raw: raw[:40].decode(errors="replace"),
)
def test_malformed_body_or_slots_is_400_and_echoes_nothing(
    server: ActionServer, raw: bytes
) -> None:
    status, body = server.post(None, raw=raw)
    assert (status, body) == (400, guard.error_body(400))


def test_a_state_the_engine_cannot_read_any_more_starts_afresh(server: ActionServer) -> None:
    """A state object from before an engine upgrade (or forged): not a 400 on every later
    message, but a fresh start in the conversation's language, saying so."""
    call = _with_slots(dialogue_state=f'{{"v": 0, "answers": {{"x": "{MARK}"}}}}', language="en")
    status, body = server.post(call)
    assert status == 200
    said = [r["text"] for r in body["responses"]]
    assert said[0] == text("en", "restart.done")
    assert said[1].startswith(text("en", "intro", hours=72))
    assert MARK not in json.dumps(body)
    assert json.loads(rc.slot_events(body)["dialogue_state"])["language"] == "en"


def _mutations() -> list[tuple[str, dict[str, Any]]]:
    """A real call with the national id planted in what the person said, then each part of it
    (the call, the tracker, every slot, the latest message, an event) given a wrong shape."""
    base = rc.Conversation("hostile").body(f"mitt fødselsnummer er {MARK}")
    wrong: list[Any] = [None, 1, "x", [], [[[[MARK]]]], {"x": MARK}]
    out: list[tuple[str, dict[str, Any]]] = []
    targets = [("call", k) for k in base] + [("tracker", k) for k in base["tracker"]]
    targets += [("slots", k) for k in base["tracker"]["slots"]]
    targets += [("latest", k) for k in ("text", "intent")]
    for where, key in targets:
        for value in wrong:
            call = json.loads(json.dumps(base))
            holder = {
                "call": call,
                "tracker": call["tracker"],
                "slots": call["tracker"]["slots"],
                "latest": call["tracker"]["latest_message"],
            }[where]
            holder[key] = value
            out.append((f"{where}.{key}={value!r}"[:60], call))
    events = json.loads(json.dumps(base))
    events["tracker"]["events"] = [MARK, None, {"event": 3}, {"event": "slot", "name": None}]
    out.append(("events", events))
    return out


def test_no_malformed_call_gets_a_500_or_an_echo(server: ActionServer) -> None:
    """The issue's finding: malformed calls answered 500 with the whole tracker in the body.
    Every shape below is answered 200 (nothing in it was needed), 400, 404 or 449, and no answer
    carries the planted national id back."""
    seen: dict[int, int] = {}
    for label, call in _mutations():
        status, body = server.post(call)
        seen[status] = seen.get(status, 0) + 1
        assert status in (200, 400, 404, 449), label  # 449: "send the domain" (protocol)
        assert MARK not in json.dumps(body), label
    assert seen.get(400, 0) > 20 and seen.get(200, 0) > 5


def test_too_large_and_unknown_encodings_are_refused(server: ActionServer) -> None:
    status, body = server.post(None, raw=b" " * (guard.MAX_BODY + 1))
    assert status == 413
    assert MARK not in json.dumps(body)
    gzipped = gzip.compress(json.dumps(first_call()).encode())
    status, body = server.post(None, raw=gzipped, headers={"Content-Encoding": "gzip"})
    assert (status, body) == (415, guard.error_body(415))


def _bomb() -> bytes:
    """About 995 KB of deflate that would inflate to 1 GiB of zeros."""
    packer = zlib.compressobj(9)
    chunk = bytes(2**20)
    parts = [packer.compress(chunk) for _ in range(1024)]
    return b"".join(parts) + packer.flush()


def _peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1])


def test_a_deflate_bomb_stops_at_the_inflate_limit(server: ActionServer) -> None:
    bomb = _bomb()
    assert 900_000 < len(bomb) < guard.MAX_BODY
    started = time.monotonic()
    status, body = server.post(None, raw=bomb, headers={"Content-Encoding": "deflate"})
    assert (status, body) == (413, guard.error_body(413))
    assert time.monotonic() - started < 10
    # The server never held the gigabyte: its peak memory stays far below it.
    assert _peak_rss_kib(server.pid) < 400 * 1024
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_unknown_action_is_404_without_its_name(server: ActionServer) -> None:
    call = first_call()
    call["next_action"] = f"action_{MARK}"
    assert server.post(call) == (404, guard.error_body(404))


def test_whole_referral_is_filed_sealed(server: ActionServer) -> None:
    conv = rc.converse(server.post, answer, sender="parent-1")
    assert conv.step() == "done"
    reference = conv.slots["referral_reference"]
    assert reference and text("nb", "filed.reference", reference=reference) in conv.said[-1]
    # The parent is asked about "barnet", the child (the wording for a parent filing).
    assert text("nb", "q.person.given_name.parent") in " ".join(conv.said)

    # Rasa retries a call that timed out with the same tracker: it files once, same receipt.
    retry = rc.turn_call(conv.sender, {**conv.slots, **_before_send(conv)}, "send", conv.events)
    status, body = server.post(retry)
    assert status == 200 and reference in body["responses"][-1]["text"]

    referral = rc.open_filed(server.data_dir, reference)
    assert referral["kommune"] == "5501"
    assert referral["requests"] == ["coordinator", "child_coordinator"]
    assert referral["person"]["national_id"] == CHILD_ID
    assert referral["submitter"]["phone"] == "+4791234567"
    assert referral["guardians"][0]["name"] == "Ola Testesen"
    assert referral["meta"]["channel"] == "rasa"


RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "rasa" / "recorded_calls.json.gz"


def _recorded() -> list[dict[str, Any]]:
    """Calls a real Rasa 3.6 made in `make rasa-e2e` (tests/e2e/rasa_recorder.py)."""
    data = json.loads(gzip.decompress(RECORDED.read_bytes()))
    assert data["rasa_version"].startswith("3.6.")
    calls: list[dict[str, Any]] = data["calls"]
    return calls


def test_our_call_builder_has_the_shape_rasa_3_6_sends() -> None:
    real = _recorded()[-1]["body"]
    built = rc.Conversation("shape").body("hei")
    assert set(built) == set(real)
    assert set(built["tracker"]) == set(real["tracker"])
    assert set(built["tracker"]["slots"]) == set(real["tracker"]["slots"])
    assert built["domain"] == real["domain"]
    kinds = {e["event"]: set(e) for e in real["tracker"]["events"]}
    for event in built["tracker"]["events"]:
        assert set(event) <= kinds[event["event"]] | {"timestamp"}, event["event"]


def test_calls_recorded_from_rasa_3_6_are_answered_alike(server: ActionServer) -> None:
    """Replayed in order (after the referral above: the recording files one of its own)."""
    calls = _recorded()
    assert len(calls) > 20
    for call in calls:
        status, body = server.post(call["body"])
        assert status == call["status"]
        if status != 200:
            continue
        assert [e["name"] for e in body["events"]] == [
            e["name"] for e in call["response"]["events"]
        ]
        assert bool(body["responses"]) == bool(call["response"]["responses"])
        slots = rc.slot_events(body)
        assert State.from_json(slots["dialogue_state"]).language in ("nb", "nn", "en")


def _before_send(conv: rc.Conversation) -> dict[str, Any]:
    """The slots as they were when "send" was typed (the state at the summary)."""
    sets = [e for e in conv.events if e.get("event") == "slot" and e["name"] == "dialogue_state"]
    return {"dialogue_state": sets[-2]["value"], "referral_reference": None}


def test_zz_server_log_names_steps_but_no_values(server: ActionServer) -> None:
    # Runs last in this module (pytest keeps file order): the log covers every call above.
    log = server.log.read_text(encoding="utf-8")
    assert "rasa: turn at person.national_id" in log
    assert "rasa: filing Filed" in log
    for value in [*PERSONAL, MARK]:
        assert value not in log
