"""The fault suite for the terminal: `ke-intake chat --json` as a real process (its line
protocol), with the inbox in the private PostgreSQL. Killed with SIGKILL while its filing hangs
in a frozen database, the next `ke-intake chat` on the same data directory finishes that filing
first, under the same idempotency key (bot/terminal/pending.py): the person gets the receipt
and the inbox holds the referral once."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from bench.load import _filed, _prepare_inbox
from dialogues import flow
from tests.conversations import answer_for, load
from tests.faults.conftest import Services
from tests.faults.tally import tally
from tests.serving import JsonChat

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_terminal_killed_mid_filing(services: Services, tmp_path: Path) -> None:
    keys = _prepare_inbox(services.database_url)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")} | {
        "KE_DATA_DIR": str(data),
        "KE_DATABASE_URL": services.database_url,
        "KE_ALLOW_SYNTHETIC_IDS": "true",
    }
    script = load("nn_adult_self", dt.date.today())
    script.answers["kommune"] = "Oslo"  # the kommune whose KE key is registered
    chat = JsonChat(env, tmp_path, "--lang", script.language)
    line = chat.read()
    for _ in range(150):
        if line["step"] == "summary":
            break
        answer = answer_for(script, line["step"], line["optional"])
        assert answer is not None, line
        chat.write(answer)
        line = chat.read()
    assert line["step"] == "summary"
    services.postgres.freeze()
    chat.write("send")
    log = data / "logs" / "chat.log"
    deadline = time.monotonic() + 60
    while "terminal: filing, kept" not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the filing did not start"
        time.sleep(0.1)
    time.sleep(0.5)  # the filing is under way, stuck in the database
    chat.proc.kill()
    chat.proc.wait(10)
    services.postgres.thaw()
    again = JsonChat(env, tmp_path, "--lang", script.language)
    first = again.read()  # before anything else: the interrupted filing, finished
    assert again.proc.stdin is not None
    again.proc.stdin.close()
    assert again.proc.wait(30) == 0
    assert flow.text("nn", "terminal.interrupted") in first["text"]
    assert first["step"] == "done" and first["reference"], first
    inbox = _filed(services.database_url, data, keys)
    counts = tally([{first["reference"]}], inbox)
    print(f"\nterminal killed mid-filing: {counts}")
    assert counts == {"lost": 0, "duplicated": 0, "opened": 1}
    third = JsonChat(env, tmp_path, "--lang", "nn")  # nothing left to take up: a new conversation
    assert third.read()["step"] != "done"
    third.proc.kill()
    third.proc.wait(10)
