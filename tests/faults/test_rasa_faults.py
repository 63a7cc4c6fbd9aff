"""The fault suite for the Rasa action server: `ke-intake rasa-actions` as a real process, called
the way Rasa 3.6 calls it (tests/rasa_calls.py), with the inbox in the private PostgreSQL.

The action server keeps nothing: the conversation is in Rasa's tracker (the engine's state in a
slot), so a call that never came back left the tracker as it was before it. Killed mid-filing,
the server is started again; the person's next message (Rasa calls the action again with the
tracker it has) files under the idempotency key the state already carries: the first filing's
reference if it reached the inbox, else a new filing; never two."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.load import _filed, _prepare_inbox
from tests import rasa_calls as rc
from tests.conversations import answer_for, load
from tests.faults.conftest import Services
from tests.faults.services import free_port
from tests.faults.tally import tally
from tests.faults.webchat import REFERENCE
from tests.serving import KE_INTAKE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TOKEN = "faults-action-token-0123456789"


class ActionServer:
    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.folder / f"actions-{len(self.logs)}.log"
        self.logs.append(log)
        argv = [str(KE_INTAKE), "rasa-actions", "--port", str(self.port)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(argv, env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, self.log_text()
            time.sleep(0.1)

    def post(self, body: dict[str, Any], timeout: float = 60) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        response = httpx.post(f"{self.url}/webhook", json=body, headers=headers, timeout=timeout)
        return response.status_code, response.json()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


def _until_summary(server: ActionServer, name: str) -> rc.Conversation:
    script = load(name, dt.date.today())
    script.answers["kommune"] = "Oslo"  # the kommune whose KE key is registered
    conv = rc.Conversation(f"faults-{name}")
    text = script.language
    for _ in range(150):
        status, result = server.post(conv.body(text))
        assert status == 200, (conv.step(), status, result)
        conv.took(text, result)
        if conv.step() == "summary":
            return conv
        answer = answer_for(script, conv.step(), rc.optional(conv.step()))
        assert answer is not None, conv.step()
        text = answer
    raise AssertionError("the summary was not reached")


def _receipts(conv: rc.Conversation) -> set[str]:
    reference = conv.slots.get("referral_reference")
    said = {m.group(0) for text in conv.said for m in REFERENCE.finditer(text)}
    return said | ({reference} if reference else set())


def test_action_server_killed_mid_filing(services: Services, tmp_path: Path) -> None:
    """One person's filing reaches the inbox but its answer never reaches Rasa (what a kill
    after the commit leaves); another's hangs in a frozen PostgreSQL when the action server is
    killed with SIGKILL. Started again, each person's next message gets one receipt: the first
    filing's reference for the first, a filing of its own for the second; one row each."""
    keys = _prepare_inbox(services.database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")} | {
        "KE_DATA_DIR": str(tmp_path / "data"),
        "KE_DATABASE_URL": services.database_url,
        "KE_ALLOW_SYNTHETIC_IDS": "true",
        "KE_RASA_ACTION_TOKEN": TOKEN,
    }
    server = ActionServer(env, tmp_path)
    server.start()
    try:
        committed, hanging = (_until_summary(server, n) for n in ("mother_child", "nn_adult_self"))
        status, unseen = server.post(committed.body("send"))  # filed; Rasa never learns it
        assert status == 200
        said = [r.get("text") or "" for r in unseen["responses"]]
        first_reference = {m.group(0) for text in said for m in REFERENCE.finditer(text)}
        assert len(first_reference) == 1, unseen
        services.postgres.freeze()
        call = threading.Thread(target=_call_quietly, args=(server, hanging))
        call.start()
        time.sleep(3.0)  # the filing is under way, stuck in the database
        server.kill()
        call.join(30)
        services.postgres.thaw()
        server.start()
        people = [committed, hanging]
        for conv in people:  # the person writes again; Rasa calls with the tracker it kept
            status, result = server.post(conv.body("send"))
            assert status == 200, result
            conv.took("send", result)
            assert conv.step() == "done", conv.said[-3:]
        assert _receipts(committed) == first_reference
        inbox = _filed(services.database_url, tmp_path / "data", keys)
        counts = tally([_receipts(p) for p in people], inbox)
        print(f"\nRasa action server killed mid-filing: {counts}")
        assert counts == {"lost": 0, "duplicated": 0, "opened": 2}
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()


def _call_quietly(server: ActionServer, conv: rc.Conversation) -> None:
    with contextlib.suppress(
        httpx.HTTPError
    ):  # killed under the call: Rasa keeps its tracker as it was
        server.post(conv.body("send"), timeout=120)
