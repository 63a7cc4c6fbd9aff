"""A referral through real Rasa 3.6: train the generated project, run Rasa's REST channel beside
`ke-intake rasa-actions`, converse until filed, and open the sealed referral from the inbox.

Needs the Rasa virtualenv (`make rasa-venv`) and minutes of CPU for training, so it runs only
with KE_RUN_RASA_E2E=1 (`make rasa-e2e` sets it) and is skipped with the reason otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.rasa import export
from dialogues import engine
from dialogues.flow import text
from dialogues.state import State
from tests import rasa_calls as rc
from tests.e2e.rasa_recorder import Recorder
from tests.serving import action_server, free_port
from tests.synthetic import born_years_ago, synthetic_id

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
TRAIN_TIMEOUT = 1200
START_TIMEOUT = 300

pytestmark = [
    pytest.mark.slow,
    # Training plus Rasa's start-up take minutes on a busy machine (the suite's default is 180 s).
    pytest.mark.timeout(TRAIN_TIMEOUT + START_TIMEOUT + 600),
    pytest.mark.skipif(
        not RASA.exists(), reason="Rasa 3.6 is not installed: run `make rasa-venv` first"
    ),
    pytest.mark.skipif(
        os.environ.get("KE_RUN_RASA_E2E") != "1",
        reason="trains a Rasa model (minutes): set KE_RUN_RASA_E2E=1 or run `make rasa-e2e`",
    ),
]

ADULT_ID = synthetic_id(born_years_ago(dt.datetime.now(dt.UTC).date(), 40))
ANSWERS = {
    "kommune": "Tromsø",
    "submitter.role": "self",
    "person.given_name": "Tora",
    "person.family_name": "Testesen",
    "person.national_id": ADULT_ID,
    "requests": "1, 2",
    "person.address.street": "Storgata 1",
    "person.address.postcode": "9008",
    "person.address.city": "Tromsø",
    "person.phone": "912 34 567",
    "need.description": "I need help at home and follow-up from several services after a stroke.",
    "consent.given_by": "person",
    "consent.individual_plan": "yes",
    "consent.share_between_services": "yes",
    "consent.coordinator": "yes",
    "consent.all": "yes",
    "consent.acknowledged": "yes",
    "summary": "send",
}
PERSONAL = ["Tora", "Testesen", ADULT_ID, "91234567", "Storgata", "stroke"]
TOKEN = "e2e-action-token-0123456789"


def _rasa(*args: str, cwd: Path, log: Path, timeout: float | None = None) -> None:
    with log.open("ab") as sink:
        subprocess.run(
            [str(RASA), *args], cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, check=True,
            timeout=timeout,
        )  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated project, trained, in a temporary folder."""
    folder = tmp_path_factory.mktemp("rasa-project")
    export.write(folder)
    _rasa("data", "validate", "--domain", "domain.yml", "--data", "data",
          cwd=folder, log=folder / "validate.log")  # fmt: skip
    _rasa("train", "--domain", "domain.yml", "--data", "data", "--config", "config.yml",
          "--out", "models", "--fixed-model-name", "referral",
          cwd=folder, log=folder / "train.log", timeout=TRAIN_TIMEOUT)  # fmt: skip
    return folder


class Rasa:
    def __init__(self, url: str) -> None:
        self.url = url

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=120,
        )
        response.raise_for_status()
        replies: list[dict[str, Any]] = response.json()
        return replies

    def tracker(self, sender: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/conversations/{sender}/tracker", timeout=60)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture(scope="module")
def running(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Rasa, Path]]:
    data_dir = tmp_path_factory.mktemp("rasa-inbox")
    with action_server(data_dir, log=data_dir / "actions.log", token=TOKEN) as actions:
        # Rasa calls through a relay that keeps every call: the fixture CI replays without Rasa.
        relay = Recorder(actions.url)
        relay.start()
        endpoints = project / "endpoints.yml"
        endpoints.write_text(
            endpoints.read_text("utf-8").replace(export.ACTION_URL, f"{relay.url}/webhook")
        )
        port = free_port()
        log = project / "rasa-run.log"
        env = {**os.environ, "KE_RASA_ACTION_TOKEN": TOKEN}  # endpoints.yml reads it from here
        with log.open("wb") as sink:
            rasa = subprocess.Popen(
                [str(RASA), "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
                 "--model", "models/referral.tar.gz", "--endpoints", "endpoints.yml",
                 "--credentials", "credentials.yml"],
                cwd=project, stdout=sink, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(rasa, url, log)
            yield Rasa(url), data_dir
        finally:
            rasa.terminate()
            rasa.wait(timeout=30)
            relay.stop()
            # `make rasa-e2e` then copies this over tests/fixtures/rasa/recorded_calls.json.gz.
            relay.save(data_dir / "recorded_calls.json.gz", _rasa_version())
            recorded = os.environ.get("KE_RASA_RECORD_TO")
            if recorded:
                relay.save(Path(recorded), _rasa_version())
            shutil.copy(log, data_dir / "rasa-run.log")


def _rasa_version() -> str:
    run = subprocess.run([str(RASA), "--version"], capture_output=True, text=True, timeout=300)
    line = next((x for x in run.stdout.splitlines() if x.startswith("Rasa Version")), "")
    return line.split(":")[-1].strip()


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"rasa run exited: {log.read_text()[-3000:]}")
        try:
            status = httpx.get(f"{url}/status", timeout=2)
            if status.status_code == 200 and status.json().get("model_id"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError("rasa run did not become ready")


def _step(rasa: Rasa, sender: str) -> str:
    raw = rasa.tracker(sender)["slots"].get("dialogue_state")
    if not raw:
        return ""
    state = State.from_json(raw)
    return engine.current_step(state) or state.mode


def test_a_referral_through_rasa_lands_sealed_in_the_inbox(running: tuple[Rasa, Path]) -> None:
    rasa, data_dir = running
    sender = "e2e-person"
    said: list[str] = []

    def say(message: str) -> None:
        said.extend(r.get("text") or "" for r in rasa.say(sender, message))

    say("hello")  # Rasa cannot tell the language: the engine asks it first
    assert said[-1] == text("en", "language.ask")
    say("en")  # the button's payload
    assert any(s.startswith(text("en", "intro", hours=72)) for s in said)
    first = _step(rasa, sender)
    asked = said[-1]
    say("help")  # every message goes to the engine: its help, then the question again
    assert said[-1] == asked and len(said) >= 2
    say("/hjelp")  # the slash form, an unknown intent to Rasa: the engine's help as well
    assert said[-1] == asked
    say(ANSWERS[first])
    say("back")  # the engine's back, one question
    assert _step(rasa, sender) == first
    say(ANSWERS[first])
    second = _step(rasa, sender)
    asked = said[-1]
    say("avbryt")  # asks first, in the engine's words
    assert text("en", "cancel.ask") in said[-1]
    say("no")  # every answer kept, the same question again
    assert said[-1] == asked and _step(rasa, sender) == second

    step = ""
    for _ in range(80):
        step = _step(rasa, sender)
        if step == "done":
            break
        say(ANSWERS.get(step, "skip"))
    else:
        raise AssertionError(f"the conversation did not finish (stuck at {step})")

    reference = rasa.tracker(sender)["slots"]["referral_reference"]
    assert reference and text("en", "filed.reference", reference=reference) in " ".join(said)
    referral = rc.open_filed(data_dir, reference)
    assert referral["kommune"] == "5501"
    assert referral["person"]["national_id"] == ADULT_ID
    assert referral["person"]["phone"] == "+4791234567"
    assert referral["requests"] == ["individual_plan", "coordinator"]
    assert referral["meta"]["language"] == "en"
    assert referral["meta"]["channel"] == "rasa"

    actions_log = (data_dir / "actions.log").read_text("utf-8")
    assert "rasa: filing Filed" in actions_log
    for value in PERSONAL:
        assert value not in actions_log
